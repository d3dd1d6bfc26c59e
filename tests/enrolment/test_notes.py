"""Notes about a klien (a re-offence's, a report's, a transfer's reason, a withdrawal's,
an attendance concern) stay in the enrolment service, sealed under the klien's key:
its events carry ``null``, no table holds the text in clear, the officers (and for an
enrolment, its Pokmas partner) read it where it belongs, others read ``null``, the
export holds every note, and erasing the profile erases them."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx

from shared.http import Role
from tests.enrolment.conftest import enrolment_instance
from tests.enrolment.helpers import (
    PokmasFeed,
    attendance_body,
    days,
    enrolled_klien,
    enrolment_topic_messages,
    officer,
    release_client,
)
from tests.support.service_app import bearer

MINISTRY = bearer(Role.MINISTRY)


async def posted(api: httpx.AsyncClient, path: str, body: dict[str, Any], **headers: str) -> None:
    response = await api.post(f"/api/v1{path}", json=body, headers=headers or officer())
    assert response.status_code == 201, response.text


async def shown(api: httpx.AsyncClient, path: str, headers: dict[str, str]) -> Any:
    response = await api.get(f"/api/v1{path}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def tables_holding(database: asyncpg.Connection, text: str) -> list[str]:
    """The tables of the service's database with a row whose text holds ``text``."""
    tables = await database.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    )
    return [
        table["tablename"]
        for table in tables
        if await database.fetchval(
            f'SELECT true FROM "{table["tablename"]}" t WHERE t::text LIKE $1 LIMIT 1',
            f"%{text}%",
        )
    ]


async def report_next_due_date(
    api: httpx.AsyncClient, client_id: UUID, note: str | None
) -> httpx.Response:
    klien = await shown(api, f"/clients/{client_id}", officer())
    return await api.post(
        f"/api/v1/clients/{client_id}/reports",
        json={
            "due_on": klien["reporting"]["next_due_on"],
            "reported_on": days(0).isoformat(),
            "status": "reported",
            "channel": "in_person",
            "note": note,
        },
        headers=officer(),
    )


async def test_notes_are_read_where_they_belong_and_never_kept_or_published_in_clear(
    api: httpx.AsyncClient, feed: PokmasFeed, database: asyncpg.Connection, kafka_bootstrap: str
) -> None:
    marker = f"catatan-{uuid4().hex}"
    programme = await feed.open_programme()
    client_id, enrolment_id = await enrolled_klien(api, programme)
    at = days(0).isoformat()
    await posted(api, f"/clients/{client_id}/reoffence", {"recorded_on": at, "note": f"{marker} R"})
    assert (await report_next_due_date(api, client_id, f"{marker} L")).status_code == 201
    await posted(
        api,
        f"/enrolments/{enrolment_id}/attendance",
        attendance_body(1, programme, "late") | {"concern": f"{marker} K"},
        **programme.partner,
    )
    await posted(
        api,
        f"/enrolments/{enrolment_id}/withdrawal",
        {"withdrawn_on": at, "reason_code": "employed", "note": f"{marker} W"},
    )

    klien = await shown(api, f"/clients/{client_id}", officer())
    reports = await shown(api, f"/clients/{client_id}/reports", officer())
    seen_by = {
        "officer": await shown(api, f"/enrolments/{enrolment_id}", officer()),
        "partner": await shown(api, f"/enrolments/{enrolment_id}", programme.partner),
        "ministry": await shown(api, f"/enrolments/{enrolment_id}", MINISTRY),
    }
    listed = await shown(api, f"/enrolments?client_id={client_id}", programme.partner)
    assert [r["note"] for r in klien["reoffences"]] == [f"{marker} R"]
    assert [r["note"] for r in reports] == [f"{marker} L"]
    for who in ("officer", "partner"):
        assert seen_by[who]["withdrawal_note"] == f"{marker} W"
        assert [s["concern"] for s in seen_by[who]["attendance"]] == [f"{marker} K"]
    assert listed["items"][0]["withdrawal_note"] == f"{marker} W"
    assert seen_by["ministry"]["withdrawal_note"] is None
    assert [s["concern"] for s in seen_by["ministry"]["attendance"]] == [None]
    ministry_view = await shown(api, f"/clients/{client_id}", MINISTRY)
    assert [r["note"] for r in ministry_view["reoffences"]] == [None]
    assert [r["note"] for r in await shown(api, f"/clients/{client_id}/reports", MINISTRY)] == [
        None
    ]

    moved = await api.post(
        f"/api/v1/clients/{client_id}/transfer",
        json={"to_bapas_code": "makassar", "transferred_on": at, "reason": f"{marker} T"},
        headers=officer(),
    )
    assert moved.status_code == 201, moved.text
    export = await shown(api, f"/clients/{client_id}/export", officer("makassar"))
    assert sorted(note["text"] for note in export["notes"]) == [
        f"{marker} {kind}" for kind in "KLRTW"
    ]
    assert export["enrolments"][0]["withdrawal_note"] == f"{marker} W"

    assert await tables_holding(database, marker) == []
    published = await enrolment_topic_messages(kafka_bootstrap, [client_id, enrolment_id], 9)
    assert len(published) == 9
    assert [value for value, _ in published if marker.encode() in value] == []


