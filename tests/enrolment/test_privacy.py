"""Klien profiles are personal data (UU 27/2022): encrypted at rest, in no event and no
log line, and gone for good once erased while the event history stays."""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest

from tests.enrolment.helpers import (
    OFFICER,
    PokmasFeed,
    attend,
    client_body,
    enrol,
    enrolment,
    enrolment_topic_messages,
)


async def _released(api: httpx.AsyncClient) -> tuple[UUID, dict[str, Any]]:
    body = client_body()
    response = await api.post("/api/v1/clients", json=body, headers=OFFICER)
    assert response.status_code == 201, response.text
    return UUID(response.json()["id"]), body["profile"]


async def _erase(api: httpx.AsyncClient, client_id: UUID) -> httpx.Response:
    return await api.delete(f"/api/v1/clients/{client_id}/profile", headers=OFFICER)


async def _dump(database: asyncpg.Connection) -> str:
    """Every row of every table of the service's database, as text."""
    tables = await database.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
    )
    rows = [
        str(row[0])
        for table in tables
        for row in await database.fetch(f'SELECT t::text FROM "{table["tablename"]}" t')
    ]
    return "\n".join(rows)


async def test_no_table_shows_the_nik_or_the_name_in_clear(
    api: httpx.AsyncClient, database: asyncpg.Connection
) -> None:
    client_id, profile = await _released(api)

    dump = await _dump(database)
    sealed = await database.fetchrow(
        "SELECT p.sealed, p.nik_digest, k.wrapped_key FROM client_profiles p"
        " JOIN client_data_keys k USING (client_id) WHERE client_id = $1",
        client_id,
    )

    assert str(client_id) in dump
    assert profile["nik"] not in dump
    assert profile["full_name"] not in dump
    assert sealed is not None
    for stored in sealed.values():
        assert profile["nik"].encode() not in stored
        assert profile["full_name"].encode() not in stored


async def test_no_event_on_the_topic_carries_the_nik_or_the_name(
    api: httpx.AsyncClient, feed: PokmasFeed, kafka_bootstrap: str
) -> None:
    programme = await feed.open_programme(sessions_planned=1)
    client_id, profile = await _released(api)
    enrolled = await enrol(api, client_id, programme)
    enrolment_id = UUID(enrolled.json()["id"])
    await attend(api, enrolment_id, programme, [1])
    await _erase(api, client_id)

    messages = await enrolment_topic_messages(kafka_bootstrap, [client_id, enrolment_id], count=5)

    assert [event.event_type for _, event in messages] == [
        "ClientReleased",
        "ReportingScheduled",
        "ClientEnrolled",
        "AttendanceRecorded",
        "ClientProfileErased",
    ]
    for value, _ in messages:
        assert profile["nik"].encode() not in value
        assert profile["full_name"].encode() not in value


async def test_no_log_line_carries_the_nik_or_the_name(
    api: httpx.AsyncClient, feed: PokmasFeed, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    programme = await feed.open_programme()
    client_id, profile = await _released(api)
    await enrol(api, client_id, programme)
    duplicate = client_body()
    duplicate["profile"]["nik"] = profile["nik"]
    await api.post("/api/v1/clients", json=duplicate, headers=OFFICER)
    await api.get(f"/api/v1/clients/{client_id}", headers=OFFICER)
    await _erase(api, client_id)

    assert caplog.records
    assert profile["nik"] not in caplog.text
    assert profile["full_name"] not in caplog.text


async def test_an_erased_profile_is_shown_to_no_one(
    api: httpx.AsyncClient, feed: PokmasFeed
) -> None:
    programme = await feed.open_programme()
    client_id, _ = await _released(api)
    enrolled = await enrol(api, client_id, programme)

    response = await _erase(api, client_id)

    assert (response.status_code, response.content) == (204, b""), response.text
    client = await api.get(f"/api/v1/clients/{client_id}", headers=OFFICER)
    assert client.json()["profile"] is None
    assert client.json()["profile_erased_on"] is not None
    enrolment_id = UUID(enrolled.json()["id"])
    assert (await enrolment(api, enrolment_id))["trainee_name"] is None
    assert (await enrolment(api, enrolment_id, programme.partner))["trainee_name"] is None


async def test_erasure_deletes_the_data_key_and_the_profile(
    api: httpx.AsyncClient, database: asyncpg.Connection
) -> None:
    client_id, _ = await _released(api)

    await _erase(api, client_id)

    left = await database.fetchval(
        "SELECT (SELECT count(*) FROM client_profiles WHERE client_id = $1)"
        " + (SELECT count(*) FROM client_data_keys WHERE client_id = $1)",
        client_id,
    )
    assert left == 0


async def test_erasure_leaves_the_event_history_intact(
    api: httpx.AsyncClient, database: asyncpg.Connection
) -> None:
    client_id, _ = await _released(api)
    await api.post(
        f"/api/v1/clients/{client_id}/reoffence",
        json={"recorded_on": client_body()["released_on"]},
        headers=OFFICER,
    )

    await _erase(api, client_id)

    history = await database.fetch(
        "SELECT event_type FROM events WHERE aggregate_id = $1 ORDER BY aggregate_version",
        client_id,
    )
    assert [row["event_type"] for row in history] == [
        "ClientReleased",
        "ReportingScheduled",
        "ClientReoffended",
        "ClientProfileErased",
    ]


async def test_a_profile_cannot_be_erased_twice(api: httpx.AsyncClient) -> None:
    client_id, _ = await _released(api)
    await _erase(api, client_id)

    response = await _erase(api, client_id)

    assert response.status_code == 409
    assert "already erased" in response.json()["detail"]
