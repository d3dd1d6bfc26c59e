"""Retention: a klien's profile (with its notes) is erased once its time after the end of
supervision has passed (five years by default), at the klien's Bapas, once however often
and by however many instances the job runs; nothing happens while the supervision goes
on.

The job is called with a chosen instant (its clock is injected), on instances with a
database of their own, because it acts on every klien of the database.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import httpx
import pytest

from services.enrolment.application import erase_profiles_past_retention
from services.enrolment.domain import years_after
from tests.enrolment.conftest import EnrolmentInstance, enrolment_instance
from tests.enrolment.helpers import days, officer, release_client

WITA = ZoneInfo("Asia/Makassar")


@pytest.fixture
async def service(database_url: str, kafka_bootstrap: str) -> AsyncIterator[EnrolmentInstance]:
    async with enrolment_instance(database_url, kafka_bootstrap) as instance:
        yield instance


def start_of(day: date) -> datetime:
    """The first instant of ``day`` at Balikpapan."""
    return datetime.combine(day, time(0), tzinfo=WITA).astimezone(UTC)


async def end_supervision(client: httpx.AsyncClient, client_id: UUID, ended_on: date) -> None:
    response = await client.post(
        f"/api/v1/clients/{client_id}/supervision-end",
        json={"ended_on": ended_on.isoformat(), "outcome": "completed"},
        headers=officer(),
    )
    assert response.status_code == 201, response.text


async def profile_of(client: httpx.AsyncClient, client_id: UUID) -> object:
    shown = (await client.get(f"/api/v1/clients/{client_id}", headers=officer())).json()
    return shown["profile"]


def test_the_anniversary_of_a_leap_day_is_the_28th_of_february() -> None:
    assert years_after(date(2024, 2, 29), 5) == date(2029, 2, 28)
    assert years_after(date(2026, 11, 30), 5) == date(2031, 11, 30)


async def test_a_profile_is_erased_once_on_the_anniversary_of_the_end_of_supervision(
    service: EnrolmentInstance,
) -> None:
    ended = await release_client(service.client)
    ongoing = await release_client(service.client)
    ended_on = days(0)
    reoffence = await service.client.post(
        f"/api/v1/clients/{ended}/reoffence",
        json={"recorded_on": ended_on.isoformat(), "note": "Dilaporkan oleh tetangganya."},
        headers=officer(),
    )
    assert reoffence.status_code == 201, reoffence.text
    await end_supervision(service.client, ended, ended_on)
    anniversary = start_of(years_after(ended_on, 5))

    before = await erase_profiles_past_retention(service.store, anniversary - timedelta(seconds=1))
    on_the_day = await erase_profiles_past_retention(service.store, anniversary)
    again = await erase_profiles_past_retention(service.store, anniversary + timedelta(days=40))

    assert before == []
    assert [(e.event_type, e.aggregate_id) for e in on_the_day] == [("ClientProfileErased", ended)]
    assert on_the_day[0].actor.sub == "enrolment.retention"
    assert again == []
    assert await profile_of(service.client, ended) is None
    assert await profile_of(service.client, ongoing) is not None  # still under supervision
    shown = (await service.client.get(f"/api/v1/clients/{ended}", headers=officer())).json()
    assert shown["profile_erased_on"] == years_after(ended_on, 5).isoformat()
    assert [r["note"] for r in shown["reoffences"]] == [None]
    notes_left = await service.runtime.pool.fetchval(
        "SELECT count(*) FROM client_notes WHERE client_id = $1", ended
    )
    assert notes_left == 0


async def test_a_shorter_retention_is_configuration_and_two_instances_erase_once(
    database_url: str, kafka_bootstrap: str
) -> None:
    async with (
        enrolment_instance(database_url, kafka_bootstrap) as first,
        enrolment_instance(database_url, kafka_bootstrap) as second,
    ):
        client_id = await release_client(first.client)
        await end_supervision(first.client, client_id, days(0))
        a_year_on = start_of(years_after(days(0), 1))

        together = await asyncio.gather(
            erase_profiles_past_retention(first.store, a_year_on, years=1),
            erase_profiles_past_retention(second.store, a_year_on, years=1),
        )
        history = await first.store.load_history(client_id)

    assert sorted(len(run) for run in together) == [0, 1]
    assert [event.event_type for event in history].count("ClientProfileErased") == 1
