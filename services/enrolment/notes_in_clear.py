"""Notes recorded before notes were sealed, found in clear and sealed when the service
starts (a data migration: every instance runs it, and it finds nothing the second time).

Until then a note travelled in its event's field and was copied into the read models,
so it lies in clear in two places of the service's database:

* the stored events (the event store, which a republish would publish again): each
  note is sealed under what it is about, as the command would seal it now, and the
  event's field set to ``null``; a transfer's reason, which no read model kept, is
  found only here;
* the read models (a report's note, a withdrawal's, an attendance concern, the notes
  in a klien's list of re-offences): each is sealed the same way and cleared.

A note of a klien whose profile is erased is only cleared: nothing can seal it. The
rows are taken in one order under their locks, so two instances starting together
take turns, and a command of a running instance waits for the few rows it touches.
What the topics hold of these notes is history this service cannot change; publishing
the event store again into a new topic (``bapas outbox republish``) leaves them behind.
Partial indexes (the service's migrations) find what is left at once, so the check at
each start costs nothing once all is sealed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import date
from typing import Any, Final
from uuid import UUID

from services.enrolment.domain import (
    PrivateNote,
    attendance_concern,
    reoffence_note,
    report_note,
    transfer_reason,
    withdrawal_note,
)
from services.enrolment.notes import keep_note
from services.enrolment.profiles import ProfileVault
from shared.postgres.pool import Connection

log = logging.getLogger(__name__)

FIELD_OF: Final[Mapping[str, str]] = {
    "ClientReoffended": "note",
    "ReportRecorded": "note",
    "ClientTransferredOut": "reason",
    "TrainingWithdrawn": "note",
    "AttendanceRecorded": "concern",
}
"""The field each event kept a note in."""

# The same predicate as the partial index events_note_in_clear.
_EVENTS_WITH_A_NOTE = """
SELECT aggregate_id, aggregate_version, event_type, envelope::jsonb -> 'payload' AS payload
FROM events
WHERE (event_type IN ('ClientReoffended', 'ReportRecorded', 'TrainingWithdrawn')
       AND envelope::jsonb -> 'payload' ->> 'note' IS NOT NULL)
   OR (event_type = 'ClientTransferredOut'
       AND envelope::jsonb -> 'payload' ->> 'reason' IS NOT NULL)
   OR (event_type = 'AttendanceRecorded'
       AND envelope::jsonb -> 'payload' ->> 'concern' IS NOT NULL)
