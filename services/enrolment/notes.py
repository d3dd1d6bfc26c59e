"""Notes about a klien, sealed under the klien's own data key and never on the wire.

Officers and partners write free text about a klien: the note of a re-offence or of a
report, the reason of a transfer, the note of a withdrawal, a concern about a session.
Such text may name people (a victim, a family member, an employer), so it is kept the
way the profile is (UU 27/2022):

* it is encrypted (AES-256-GCM) under the klien's data key, bound to the klien and to
  what it is about, so a row copied elsewhere does not decrypt; the events that record
  the facts carry ``None`` in its field (:class:`~services.enrolment.domain.PrivateNote`),
  so no topic, subscriber or webhook ever holds it;
* erasing the klien's profile deletes its data key and these rows: nothing can give the
  text back, while the events stay;
* it is shown to the same people as before, where the record it belongs to is shown
  (:class:`KlienNotes` fills it in), and it is all in the klien's export.

Notes written before they were sealed lie in clear in the read models:
:func:`seal_notes_kept_in_clear` moves them here when the service starts.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel

from services.enrolment.domain import (
    PrivateNote,
    attendance_concern,
    reoffence_note,
    report_note,
    withdrawal_note,
)
from services.enrolment.profiles import (
    NONCE_BYTES,
    ProfileUnreadable,
    ProfileVault,
    client_data_key,
)
from services.enrolment.queries import ClientDetail, DueDate, EnrolmentSummary
from shared.postgres.pool import Connection

log = logging.getLogger(__name__)


class KeptNote(BaseModel):
    """One note as the klien's export shows it."""

    about: str
    text: str


def _bound(client_id: UUID, about: str) -> bytes:
    return client_id.bytes + about.encode()


def seal(data_key: AESGCM, client_id: UUID, about: str, text: str) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + data_key.encrypt(nonce, text.encode(), _bound(client_id, about))


def unseal(data_key: AESGCM, client_id: UUID, about: str, sealed: bytes) -> str:
    try:
        plain = data_key.decrypt(
            sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], _bound(client_id, about)
        )
    except InvalidTag:
        raise ProfileUnreadable(f"a note of klien {client_id} does not decrypt") from None
    return plain.decode()


async def keep_note(connection: Connection, vault: ProfileVault, note: PrivateNote) -> bool:
    """Seal and keep ``note`` (replacing one about the same thing); ``False`` when the
    klien's data key is gone (its profile was erased), and nothing is kept."""
    data_key = await client_data_key(connection, vault, note.client_id)
    if data_key is None:
        return False
    await connection.execute(
        "INSERT INTO client_notes (client_id, about, sealed) VALUES ($1, $2, $3)"
        " ON CONFLICT (client_id, about) DO UPDATE SET sealed = EXCLUDED.sealed",
        note.client_id,
        note.about,
        seal(data_key, note.client_id, note.about, note.text),
    )
    return True


async def erase_notes(connection: Connection, client_id: UUID) -> None:
    await connection.execute("DELETE FROM client_notes WHERE client_id = $1", client_id)


@dataclass(frozen=True)
class KlienNotes:
    """The notes of some klien, in clear, for a caller entitled to them."""

    texts: dict[tuple[UUID, str], str] = field(default_factory=dict)

    def of(self, client_id: UUID, about: str) -> str | None:
        return self.texts.get((client_id, about))

    def kept(self, client_id: UUID) -> list[KeptNote]:
        """Every note of ``client_id``, ordered by what it is about."""
        return [
            KeptNote(about=about, text=text)
            for (klien, about), text in sorted(self.texts.items())
            if klien == client_id
        ]

    def fill_client(self, client: ClientDetail) -> None:
        for index, reoffence in enumerate(client.reoffences):
            reoffence.note = self.of(client.client_id, reoffence_note(index))

    def fill_due_dates(self, client_id: UUID, due_dates: Iterable[DueDate]) -> None:
        for due_date in due_dates:
            due_date.note = self.of(client_id, report_note(due_date.due_on))

    def fill_enrolment(self, enrolment: EnrolmentSummary) -> None:
        enrolment.withdrawal_note = self.of(
            enrolment.client_id, withdrawal_note(enrolment.enrolment_id)
        )
        for session in getattr(enrolment, "attendance", ()):
            session.concern = self.of(
                enrolment.client_id, attendance_concern(enrolment.enrolment_id, session.session_no)
            )


