"""A klien's subject-access export from the notifications service (UU 27/2022: the right
of access): what this service holds of the klien, in one JSON document.

The service keeps no profile, but it learns the klien from the events to know whom to
tell: its office, register number, supervision and PK officer, its enrolments and its
placements (the recipient directory). And it keeps every message it sent about the
klien's events: when, to whom (the klien's officers, its office, the Pokmas of its
training, a webhook subscription), over which channel, the subject and the body as
sent, and what became of it. A message is shown as the delivery history shows a
delivery (:class:`~services.notifications.deliveries.NotificationView`), with its body.

Every delivery records the klien it is about (the klien its cause names, or whose
enrolment it names; for a reminder, the klien of the release or placement whose date it
is), so the klien's messages are exactly the deliveries that name the klien: the
Pokmas's message about its enrolment too, which names no register number, and none of
another klien's, whatever their register numbers. A delivery recorded before
deliveries named their klien is shown once its klien is filled in (when the service was
upgraded for what it could tie to a klien exactly, else when its cause is replayed by a
rebuild of the projection). Who read the klien's data here is in the document too, the
export itself included.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import asyncpg
from pydantic import BaseModel, Field

from services.notifications.deliveries import NotificationView
from shared.access_log import AccessEntry, all_accesses_of
from shared.events.envelope import Source


class Message(NotificationView):
    """A delivery about the klien, with the text it carried."""

    body: str = Field(description="As sent: the message's text, a webhook's event envelope.")


class PkOfficerHere(BaseModel):
    id: str
    name: str
    email: str | None
    phone: str | None


class KlienHere(BaseModel):
    """What the service learnt of the klien from the enrolment events."""

    client_id: UUID
    bapas_code: str = Field(description="The office supervising the klien now.")
    register_number: str
    integration_type: str
    supervision_ends_on: date
    under_supervision: bool
    pk_officer: PkOfficerHere | None = Field(
        description="Told of the klien's events; none after a transfer that named none."
    )


class EnrolmentHere(BaseModel):
    """An enrolment of the klien, with the programme and the Pokmas its messages name."""

    enrolment_id: UUID
    programme_id: UUID
    programme_title: str | None
    skill: str | None
    pokmas_id: UUID
    pokmas_name: str | None


class PlacementHere(BaseModel):
    """A placement of the klien, for the reminders of its retention checks."""

    placement_id: UUID
    bapas_code: str
    employer_id: UUID
    employer_name: str | None
    kind: str
    started_on: date
    checks_recorded: list[str]
    active: bool


class NotificationsExport(BaseModel):
    """What the notifications service holds of one klien."""

    service: Source = Source.NOTIFICATIONS
    client_id: UUID
    exported_at: datetime
    klien: KlienHere
    enrolments: list[EnrolmentHere]
    placements: list[PlacementHere]
    messages: list[Message] = Field(description="The deliveries about the klien, oldest first.")
    access_log: list[AccessEntry]


async def klien_here(pool: asyncpg.Pool, client_id: UUID) -> KlienHere | None:
    row = await pool.fetchrow(
        "SELECT client_id, bapas_code, register_number, integration_type,"
        " supervision_ends_on, under_supervision, officer_id, officer_name, officer_email,"
        " officer_phone FROM clients WHERE client_id = $1",
        client_id,
    )
    if row is None:
        return None
    officer = None
    if row["officer_id"] is not None:
        officer = PkOfficerHere(
            id=row["officer_id"],
            name=row["officer_name"],
            email=row["officer_email"],
            phone=row["officer_phone"],
        )
    return KlienHere.model_validate({**row, "pk_officer": officer})


_ENROLMENTS = """
SELECT e.enrolment_id, e.programme_id, p.title AS programme_title, p.skill, e.pokmas_id,
       k.name AS pokmas_name
FROM enrolments e
LEFT JOIN programmes p ON p.programme_id = e.programme_id
LEFT JOIN pokmas k ON k.pokmas_id = e.pokmas_id
WHERE e.client_id = $1
ORDER BY e.enrolment_id
"""

_PLACEMENTS = """
SELECT p.placement_id, p.bapas_code, p.employer_id, e.name AS employer_name, p.kind,
       p.started_on, p.checked AS checks_recorded, p.active
FROM placements p
LEFT JOIN employers e ON e.employer_id = p.employer_id
WHERE p.client_id = $1
ORDER BY p.started_on, p.placement_id
"""

_MESSAGES = """
SELECT notification_id, cause_event_id, cause_event_type, reminder, bapas_code,
       recipient_kind, channel, address, subscription_id, template, subject, body, status,
       attempts, last_error, created_at, settled_at
FROM deliveries
WHERE client_id = $1
ORDER BY created_at, notification_id
"""


async def export_of(
    pool: asyncpg.Pool, klien: KlienHere, *, exported_at: datetime
) -> NotificationsExport:
    enrolments = await pool.fetch(_ENROLMENTS, klien.client_id)
    placements = await pool.fetch(_PLACEMENTS, klien.client_id)
    messages = await pool.fetch(_MESSAGES, klien.client_id)
    return NotificationsExport(
        client_id=klien.client_id,
        exported_at=exported_at,
        klien=klien,
        enrolments=[EnrolmentHere.model_validate(dict(row)) for row in enrolments],
        placements=[PlacementHere.model_validate(dict(row)) for row in placements],
        messages=[Message.of(dict(row)) for row in messages],
        access_log=await all_accesses_of(pool, klien.client_id),
    )