ORDER BY aggregate_id, aggregate_version
FOR UPDATE
"""

_READ_MODELS: Final = (
    (
        "SELECT client_id, 'report/' || to_char(due_on, 'YYYY-MM-DD') AS about,"
        " note AS text, 'note' AS field FROM client_reports WHERE note IS NOT NULL"
        " ORDER BY client_id, due_on FOR UPDATE",
        "UPDATE client_reports SET note = NULL"
        " WHERE client_id = $1 AND 'report/' || to_char(due_on, 'YYYY-MM-DD') = $2",
    ),
    (
        "SELECT client_id, 'withdrawal/' || enrolment_id::text AS about,"
        " withdrawal_note AS text, 'note' AS field FROM enrolments"
        " WHERE withdrawal_note IS NOT NULL ORDER BY enrolment_id FOR UPDATE",
        "UPDATE enrolments SET withdrawal_note = NULL"
        " WHERE client_id = $1 AND 'withdrawal/' || enrolment_id::text = $2",
    ),
    (
        "SELECT e.client_id, 'attendance/' || a.enrolment_id::text || '/' || a.session_no::text"
        " AS about, a.concern AS text, 'concern' AS field FROM enrolment_attendance a"
        " JOIN enrolments e USING (enrolment_id) WHERE a.concern IS NOT NULL"
        " ORDER BY a.enrolment_id, a.session_no FOR UPDATE OF a",
        "UPDATE enrolment_attendance a SET concern = NULL FROM enrolments e"
        " WHERE e.enrolment_id = a.enrolment_id AND e.client_id = $1"
        " AND 'attendance/' || a.enrolment_id::text || '/' || a.session_no::text = $2",
    ),
)
"""For each read-model column that held notes in clear: its notes, and how one is cleared."""


async def seal_notes_kept_in_clear(connection: Connection, vault: ProfileVault) -> int:
    """Seal every note still in clear in the stored events and the read models, and clear
    it there; one transaction. Returns how many notes were sealed."""
    sealed = 0
    async with connection.transaction():
        for row in await connection.fetch(_EVENTS_WITH_A_NOTE):
            sealed += await _seal_from_event(connection, vault, row)
        for select, clear in _READ_MODELS:
            for row in await connection.fetch(select):
                note = PrivateNote(row["client_id"], row["about"], row["field"], row["text"])
                sealed += await keep_note(connection, vault, note)
                await connection.execute(clear, note.client_id, note.about)
        sealed += await _seal_reoffence_notes(connection, vault)
    if sealed:
        log.info("notes sealed under their klien's keys", extra={"notes": sealed})
    return sealed


async def _seal_from_event(connection: Connection, vault: ProfileVault, row: Any) -> bool:
    event_type: str = row["event_type"]
    aggregate_id: UUID = row["aggregate_id"]
    version: int = row["aggregate_version"]
    payload = json.loads(row["payload"])
    field = FIELD_OF[event_type]
    client_id, about = aggregate_id, ""
    match event_type:
        case "ClientReoffended":
            about = reoffence_note(await _earlier(connection, aggregate_id, event_type, version))
        case "ClientTransferredOut":
            about = transfer_reason(await _earlier(connection, aggregate_id, event_type, version))
        case "ReportRecorded":
            about = report_note(date.fromisoformat(payload["due_on"]))
        case "TrainingWithdrawn":
            client_id, about = UUID(payload["client_id"]), withdrawal_note(aggregate_id)
        case "AttendanceRecorded":
            client_id = await connection.fetchval(
                "SELECT (envelope::jsonb -> 'payload' ->> 'client_id')::uuid FROM events"
                " WHERE aggregate_id = $1 AND aggregate_version = 1",
                aggregate_id,
            )
            about = attendance_concern(aggregate_id, int(payload["session_no"]))
    kept = await keep_note(connection, vault, PrivateNote(client_id, about, field, payload[field]))
    await connection.execute(
        "UPDATE events SET envelope = jsonb_set(envelope::jsonb, ARRAY['payload', $3::text],"
        " 'null'::jsonb)::json WHERE aggregate_id = $1 AND aggregate_version = $2",
        aggregate_id,
        version,
        field,
    )
    return kept


async def _earlier(connection: Connection, client_id: UUID, event_type: str, version: int) -> int:
    """How many events of ``event_type`` the klien has before ``version``: the index its
    note is about (the aggregate counts them the same way)."""
    count: int = await connection.fetchval(
        "SELECT count(*) FROM events"
        " WHERE aggregate_id = $1 AND event_type = $2 AND aggregate_version < $3",
        client_id,
        event_type,
        version,
    )
    return count


async def _seal_reoffence_notes(connection: Connection, vault: ProfileVault) -> int:
    """The notes in klien's lists of re-offences, each about its place in the list."""
    sealed = 0
    for row in await connection.fetch(
        "SELECT client_id, reoffences FROM clients"
        " WHERE jsonb_path_exists(reoffences, '$[*] ? (@.note != null)')"
        " ORDER BY client_id FOR UPDATE"
    ):
        entries = json.loads(row["reoffences"])
        for index, entry in enumerate(entries):
            if entry.get("note") is not None:
                note = PrivateNote(row["client_id"], reoffence_note(index), "note", entry["note"])
                sealed += await keep_note(connection, vault, note)
                entry["note"] = None
        await connection.execute(
            "UPDATE clients SET reoffences = $2::jsonb WHERE client_id = $1",
            row["client_id"],
            json.dumps(entries),
        )
    return sealed
