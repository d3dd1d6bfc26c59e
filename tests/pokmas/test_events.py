"""Every command publishes its event on pokmas.events.v1, keyed by the office code, in
a complete envelope, with the aggregate's versions 1..n and no gaps."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import httpx

from shared.events.envelope import Actor, AggregateType, Source
from shared.events.pokmas import (
    Contact,
    MoURenewed,
    MoUSigned,
    MoUTerminated,
    PokmasContactChanged,
    PokmasRegistered,
    ProgrammeClosed,
    ProgrammeOpened,
)
from tests.pokmas.helpers import (
    BAPAS,
    OFFICER,
    days,
    mou_body,
    open_programme,
    partner_with_mou,
    pokmas_body,
    published_events,
    register_pokmas,
)

NEW_CONTACT = {"name": "Pak Budi", "phone": "0812-7777-0202", "email": "budi@maju.example"}


async def test_mou_life_cycle_is_published_in_order_keyed_by_the_office(
    client: httpx.AsyncClient, kafka_bootstrap: str
) -> None:
    pokmas_id = await register_pokmas(client)
    correlation_id = uuid4()
    signed = await client.post(
        f"/api/v1/pokmas/{pokmas_id}/mous",
        json=mou_body(valid_until=days(200)),
        headers={**OFFICER, "X-Correlation-ID": str(correlation_id)},
    )
    mou_id = UUID(signed.json()["id"])
    await client.post(
        f"/api/v1/mous/{mou_id}/renewal", json={"valid_until": days(500)}, headers=OFFICER
    )
    terminated = await client.post(
        f"/api/v1/mous/{mou_id}/termination",
        json={"effective_on": days(0), "reason": "Pokmas membubarkan diri"},
        headers=OFFICER,
    )

    published = await published_events(kafka_bootstrap, {mou_id}, count=3)

    assert [key for key, _ in published] == [BAPAS.encode()] * 3
    events = [event for _, event in published]
    assert [type(event.payload) for event in events] == [MoUSigned, MoURenewed, MoUTerminated]
    assert [event.aggregate_version for event in events] == [1, 2, 3]
    assert terminated.json() == {
        "id": str(mou_id),
        "version": 3,
        "event_id": str(events[2].event_id),
    }
    assert events[0].payload == MoUSigned(
        mou_id=mou_id,
        pokmas_id=pokmas_id,
        number=mou_body()["number"],
        signed_on=date.fromisoformat(days(0)),
        valid_from=date.fromisoformat(days(0)),
        valid_until=date.fromisoformat(days(200)),
        scope=("ac_repair", "car_upholstery"),
    )
    assert events[1].payload == MoURenewed(
        mou_id=mou_id,
        valid_until=date.fromisoformat(days(500)),
        renewed_on=date.fromisoformat(days(0)),
    )
    assert events[2].payload == MoUTerminated(
        mou_id=mou_id,
        effective_on=date.fromisoformat(days(0)),
        reason="Pokmas membubarkan diri",
    )


async def test_envelope_says_who_did_what_where_and_in_which_request(
    client: httpx.AsyncClient, kafka_bootstrap: str
) -> None:
    pokmas_id = await register_pokmas(client)
    correlation_id = uuid4()
    response = await client.post(
        f"/api/v1/pokmas/{pokmas_id}/mous",
        json=mou_body(),
        headers={**OFFICER, "X-Correlation-ID": str(correlation_id)},
    )
    mou_id = UUID(response.json()["id"])

    [(_, signed)] = await published_events(kafka_bootstrap, {mou_id}, count=1)

    assert signed.event_id == UUID(response.json()["event_id"])
    assert (signed.event_type, signed.schema_version) == ("MoUSigned", 1)
    assert (signed.source, signed.bapas_code) == (Source.POKMAS, BAPAS)
    assert (signed.aggregate_type, signed.aggregate_id) == (AggregateType.MOU, mou_id)
    assert signed.correlation_id == correlation_id
    assert signed.causation_id is None
    assert signed.actor == Actor(role="bapas_officer", sub="pk-balikpapan")
    assert signed.occurred_at <= signed.recorded_at


async def test_registering_a_pokmas_and_changing_its_contact_are_published(
    client: httpx.AsyncClient, kafka_bootstrap: str
) -> None:
    registered = await client.post("/api/v1/pokmas", json=pokmas_body(), headers=OFFICER)
    pokmas_id = UUID(registered.json()["id"])
    changed = await client.put(
        f"/api/v1/pokmas/{pokmas_id}/contact", json={"contact": NEW_CONTACT}, headers=OFFICER
    )

    published = await published_events(kafka_bootstrap, {pokmas_id}, count=2)

    assert (registered.status_code, changed.status_code) == (201, 200)
    assert changed.headers["Location"] == f"/api/v1/pokmas/{pokmas_id}"
    events = [event for _, event in published]
    assert [event.aggregate_version for event in events] == [1, 2]
    assert isinstance(events[0].payload, PokmasRegistered)
    assert events[0].payload.skills == ("ac_repair", "car_upholstery", "wallpaper_installation")
    assert events[1].payload == PokmasContactChanged(
        pokmas_id=pokmas_id, contact=Contact(**NEW_CONTACT)
    )


async def test_changed_contact_shows_on_the_pokmas(client: httpx.AsyncClient) -> None:
    pokmas_id = await register_pokmas(client)
    await client.put(
        f"/api/v1/pokmas/{pokmas_id}/contact", json={"contact": NEW_CONTACT}, headers=OFFICER
    )

    shown = (await client.get(f"/api/v1/pokmas/{pokmas_id}", headers=OFFICER)).json()

    assert (shown["contact"], shown["version"]) == (NEW_CONTACT, 2)


async def test_opening_and_closing_a_programme_are_published(
    client: httpx.AsyncClient, kafka_bootstrap: str
) -> None:
    pokmas_id, mou_id = await partner_with_mou(client)
    programme_id = await open_programme(client, pokmas_id, mou_id, capacity=8)
    closed = await client.post(
        f"/api/v1/programmes/{programme_id}/closure",
        json={"closed_on": days(0), "reason": "Instruktur pindah tugas"},
        headers=OFFICER,
    )

    published = await published_events(kafka_bootstrap, {programme_id}, count=2)

    assert closed.status_code == 201
    events = [event for _, event in published]
    assert [event.aggregate_version for event in events] == [1, 2]
    opened = events[0].payload
    assert isinstance(opened, ProgrammeOpened)
    assert (opened.pokmas_id, opened.mou_id, opened.skill, opened.capacity) == (
        pokmas_id,
        mou_id,
        "ac_repair",
        8,
    )
    assert events[1].payload == ProgrammeClosed(
        programme_id=programme_id,
        closed_on=date.fromisoformat(days(0)),
        reason="Instruktur pindah tugas",
    )