async def notes_of(
    connection: Connection, vault: ProfileVault, client_ids: Sequence[UUID]
) -> KlienNotes:
    """The notes of ``client_ids``, decrypted (none for a klien whose key is erased)."""
    if not client_ids:
        return KlienNotes()
    rows = await connection.fetch(
        "SELECT n.client_id, n.about, n.sealed, k.wrapped_key, k.master_key_id"
        " FROM client_notes n"
        " JOIN client_data_keys k USING (client_id) WHERE n.client_id = ANY($1::uuid[])",
        list(set(client_ids)),
    )
    texts: dict[tuple[UUID, str], str] = {}
    keys: dict[UUID, AESGCM] = {}
    for row in rows:
        klien: UUID = row["client_id"]
        if klien not in keys:
            keys[klien] = vault.data_key(klien, row["wrapped_key"], row["master_key_id"])
        texts[(klien, row["about"])] = unseal(keys[klien], klien, row["about"], row["sealed"])
    return KlienNotes(texts)


_IN_CLEAR: tuple[tuple[str, str], ...] = (
    (
        "SELECT client_id, 'report/' || due_on::text AS about, note AS text"
        " FROM client_reports WHERE note IS NOT NULL",
        "UPDATE client_reports SET note = NULL"
        " WHERE client_id = $1 AND 'report/' || due_on::text = $2",
    ),
    (
        "SELECT client_id, 'withdrawal/' || enrolment_id::text AS about, withdrawal_note AS text"
        " FROM enrolments WHERE withdrawal_note IS NOT NULL",
        "UPDATE enrolments SET withdrawal_note = NULL"
        " WHERE client_id = $1 AND 'withdrawal/' || enrolment_id::text = $2",
    ),
    (
        "SELECT e.client_id, 'attendance/' || a.enrolment_id::text || '/' || a.session_no::text"
        " AS about, a.concern AS text FROM enrolment_attendance a"
        " JOIN enrolments e USING (enrolment_id) WHERE a.concern IS NOT NULL",
        "UPDATE enrolment_attendance a SET concern = NULL FROM enrolments e"
        " WHERE e.enrolment_id = a.enrolment_id AND e.client_id = $1"
        " AND 'attendance/' || a.enrolment_id::text || '/' || a.session_no::text = $2",
    ),
)
"""For each read-model column that held notes in clear: its notes, and how one is cleared."""


async def seal_notes_kept_in_clear(connection: Connection, vault: ProfileVault) -> int:
    """Move the notes recorded before notes were sealed from the read models (in clear)
    into :func:`keep_note`, and clear them there; one transaction, idempotent. A note of
    a klien whose key is erased is only cleared. Returns how many were moved."""
    moved = 0
    async with connection.transaction():
        notes: list[tuple[PrivateNote, str]] = []
        for select, clear in _IN_CLEAR:
            for row in await connection.fetch(select):
                notes.append(
                    (PrivateNote(row["client_id"], row["about"], "note", row["text"]), clear)
                )
        for row in await connection.fetch(
            "SELECT client_id, reoffences FROM clients"
            " WHERE jsonb_path_exists(reoffences, '$[*] ? (@.note != null)')"
        ):
            entries = json.loads(row["reoffences"])
            for index, entry in enumerate(entries):
                if entry.get("note") is not None:
                    about = reoffence_note(index)
                    notes.append((PrivateNote(row["client_id"], about, "note", entry["note"]), ""))
                    entry["note"] = None
            await connection.execute(
                "UPDATE clients SET reoffences = $2::jsonb WHERE client_id = $1",
                row["client_id"],
                json.dumps(entries),
            )
        for note, clear in notes:
            moved += await keep_note(connection, vault, note)
            if clear:
                await connection.execute(clear, note.client_id, note.about)
    if moved:
        log.info("notes sealed under their klien's keys", extra={"notes": moved})
    return moved
