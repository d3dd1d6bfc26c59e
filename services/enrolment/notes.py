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

Notes written before they were sealed were kept in clear:
:mod:`services.enrolment.notes_in_clear` seals them when the service starts.
"""

from __future__ import annotations

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
from services.enrolment.profiles import NONCE_BYTES, ProfileUnreadable, ProfileVault, erase_profile
from services.enrolment.queries import ClientDetail, DueDate, EnrolmentDetail, EnrolmentSummary
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
    klien's data key is gone (its profile was erased), and nothing is kept.

    The data key's row stays locked (``FOR KEY SHARE``: a rotation may still re-wrap it)
    until the note commits, so an erasure running meanwhile deletes the note with it
    (:func:`erase_klien_data`) instead of leaving it behind.
    """
    row = await connection.fetchrow(
        "SELECT wrapped_key, master_key_id FROM client_data_keys WHERE client_id = $1"
        " FOR KEY SHARE",
        note.client_id,
    )
    if row is None:
        return False
    data_key = vault.data_key(note.client_id, row["wrapped_key"], row["master_key_id"])
    await connection.execute(
        "INSERT INTO client_notes (client_id, about, sealed) VALUES ($1, $2, $3)"
        " ON CONFLICT (client_id, about) DO UPDATE SET sealed = EXCLUDED.sealed",
        note.client_id,
        note.about,
        seal(data_key, note.client_id, note.about, note.text),
    )
    return True


async def erase_klien_data(connection: Connection, client_id: UUID) -> None:
    """Erase the klien's profile, its data key and its notes: nothing kept can give them
    back. The key goes first: a note being kept meanwhile holds the key's row, so this
    waits for it, and then deletes it with the others."""
    await erase_profile(connection, client_id)
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

    def fill_enrolment_detail(self, enrolment: EnrolmentDetail) -> None:
        """The withdrawal's note and each session's concern."""
        self.fill_enrolment(enrolment)
        for session in enrolment.attendance:
            session.concern = self.of(
                enrolment.client_id, attendance_concern(enrolment.enrolment_id, session.session_no)
            )


ENROLMENT_NOTES = ("withdrawal", "attendance")
"""The kinds of note an enrolment shows (what their ``about`` starts with)."""
CLIENT_NOTES = ("reoffence",)
"""The kinds of note a klien's detail shows."""
REPORT_NOTES = ("report",)
"""The kinds of note a klien's due dates show."""


async def notes_of(
    connection: Connection,
    vault: ProfileVault,
    client_ids: Sequence[UUID],
    *,
    kinds: Sequence[str] | None = None,
) -> KlienNotes:
    """The notes of ``client_ids`` (only those of ``kinds``, if given), decrypted; none
    for a klien whose key is erased."""
    if not client_ids:
        return KlienNotes()
    rows = await connection.fetch(
        "SELECT n.client_id, n.about, n.sealed, k.wrapped_key, k.master_key_id"
        " FROM client_notes n JOIN client_data_keys k USING (client_id)"
        " WHERE n.client_id = ANY($1::uuid[])"
        " AND ($2::text[] IS NULL OR split_part(n.about, '/', 1) = ANY($2))",
        list(set(client_ids)),
        None if kinds is None else list(kinds),
    )
    texts: dict[tuple[UUID, str], str] = {}
    keys: dict[UUID, AESGCM] = {}
    for row in rows:
        klien: UUID = row["client_id"]
        if klien not in keys:
            keys[klien] = vault.data_key(klien, row["wrapped_key"], row["master_key_id"])
        texts[(klien, row["about"])] = unseal(keys[klien], klien, row["about"], row["sealed"])
    return KlienNotes(texts)
