"""No employment event carries a klien's personal data: klien with real profiles (full
name, NIK, phone, address) are released and trained through the enrolment service,
then placed, checked and ended here; neither the service's event store nor what it
published on ``employment.events.v1`` holds any of it, only the ``client_id``."""

from __future__ import annotations

import re

import asyncpg

from shared.kafka.topics import EMPLOYMENT_EVENTS
from tests.employment.helpers import World, created_id
from tests.enrolment.helpers import days
from tests.pokmas.helpers import published_events

NIK_LIKE = re.compile(r"(?<!\d)\d{16}(?!\d)")


async def test_no_employment_event_carries_a_nik_or_a_name_of_a_klien(
    world: World, database: asyncpg.Connection, kafka_bootstrap: str
) -> None:
    employer_id = await world.employer()
    vacancy_id = await world.vacancy(employer_id, positions=1)
    placed, enrolment_id = await world.trained_klien()
    checked = await world.klien()
    await world.until_learnt(
        {placed.client_id: "under_supervision"},
        completions=[enrolment_id],
        programmes=[await world.programme()],
    )
    candidates = await world.every_item(f"/api/v1/vacancies/{vacancy_id}/candidates")
    assert str(placed.client_id) in {item["client_id"] for item in candidates}
    first = await world.placement(placed.client_id, employer_id, vacancy_id=vacancy_id)
    second = await world.placement(checked.client_id, employer_id, started_on=days(-50))
    created_id(
        await world.command(
            f"/api/v1/placements/{second}/checks",
            {"checked_on": days(0).isoformat(), "still_employed": False, "reason": "reoffended"},
        )
    )
    created_id(
        await world.command(
            f"/api/v1/placements/{first}/end",
            {"ended_on": days(0).isoformat(), "reason": "resigned"},
        )
    )
    aggregates = {employer_id, vacancy_id, first, second}

    stored = [
        row["envelope"]
        for row in await database.fetch(
            "SELECT envelope::text AS envelope FROM events WHERE aggregate_id = ANY($1::uuid[])",
            list(aggregates),
        )
    ]
    published = await published_events(
        kafka_bootstrap, aggregates, len(stored), topic=EMPLOYMENT_EVENTS
    )

    assert len(stored) == 7  # registered, posted, two placed, checked, two ended
    assert sorted(event.event_type for _, event in published) == sorted(
        [
            "EmployerRegistered",
            "VacancyPosted",
            "ClientPlaced",
            "ClientPlaced",
            "PlacementChecked",
            "PlacementEnded",
            "PlacementEnded",
        ]
    )
    texts = stored + [event.model_dump_json() for _, event in published]
    for klien in (placed, checked):
        assert any(str(klien.client_id) in text for text in texts)
        assert not [text for text in texts if klien.nik in text or klien.full_name in text]
    assert not [text for text in texts if NIK_LIKE.search(text)]
