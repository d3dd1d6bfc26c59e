"""The daily job expires an MoU on the day after its valid_until, in its Bapas's own
time zone, exactly once: however often it runs and however many instances run it.

Each test runs its own instances on a fresh database, because the job acts on every
MoU of the database, and calls the job with a chosen instant (its clock is injected).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import httpx
import pytest

from services.pokmas.application import expire_lapsed_mous
from shared.events.pokmas import MoUExpired, MoURenewed, MoUSigned
from shared.http import Role
from tests.pokmas.conftest import PokmasInstance, pokmas_instance
from tests.pokmas.helpers import (
    OFFICER,
    days,
    partner_with_mou,
    programme_body,
    published_events,
)
from tests.support.service_app import bearer

WITA = ZoneInfo("Asia/Makassar")
MINISTRY = bearer(Role.MINISTRY)


@pytest.fixture
async def service(database_url: str, kafka_bootstrap: str) -> AsyncIterator[PokmasInstance]:
    async with pokmas_instance(database_url, kafka_bootstrap) as instance:
        yield instance


def at_midnight_after(valid_until: str, zone: ZoneInfo = WITA) -> datetime:
    """The first instant of the day after ``valid_until`` at an office in ``zone``."""
    day_after = date.fromisoformat(valid_until) + timedelta(days=1)
    return datetime.combine(day_after, time(0), tzinfo=zone).astimezone(UTC)


async def mou_status(client: httpx.AsyncClient, mou_id: UUID) -> str:
    shown = (await client.get(f"/api/v1/mous/{mou_id}", headers=MINISTRY)).json()
    status: str = shown["status"]
    return status


async def test_mou_expires_on_the_day_after_valid_until_with_its_event(
    service: PokmasInstance, kafka_bootstrap: str
) -> None:
    _, mou_id = await partner_with_mou(service.client, valid_until=days(30))
    await service.client.post(
        f"/api/v1/mous/{mou_id}/renewal", json={"valid_until": days(90)}, headers=OFFICER
    )
    midnight = at_midnight_after(days(90))

    before = await expire_lapsed_mous(service.store, midnight - timedelta(seconds=1))
    on_the_day = await expire_lapsed_mous(service.store, midnight)

    assert (before, on_the_day) == ([], [mou_id])
    published = await published_events(kafka_bootstrap, {mou_id}, count=3)
    events = [event for _, event in published]
    assert [type(event.payload) for event in events] == [MoUSigned, MoURenewed, MoUExpired]
    assert [event.aggregate_version for event in events] == [1, 2, 3]
    assert events[2].payload == MoUExpired(mou_id=mou_id, expired_on=date.fromisoformat(days(91)))
    assert events[2].actor.role == "service"


async def test_expired_mou_shows_as_expired(service: PokmasInstance) -> None:
    _, mou_id = await partner_with_mou(service.client, valid_until=days(30))

    await expire_lapsed_mous(service.store, at_midnight_after(days(30)))

    shown = (await service.client.get(f"/api/v1/mous/{mou_id}", headers=OFFICER)).json()
    assert (shown["status"], shown["expired_on"], shown["version"]) == ("expired", days(31), 2)


async def test_the_day_after_comes_at_midnight_in_each_bapas_own_time_zone(
    service: PokmasInstance,
) -> None:
    # Balikpapan is on WITA (UTC+8), Jakarta Pusat on WIB (UTC+7): an hour apart.
    valid_until = days(30, "jakarta-pusat")
    _, in_balikpapan = await partner_with_mou(service.client, valid_until=valid_until)
    _, in_jakarta = await partner_with_mou(
        service.client,
        "jakarta-pusat",
        signed_on=days(0, "jakarta-pusat"),
        valid_from=days(0, "jakarta-pusat"),
        valid_until=valid_until,
    )

    expired = await expire_lapsed_mous(
        service.store, at_midnight_after(valid_until) + timedelta(minutes=30)
    )

    assert expired == [in_balikpapan]
    assert await mou_status(service.client, in_jakarta) == "active"


async def test_mou_expires_exactly_once_across_two_instances_and_reruns(
    database_url: str, kafka_bootstrap: str
) -> None:
    async with (
        pokmas_instance(database_url, kafka_bootstrap) as first,
        pokmas_instance(database_url, kafka_bootstrap) as second,
    ):
        _, mou_id = await partner_with_mou(first.client, valid_until=days(30))
        midnight = at_midnight_after(days(30))

        together = await asyncio.gather(
            expire_lapsed_mous(first.store, midnight),
            expire_lapsed_mous(second.store, midnight),
        )
        again = await asyncio.gather(
            expire_lapsed_mous(second.store, midnight + timedelta(days=1)),
            expire_lapsed_mous(first.store, midnight + timedelta(days=1)),
        )

        history = await first.store.load_history(mou_id)
        published = await published_events(kafka_bootstrap, {mou_id}, count=2)

    assert sorted(together, key=len) == [[], [mou_id]]
    assert list(again) == [[], []]
    assert [type(event.payload) for event in history] == [MoUSigned, MoUExpired]
    assert [type(event.payload) for _, event in published] == [MoUSigned, MoUExpired]


async def test_expired_mou_cannot_be_terminated(service: PokmasInstance) -> None:
    _, mou_id = await partner_with_mou(
        service.client, valid_from=days(-30), signed_on=days(-30), valid_until=days(0)
    )
    await expire_lapsed_mous(service.store, at_midnight_after(days(0)))

    response = await service.client.post(
        f"/api/v1/mous/{mou_id}/termination",
        json={"effective_on": days(0), "reason": "Tidak aktif"},
        headers=OFFICER,
    )

    assert response.status_code == 409
    assert "expired" in response.json()["detail"]


async def test_renewing_an_expired_mou_makes_it_active_again(service: PokmasInstance) -> None:
    _, mou_id = await partner_with_mou(
        service.client, valid_from=days(-30), signed_on=days(-30), valid_until=days(0)
    )
    await expire_lapsed_mous(service.store, at_midnight_after(days(0)))

    renewal = await service.client.post(
        f"/api/v1/mous/{mou_id}/renewal", json={"valid_until": days(400)}, headers=OFFICER
    )
    mou = await service.client.get(f"/api/v1/mous/{mou_id}", headers=OFFICER)

    assert renewal.status_code == 201
    assert (mou.json()["status"], mou.json()["valid_until"]) == ("active", days(400))


async def test_no_programme_opens_under_an_expired_mou(service: PokmasInstance) -> None:
    pokmas_id, mou_id = await partner_with_mou(
        service.client, valid_from=days(-30), signed_on=days(-30), valid_until=days(0)
    )
    await expire_lapsed_mous(service.store, at_midnight_after(days(0)))

    response = await service.client.post(
        f"/api/v1/pokmas/{pokmas_id}/programmes",
        json=programme_body(mou_id, starts_on=days(-20), ends_on=days(-1)),
        headers=bearer(Role.POKMAS_PARTNER, bapas="balikpapan", pokmas_id=pokmas_id),
    )

    assert response.status_code == 409
    assert "rule 1" in response.json()["detail"]
    assert "expired" in response.json()["detail"]
