"""A klien who leaves an office's supervision, as the enrolment service records it: a
revocation ends the klien's open placement (``revoked``), a transfer to another Bapas one
at the office left (``moved``), each once, by the service itself, however often the cause
is delivered and across a rebuild of the projection; and a transferred klien is the new
office's to place, no longer the old one's.

The offices are Balikpapan and Samarinda, whose events share a partition."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from services.employment.projections import PROJECTIONS
from shared.events.envelope import Envelope, EventPayload
from shared.events.registry import parse_event
from shared.kafka.connection import KafkaConnection
from shared.projections import rebuild_projection
from tests.employment.helpers import Klien, World, created_id
from tests.enrolment.helpers import BAPAS, enrolment_topic_messages, officer, today
from tests.hardening.probes import assert_problem
from tests.notifications.receivers import eventually
from tests.notifications.world import EventPublisher

Event = Envelope[EventPayload]
NEW_OFFICE = "samarinda"
REACTING_ACTOR = {"role": "service", "sub": "employment"}


async def revoke(world: World, klien: Klien) -> UUID:
    """The klien's supervision revoked today; the SupervisionEnded event's id."""
    return await _end_supervision(world, klien, "revoked")


async def _end_supervision(world: World, klien: Klien, outcome: str) -> UUID:
    response = await world.enrolment.post(
        f"/api/v1/clients/{klien.client_id}/supervision-end",
        json={"ended_on": today().isoformat(), "outcome": outcome},
        headers=officer(),
    )
    assert response.status_code == 201, response.text
    return UUID(response.json()["event_id"])


async def transfer(world: World, klien: Klien, from_office: str, to_office: str) -> None:
    response = await world.enrolment.post(
        f"/api/v1/clients/{klien.client_id}/transfer",
        json={
            "to_bapas_code": to_office,
            "transferred_on": today(from_office).isoformat(),
            "reason": "Bekerja di kota lain",
        },
        headers=officer(from_office),
    )
    assert response.status_code == 201, response.text


async def placement(world: World, placement_id: UUID, bapas_code: str = BAPAS) -> dict[str, Any]:
    found: dict[str, Any] = await world.get(
        f"/api/v1/placements/{placement_id}", officer(bapas_code)
    )
    return found


async def until_ended(world: World, placement_id: UUID) -> dict[str, Any]:
    async def ended() -> dict[str, Any]:
        found = await placement(world, placement_id)
        return found if found["status"] == "ended" else {}

    return await eventually(ended)


async def until_supervised_by(database: asyncpg.Connection, klien: Klien, bapas_code: str) -> None:
    async def moved() -> bool:
        found: str | None = await database.fetchval(
            "SELECT bapas_code FROM clients WHERE client_id = $1", klien.client_id
        )
        return found == bapas_code

    await eventually(moved)


async def candidate_ids(world: World, vacancy_id: UUID, bapas_code: str) -> set[UUID]:
    items = await world.every_item(
        f"/api/v1/vacancies/{vacancy_id}/candidates", headers=officer(bapas_code)
    )
    return {UUID(item["client_id"]) for item in items}


async def stored_events(database: asyncpg.Connection, aggregate_id: UUID) -> list[Event]:
    """The events the employment service recorded of one aggregate, in order."""
    rows = await database.fetch(
        "SELECT envelope::text AS envelope FROM events WHERE aggregate_id = $1"
        " ORDER BY aggregate_version",
        aggregate_id,
    )
    return [parse_event(row["envelope"]) for row in rows]


async def caused_by(database: asyncpg.Connection, cause_id: UUID) -> list[str]:
    """The types of the events the employment service recorded because of one event."""
    rows = await database.fetch(
        "SELECT event_type FROM events WHERE (envelope->>'causation_id')::uuid = $1", cause_id
    )
    return [row["event_type"] for row in rows]


async def enrolment_event(kafka_bootstrap: str, klien: Klien, event_type: str) -> Event:
    """The klien's one event of this type on the enrolment topic."""
    messages = await enrolment_topic_messages(kafka_bootstrap, [klien.client_id], count=1)
    [found] = [event for _, event in messages if event.event_type == event_type]
    return found


async def rebuild(kafka_bootstrap: str, database_url: str) -> None:
    await rebuild_projection(
        PROJECTIONS["klien"],
        kafka=KafkaConnection.to(kafka_bootstrap),
        database_url=database_url,
    )


async def until_learnt_in_order(world: World) -> None:
    """Wait until the service has applied every enrolment event of Balikpapan published
    so far: they share a partition with a klien released now, whom it then knows."""
    sentinel = await world.klien()
    await world.until_learnt({sentinel.client_id: "under_supervision"})


# -- revocation -----------------------------------------------------------------------


async def test_a_revocation_ends_the_open_placement_once_however_often_it_is_delivered(
    world: World, database: asyncpg.Connection, kafka_bootstrap: str
) -> None:
    klien = await world.klien()
    placement_id = await world.placement(klien.client_id, await world.employer())

    revoked_id = await revoke(world, klien)

    ended = await until_ended(world, placement_id)
    assert (ended["end_reason"], ended["ended_on"], ended["version"]) == (
        "revoked",
        today().isoformat(),
        2,
    )
    [_, end] = await stored_events(database, placement_id)
    assert (end.event_type, end.causation_id, end.actor.model_dump()) == (
        "PlacementEnded",
        revoked_id,
        REACTING_ACTOR,
    )

    cause = await enrolment_event(kafka_bootstrap, klien, "SupervisionEnded")
    await EventPublisher(world.feed.producer).send(cause)
    await until_learnt_in_order(world)

    assert [e.event_type for e in await stored_events(database, placement_id)] == [
        "ClientPlaced",
        "PlacementEnded",
    ]
    assert (await placement(world, placement_id))["version"] == 2


