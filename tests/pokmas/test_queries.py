"""The query side: list filters and paging, and a programme's seats taken, counted
from the enrolment service's events."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import httpx

from shared.events.enrolment import (
    Assessment,
    ClientEnrolled,
    TrainingCompleted,
    TrainingWithdrawn,
    WithdrawalReason,
)
from shared.events.envelope import Actor, Envelope, EventPayload, new_envelope
from shared.http import Role
from shared.kafka.topics import ENROLMENT_EVENTS
from tests.pokmas.helpers import (
    BAPAS,
    OFFICER,
    days,
    open_programme,
    partner_with_mou,
    register_pokmas,
    sign_mou,
)
from tests.support.counting_projection import publish_events
from tests.support.service_app import bearer


async def listed_ids(
    client: httpx.AsyncClient, path: str, id_field: str, **params: Any
) -> list[str]:
    response = await client.get(path, params=params, headers=OFFICER)
    assert response.status_code == 200, response.text
    return [item[id_field] for item in response.json()["items"]]


async def terminate(client: httpx.AsyncClient, mou_id: UUID) -> None:
    response = await client.post(
        f"/api/v1/mous/{mou_id}/termination",
        json={"effective_on": days(0), "reason": "Tidak aktif"},
        headers=OFFICER,
    )
    assert response.status_code == 201


async def test_mou_list_filters_by_status(client: httpx.AsyncClient) -> None:
    pokmas_id = await register_pokmas(client)
    active = await sign_mou(client, pokmas_id)
    ended = await sign_mou(client, pokmas_id, number="PKS/BPP/002/2025")
    await terminate(client, ended)

    by_status = {
        status: await listed_ids(
            client, "/api/v1/mous", "mou_id", pokmas_id=pokmas_id, status=status
        )
        for status in ("active", "terminated", "expired")
    }

    assert by_status == {"active": [str(active)], "terminated": [str(ended)], "expired": []}


async def test_mou_list_shows_active_mous_expiring_within_the_days(
    client: httpx.AsyncClient,
) -> None:
    pokmas_id = await register_pokmas(client)
    in_10_days = await sign_mou(client, pokmas_id, valid_until=days(10))
    in_40_days = await sign_mou(client, pokmas_id, valid_until=days(40))
    await sign_mou(client, pokmas_id, valid_until=days(100))
    await terminate(client, await sign_mou(client, pokmas_id, valid_until=days(5)))

    within = {
        n: await listed_ids(
            client, "/api/v1/mous", "mou_id", pokmas_id=pokmas_id, expiring_within_days=n
        )
        for n in (9, 30, 40)
    }

    assert within == {9: [], 30: [str(in_10_days)], 40: [str(in_10_days), str(in_40_days)]}


async def test_mou_list_pages_by_valid_until(client: httpx.AsyncClient) -> None:
    pokmas_id = await register_pokmas(client)
    signed = [await sign_mou(client, pokmas_id, valid_until=days(n)) for n in (50, 10, 30, 40, 20)]
    pages: list[list[str]] = []
    params: dict[str, Any] = {"pokmas_id": str(pokmas_id), "limit": 2}

    while True:
        page = (await client.get("/api/v1/mous", params=params, headers=OFFICER)).json()
        pages.append([item["valid_until"] for item in page["items"]])
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]

    assert len(signed) == 5
    assert pages == [[days(10), days(20)], [days(30), days(40)], [days(50)]]


async def test_programme_list_filters_by_skill_and_status(client: httpx.AsyncClient) -> None:
    pokmas_id, mou_id = await partner_with_mou(client, scope=["ac_repair", "interior_design"])
    ac_repair = await open_programme(client, pokmas_id, mou_id, skill="ac_repair")
    design = await open_programme(client, pokmas_id, mou_id, skill="interior_design")
    closed = await open_programme(client, pokmas_id, mou_id, skill="interior_design")
    await client.post(
        f"/api/v1/programmes/{closed}/closure",
        json={"closed_on": days(0), "reason": "Batal"},
        headers=OFFICER,
    )

    async def ids(**filters: str) -> set[str]:
        path = "/api/v1/programmes"
        return set(await listed_ids(client, path, "programme_id", pokmas_id=pokmas_id, **filters))

    assert await ids(skill="ac_repair") == {str(ac_repair)}
    assert await ids(skill="interior_design", status="open") == {str(design)}
    assert await ids(status="closed") == {str(closed)}


async def test_pokmas_list_filters_by_bapas(client: httpx.AsyncClient) -> None:
    in_samarinda = await register_pokmas(client, "samarinda")
    in_balikpapan = await register_pokmas(client)
    regional = bearer(Role.REGIONAL, province="kalimantan-timur")

    response = await client.get(
        "/api/v1/pokmas", params={"bapas_code": "samarinda", "limit": 500}, headers=regional
    )

    shown = {item["pokmas_id"] for item in response.json()["items"]}
    assert str(in_samarinda) in shown
    assert str(in_balikpapan) not in shown
    assert {item["bapas_code"] for item in response.json()["items"]} == {"samarinda"}


def enrolment_event(payload: EventPayload, version: int = 1) -> Envelope[EventPayload]:
    return new_envelope(
        payload,
        bapas_code=BAPAS,
        aggregate_version=version,
        correlation_id=uuid4(),
        actor=Actor(role="bapas_officer", sub="pk-balikpapan"),
        occurred_at=datetime.now(UTC),
    )


def enrolled(enrolment_id: UUID, programme_id: UUID, pokmas_id: UUID) -> Envelope[EventPayload]:
    return enrolment_event(
        ClientEnrolled(
            enrolment_id=enrolment_id,
            client_id=uuid4(),
            programme_id=programme_id,
            pokmas_id=pokmas_id,
            enrolled_on=date.fromisoformat(days(7)),
        )
    )


async def enrolled_seats(client: httpx.AsyncClient, programme_id: UUID) -> int:
    shown = await client.get(f"/api/v1/programmes/{programme_id}", headers=OFFICER)
    seats: int = shown.json()["enrolled"]
    return seats


async def test_programme_detail_counts_seats_taken_from_enrolment_events(
    client: httpx.AsyncClient, kafka_bootstrap: str
) -> None:
    pokmas_id, mou_id = await partner_with_mou(client)
    programme_id = await open_programme(client, pokmas_id, mou_id, capacity=12)
    sentinel_programme = await open_programme(client, pokmas_id, mou_id)
    withdrawn, completed, enrolled_twice = uuid4(), uuid4(), uuid4()
    first_enrolment = enrolled(enrolled_twice, programme_id, pokmas_id)
    await publish_events(
        kafka_bootstrap,
        ENROLMENT_EVENTS,
        [
            enrolled(withdrawn, programme_id, pokmas_id),
            enrolled(completed, programme_id, pokmas_id),
            first_enrolment,
            enrolment_event(
                TrainingWithdrawn(
                    enrolment_id=withdrawn,
                    client_id=uuid4(),
                    programme_id=programme_id,
                    withdrawn_on=date.fromisoformat(days(8)),
                    reason_code=WithdrawalReason.EMPLOYED,
                ),
                version=2,
            ),
            enrolment_event(
                TrainingCompleted(
                    enrolment_id=completed,
                    client_id=uuid4(),
                    programme_id=programme_id,
                    completed_on=date.fromisoformat(days(60)),
                    assessment=Assessment.COMPETENT,
                ),
                version=2,
            ),
            first_enrolment,  # delivered twice: still one seat
            # Same key, same partition, after the others: once it counts, they have.
            enrolled(uuid4(), sentinel_programme, pokmas_id),
        ],
    )

    async with asyncio.timeout(30):
        while await enrolled_seats(client, sentinel_programme) != 1:
            await asyncio.sleep(0.2)

    shown = (await client.get(f"/api/v1/programmes/{programme_id}", headers=OFFICER)).json()
    assert (shown["capacity"], shown["enrolled"]) == (12, 2)