async def test_erasing_the_profile_erases_the_notes_and_no_note_is_kept_after(
    api: httpx.AsyncClient, database: asyncpg.Connection
) -> None:
    client_id = await release_client(api)
    await posted(
        api, f"/clients/{client_id}/reoffence", {"recorded_on": days(0).isoformat(), "note": "X"}
    )
    erased = await api.delete(f"/api/v1/clients/{client_id}/profile", headers=officer())
    assert erased.status_code == 204, erased.text

    klien = await shown(api, f"/clients/{client_id}", officer())
    assert [r["note"] for r in klien["reoffences"]] == [None]
    assert (
        await database.fetchval("SELECT count(*) FROM client_notes WHERE client_id = $1", client_id)
        == 0
    )
    with_a_note = await report_next_due_date(api, client_id, "Datang bersama kakaknya.")
    assert with_a_note.status_code == 422
    assert [e["field"] for e in with_a_note.json()["errors"]] == ["body.note"]
    assert await shown(api, f"/clients/{client_id}/reports", officer()) == []
    assert (await report_next_due_date(api, client_id, None)).status_code == 201


async def test_notes_kept_in_clear_before_are_sealed_when_the_service_starts(
    api: httpx.AsyncClient,
    database: asyncpg.Connection,
    package_database_url: str,
    kafka_bootstrap: str,
) -> None:
    client_id = await release_client(api)
    await posted(api, f"/clients/{client_id}/reoffence", {"recorded_on": days(0).isoformat()})
    assert (await report_next_due_date(api, client_id, None)).status_code == 201
    await posted(
        api,
        f"/clients/{client_id}/transfer",
        {"to_bapas_code": "makassar", "transferred_on": days(0).isoformat(), "reason": "-"},
    )
    old = f"lama-{uuid4().hex}"
    # As the service kept them before: in the read models, and in the stored events.
    await database.execute("DELETE FROM client_notes WHERE client_id = $1", client_id)
    await database.execute(
        "UPDATE clients SET reoffences = jsonb_set(reoffences, '{0,note}', to_jsonb($2::text))"
        " WHERE client_id = $1",
        client_id,
        f"{old} R",
    )
    await database.execute(
        "UPDATE client_reports SET note = $2 WHERE client_id = $1", client_id, f"{old} L"
    )
    for event_type, field, text in (
        ("ReportRecorded", "note", f"{old} L"),
        ("ClientTransferredOut", "reason", f"{old} T"),
    ):
        await database.execute(
            "UPDATE events SET envelope = jsonb_set(envelope::jsonb, ARRAY['payload', $3::text],"
            " to_jsonb($4::text))::json WHERE aggregate_id = $1 AND event_type = $2",
            client_id,
            event_type,
            field,
            text,
        )

    async with enrolment_instance(package_database_url, kafka_bootstrap):
        pass

    assert await tables_holding(database, old) == []
    new_office = officer("makassar")
    klien = await shown(api, f"/clients/{client_id}", new_office)
    assert [r["note"] for r in klien["reoffences"]] == [f"{old} R"]
    assert [r["note"] for r in await shown(api, f"/clients/{client_id}/reports", new_office)] == [
        f"{old} L"
    ]
    export = await shown(api, f"/clients/{client_id}/export", new_office)
    assert sorted(n["text"] for n in export["notes"]) == [f"{old} {kind}" for kind in "LRT"]