async def test_a_completed_supervision_leaves_the_placement_open(
    world: World, database: asyncpg.Connection
) -> None:
    klien = await world.klien()
    placement_id = await world.placement(klien.client_id, await world.employer())

    completed_id = await _end_supervision(world, klien, "completed")
    await world.until_learnt({klien.client_id: "supervision_ended"})

    assert (await placement(world, placement_id))["status"] == "active"
    assert await caused_by(database, completed_id) == []


async def test_a_klien_without_an_open_placement_has_nothing_ended(
    world: World, database: asyncpg.Connection
) -> None:
    never_placed = await world.klien()
    resigned = await world.klien()
    placement_id = await world.placement(resigned.client_id, await world.employer())
    ending = await world.command(
        f"/api/v1/placements/{placement_id}/end",
        {"ended_on": today().isoformat(), "reason": "resigned"},
    )
    assert ending.status_code == 201, ending.text

    causes = [await revoke(world, never_placed), await revoke(world, resigned)]
    await world.until_learnt(
        {never_placed.client_id: "supervision_ended", resigned.client_id: "supervision_ended"}
    )

    assert [await caused_by(database, cause) for cause in causes] == [[], []]
    ended = await placement(world, placement_id)
    assert (ended["end_reason"], ended["version"]) == ("resigned", 2)


# -- transfer -------------------------------------------------------------------------


async def test_a_transfer_ends_the_placement_at_the_office_left_for_moved(
    world: World, database: asyncpg.Connection, kafka_bootstrap: str
) -> None:
    klien = await world.klien()
    placement_id = await world.placement(klien.client_id, await world.employer())

    await transfer(world, klien, BAPAS, NEW_OFFICE)

    ended = await until_ended(world, placement_id)
    assert (ended["end_reason"], ended["ended_on"], ended["bapas_code"]) == (
        "moved",
        today().isoformat(),
        BAPAS,
    )
    moved_out = await enrolment_event(kafka_bootstrap, klien, "ClientTransferredOut")
    [_, end] = await stored_events(database, placement_id)
    assert (end.causation_id, end.correlation_id, end.actor.model_dump()) == (
        moved_out.event_id,
        moved_out.correlation_id,
        REACTING_ACTOR,
    )


async def test_after_a_transfer_the_new_office_places_the_klien_and_the_old_one_cannot(
    world: World, database: asyncpg.Connection
) -> None:
    old_employer = await world.employer()
    new_employer = await world.employer(NEW_OFFICE)
    old_vacancy = await world.vacancy(old_employer)
    new_vacancy = await world.vacancy(new_employer, NEW_OFFICE)
    klien, enrolment_id = await world.trained_klien()
    await world.until_learnt(
        {klien.client_id: "under_supervision"},
        completions=[enrolment_id],
        programmes=[await world.programme()],
    )
    assert klien.client_id in await candidate_ids(world, old_vacancy, BAPAS)

    await transfer(world, klien, BAPAS, NEW_OFFICE)
    await until_supervised_by(database, klien, NEW_OFFICE)

    assert klien.client_id in await candidate_ids(world, new_vacancy, NEW_OFFICE)
    assert klien.client_id not in await candidate_ids(world, old_vacancy, BAPAS)
    refused = await world.place(klien.client_id, old_employer)
    assert "not supervised by Bapas balikpapan" in assert_problem(refused, 409)["detail"]
    placed = await world.place(klien.client_id, new_employer, headers=officer(NEW_OFFICE))
    placed_id = created_id(placed)
    assert (await placement(world, placed_id, NEW_OFFICE))["client_id"] == str(klien.client_id)


async def test_a_transfer_without_a_placement_at_the_office_left_ends_nothing(
    world: World, database: asyncpg.Connection, kafka_bootstrap: str
) -> None:
    klien = await world.klien()

    await transfer(world, klien, BAPAS, NEW_OFFICE)
    await until_supervised_by(database, klien, NEW_OFFICE)

    moved_out = await enrolment_event(kafka_bootstrap, klien, "ClientTransferredOut")
    assert await caused_by(database, moved_out.event_id) == []


# -- rebuild --------------------------------------------------------------------------


async def test_a_rebuilt_projection_ends_no_placement_a_second_time(
    world: World,
    database: asyncpg.Connection,
    employment_database_url: str,
    kafka_bootstrap: str,
) -> None:
    revoked = await world.klien()
    revoked_placement = await world.placement(revoked.client_id, await world.employer())
    await revoke(world, revoked)
    returned = await world.klien()
    employer_id = await world.employer()
    first_placement = await world.placement(returned.client_id, employer_id)
    await transfer(world, returned, BAPAS, NEW_OFFICE)
    await until_ended(world, first_placement)
    await transfer(world, returned, NEW_OFFICE, BAPAS)
    await until_supervised_by(database, returned, BAPAS)
    placed_again = await world.placement(returned.client_id, employer_id)
    await until_ended(world, revoked_placement)

    await rebuild(kafka_bootstrap, employment_database_url)

    assert [e.event_type for e in await stored_events(database, revoked_placement)] == [
        "ClientPlaced",
        "PlacementEnded",
    ]
    assert [e.event_type for e in await stored_events(database, first_placement)] == [
        "ClientPlaced",
        "PlacementEnded",
    ]
    assert (await placement(world, placed_again))["status"] == "active"
    assert [e.event_type for e in await stored_events(database, placed_again)] == ["ClientPlaced"]
