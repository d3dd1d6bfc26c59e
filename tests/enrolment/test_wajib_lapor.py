"""Wajib lapor in the running service: the check records a due date as missed at
midnight at the klien's own Bapas (WITA for Balikpapan, WIB for Jakarta), once however
many instances run it; compliance shows on the klien; a report ends the streak; a
revocation withdraws the klien's open enrolments.

The check is called with a chosen instant (its clock is injected), on instances with a
database of their own, because it acts on every klien of the database.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest

from services.enrolment.application import check_reports
from tests.enrolment.conftest import EnrolmentInstance, enrolment_instance
from tests.enrolment.helpers import (
    PokmasFeed,
    days,
    enrolled_klien,
    enrolment_topic_messages,
    officer,
    release_client,
    wait_for_status,
)

WITA = ZoneInfo("Asia/Makassar")
WIB = ZoneInfo("Asia/Jakarta")
JAKARTA = "jakarta-pusat"


@pytest.fixture
async def service(database_url: str, kafka_bootstrap: str) -> AsyncIterator[EnrolmentInstance]:
    async with enrolment_instance(database_url, kafka_bootstrap) as instance:
        yield instance


def midnight_after(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of the day after ``day`` at an office in ``zone``."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)


async def schedule(
    client: httpx.AsyncClient, client_id: UUID, bapas_code: str, first_due_on: date, every: int
) -> None:
    response = await client.post(
        f"/api/v1/clients/{client_id}/reporting-schedule",
        json={"first_due_on": first_due_on.isoformat(), "every_days": every},
        headers=officer(bapas_code),
    )
    assert response.status_code == 201, response.text


async def reporting(
    client: httpx.AsyncClient, client_id: UUID, bapas_code: str = "balikpapan"
) -> dict[str, Any]:
    response = await client.get(f"/api/v1/clients/{client_id}", headers=officer(bapas_code))
    assert response.status_code == 200, response.text
    shown: dict[str, Any] = response.json()["reporting"]
    return shown


def missed(events: list[Any]) -> list[tuple[UUID, date]]:
    return [
        (event.aggregate_id, event.payload.due_on)
        for event in events
        if event.event_type == "ReportMissed"
    ]


async def test_a_release_shows_its_default_schedule(service: EnrolmentInstance) -> None:
    client_id = await release_client(service.client, integration_type="CMB")

    shown = await reporting(service.client, client_id)

    assert shown == {
        "every_days": 14,
        "next_due_on": (days(-30) + timedelta(days=14)).isoformat(),
        "missed_in_a_row": 0,
        "revocation_recommended": False,
    }


async def test_a_due_date_passes_at_midnight_at_the_klien_s_own_bapas(
    service: EnrolmentInstance,
) -> None:
    due_on = days(3)
    in_balikpapan = await release_client(service.client)
    in_jakarta = await release_client(service.client, JAKARTA)
    await schedule(service.client, in_balikpapan, "balikpapan", due_on, 30)
    await schedule(service.client, in_jakarta, JAKARTA, due_on, 30)
    wita_midnight = midnight_after(due_on, WITA)  # 23:00 of the due date in Jakarta

    before = await check_reports(service.store, wita_midnight - timedelta(seconds=1))
    at_wita_midnight = await check_reports(service.store, wita_midnight)
    at_wib_midnight = await check_reports(service.store, midnight_after(due_on, WIB))

    assert before == []
    assert missed(at_wita_midnight) == [(in_balikpapan, due_on)]
    assert missed(at_wib_midnight) == [(in_jakarta, due_on)]
    assert at_wita_midnight[0].bapas_code == "balikpapan"
    shown = await reporting(service.client, in_balikpapan)
    assert shown["missed_in_a_row"] == 1
    assert shown["next_due_on"] == (due_on + timedelta(days=30)).isoformat()


async def test_two_instances_record_each_missed_due_date_once(
    database_url: str, kafka_bootstrap: str
) -> None:
    async with (
        enrolment_instance(database_url, kafka_bootstrap) as first,
        enrolment_instance(database_url, kafka_bootstrap) as second,
    ):
        client_id = await release_client(first.client)
        due_dates = [days(-20), days(-13), days(-6)]
        await schedule(first.client, client_id, "balikpapan", due_dates[0], 7)
        now = datetime.now(UTC)

        together = await asyncio.gather(
            check_reports(first.store, now), check_reports(second.store, now)
        )
        again = await asyncio.gather(
            check_reports(second.store, now), check_reports(first.store, now)
        )
        history = await first.store.load_history(client_id)
        published = await enrolment_topic_messages(kafka_bootstrap, [client_id], count=7)

    recorded = [event.event_type for run in together for event in run]
    assert sorted(recorded) == ["ReportMissed"] * 3 + ["RevocationRecommended"]
    assert list(again) == [[], []]
    expected = [
        "ClientReleased",
        "ReportingScheduled",
        "ReportingScheduled",
        "ReportMissed",
        "ReportMissed",
        "ReportMissed",
        "RevocationRecommended",
    ]
    assert [event.event_type for event in history] == expected
    assert [event.event_type for _, event in published] == expected
    recommendation = history[-1].payload
    assert recommendation.missed_due_dates == due_dates  # type: ignore[attr-defined]


async def test_a_late_report_ends_the_streak_and_the_recommendation(
    service: EnrolmentInstance,
) -> None:
    client_id = await release_client(service.client)
    due_dates = [days(-20), days(-13), days(-6)]
    await schedule(service.client, client_id, "balikpapan", due_dates[0], 7)
    await check_reports(service.store, datetime.now(UTC))
    assert await reporting(service.client, client_id) == {
        "every_days": 7,
        "next_due_on": days(1).isoformat(),
        "missed_in_a_row": 3,
        "revocation_recommended": True,
    }

    response = await service.client.post(
        f"/api/v1/clients/{client_id}/reports",
        json={
            "due_on": due_dates[2].isoformat(),
            "reported_on": days(-4).isoformat(),
            "status": "late",
            "channel": "video",
            "note": "Came two days late: his mother was ill.",
        },
        headers=officer(),
    )
    assert response.status_code == 201, response.text

    shown = await reporting(service.client, client_id)
    assert (shown["missed_in_a_row"], shown["revocation_recommended"]) == (0, False)
    listed = await service.client.get(f"/api/v1/clients/{client_id}/reports", headers=officer())
    assert [(d["due_on"], d["outcome"], d["missed"]) for d in listed.json()] == [
        (due_dates[2].isoformat(), "late", True),
        (due_dates[1].isoformat(), "missed", True),
        (due_dates[0].isoformat(), "missed", True),
    ]


async def test_report_refusals_name_the_field(service: EnrolmentInstance) -> None:
    client_id = await release_client(service.client)
    await schedule(service.client, client_id, "balikpapan", days(-6), 7)

    async def refused(**body: str) -> tuple[int, list[str]]:
        values = {
            "due_on": days(-6).isoformat(),
            "reported_on": days(-6).isoformat(),
            "status": "reported",
            "channel": "in_person",
        } | body
        response = await service.client.post(
            f"/api/v1/clients/{client_id}/reports", json=values, headers=officer()
        )
        problem = response.json()
        return response.status_code, [e["field"] for e in problem.get("errors", [])]

    assert await refused(due_on=days(-5).isoformat()) == (422, ["body.due_on"])
    assert await refused(reported_on=days(1).isoformat()) == (422, ["body.reported_on"])
    assert await refused(reported_on=days(-5).isoformat()) == (422, ["body.status"])
    assert await refused(status="sometimes") == (422, ["body.status"])
    assert await refused(due_on="2026-02-30") == (422, ["body.due_on"])
    other = await service.client.post(
        f"/api/v1/clients/{client_id}/reports",
        json={
            "due_on": days(-6).isoformat(),
            "reported_on": days(-6).isoformat(),
            "status": "reported",
            "channel": "in_person",
        },
        headers=officer(JAKARTA),
    )
    assert other.status_code == 403


async def test_a_revocation_withdraws_the_open_enrolments_once(
    api: httpx.AsyncClient, feed: PokmasFeed, database: asyncpg.Connection
) -> None:
    programme = await feed.open_programme()
    client_id, enrolment_id = await enrolled_klien(api, programme)

    ended = await api.post(
        f"/api/v1/clients/{client_id}/supervision-end",
        json={"ended_on": days(0).isoformat(), "outcome": "revoked"},
        headers=officer(),
    )
    again = await api.post(
        f"/api/v1/clients/{client_id}/supervision-end",
        json={"ended_on": days(0).isoformat(), "outcome": "revoked"},
        headers=officer(),
    )

    assert ended.status_code == 201, ended.text
    assert again.status_code == 409
    withdrawn = await wait_for_status(api, enrolment_id, "withdrawn")
    assert withdrawn["withdrawal_reason"] == "revoked"
    rows = await database.fetch(
        "SELECT event_type, envelope::jsonb ->> 'causation_id' AS causation FROM events"
        " WHERE aggregate_id = ANY($1::uuid[]) ORDER BY recorded_at, aggregate_version",
        [client_id, enrolment_id],
    )
    ended_id = ended.json()["event_id"]
    withdrawals = [row for row in rows if row["event_type"] == "TrainingWithdrawn"]
    assert [row["causation"] for row in withdrawals] == [ended_id]
