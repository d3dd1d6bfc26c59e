"""Who is told what, turned into deliveries to record.

For an announced event (:func:`event_notices`) or a daily reminder
(:func:`mou_expiring_notices`, :func:`supervision_ending_notices`,
:func:`retention_check_notices`), a :class:`Notice` is one recipient, the template to
tell them with and the facts it shows. Each notice becomes at most one delivery
(:func:`delivery_of`): rendered now, on the channel that reaches the recipient. A
recipient the directory does not know (an event about a Pokmas or a klien whose earlier
events never arrived, or a klien transferred with no PK officer named yet) is left out
and logged. A notice's cause names the klien it is about, which its delivery records:
the klien the event names or whose enrolment it names, for a reminder the klien of the
release or placement whose date it is, none for a Pokmas's or an MoU's.

A message names a klien by register number only, never by name or NIK, and shows none
of the free texts of the supervision events (a transfer's reason may name people).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeVar
from uuid import UUID, uuid4

from services.notifications.deliveries import Cause, NewDelivery
from services.notifications.directory import (
    ClientEntry,
    Directory,
    EndingSupervision,
    ExpiringMou,
    PlacementAtCheck,
    office_recipient,
)
from services.notifications.domain import (
    RETENTION_REMINDERS,
    Recipient,
    Reminder,
    reach,
    who_is_told_of,
)
from services.notifications.messages import render
from shared.events.employment import ClientPlaced, PlacementKind, RetentionMilestone, VacancyPosted
from shared.events.enrolment import (
    ClientEnrolled,
    ClientReleased,
    ClientTransferredIn,
    ClientTransferredOut,
    EnrolmentSuspended,
    IntegrationType,
    PkOfficer,
    TrainingCompleted,
    TrainingWithdrawn,
)
from shared.events.envelope import Envelope, EventPayload
from shared.events.notifications import Channel, RecipientKind
from shared.events.pokmas import MoUExpired, MoUSigned, MoUTerminated
from shared.indonesian import (
    ASSESSMENTS,
    INTEGRATION_TYPES,
    PLACEMENT_KINDS,
    RETENTION_MILESTONES,
    WITHDRAWAL_REASONS,
    format_time,
    skill_name,
)
from shared.reference import bapas_office

log = logging.getLogger(__name__)

Facts = Mapping[str, object]
E = TypeVar("E")

UNKNOWN_REGISTER_NUMBER = "(tidak tercatat)"
UNKNOWN_PROGRAMME = "(program tidak tercatat)"
UNKNOWN_MOU_NUMBER = "(nomor tidak tercatat)"
UNKNOWN_POKMAS = "Pokmas mitra"
UNKNOWN_EMPLOYER = "(pemberi kerja tidak tercatat)"
UNKNOWN_INTEGRATION = "program integrasi"


@dataclass(frozen=True, slots=True)
class Notice:
    cause: Cause
    recipient: Recipient
    template: str
    facts: Facts


def _template_base(event_type: str) -> str:
    """``MoUSigned`` → ``mou_signed``; ``ClientEnrolled`` → ``client_enrolled``."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", "_", event_type.replace("MoU", "Mou")).lower()


def delivery_of(notice: Notice, *, sms_enabled: bool) -> NewDelivery | None:
    """The delivery that tells the notice's recipient, or ``None`` if none can reach them."""
    reached = reach(notice.recipient, sms_enabled=sms_enabled)
    if reached is None:
        log.info(
            "no e-mail or SMS reaches %s %s about %s; nothing is recorded for them",
            notice.recipient.kind.value,
            notice.recipient.key,
            notice.cause.event_id,
        )
        return None
    channel, address = reached
    facts = {
        **notice.facts,
        "recipient": notice.recipient,
        "bapas": bapas_office(notice.cause.bapas_code),
    }
    message = render(notice.template, facts)
    # An SMS carries the template's short text (the subject if it has none).
    body = (message.sms or message.subject) if channel is Channel.SMS else message.body
    return NewDelivery(
        notification_id=uuid4(),
        cause=notice.cause,
        recipient_kind=notice.recipient.kind,
        recipient_key=notice.recipient.key,
        channel=channel,
        address=address,
        template=notice.template,
        subject=message.subject,
        body=body,
    )


# -- announced events -----------------------------------------------------------------


def event_notices(event: Envelope[EventPayload], directory: Directory) -> list[Notice]:
    """Who is told of ``event`` (:func:`who_is_told_of`) and with which facts."""
    kinds = who_is_told_of(event.payload)
    if not kinds:
        return []
    facts = _event_facts(event, directory)
    office = bapas_office(event.bapas_code)
    recipients: dict[RecipientKind, Recipient | None] = {
        RecipientKind.BAPAS: office_recipient(office),
        RecipientKind.POKMAS: _pokmas_contact(event.payload, directory),
        RecipientKind.PK_OFFICER: _officer(event.payload, directory),
    }
    cause = Cause.of(event, directory.klien_of(event.payload))
    base = _template_base(event.event_type)
    notices = []
    for kind in kinds:
        recipient = recipients[kind]
        if recipient is None:
            log.warning("no %s known for %s %s", kind.value, event.event_type, event.event_id)
            continue
        notices.append(Notice(cause, recipient, f"{base}.{kind.value}", facts))
    return notices


def _client_of(payload: EventPayload, directory: Directory) -> ClientEntry | None:
    return _lookup(directory.clients, directory.klien_of(payload))


def _lookup(entries: Mapping[UUID, E], entity_id: object) -> E | None:
    return entries.get(entity_id) if isinstance(entity_id, UUID) else None


def _pokmas_id_of(payload: EventPayload, directory: Directory) -> UUID | None:
    match payload:
        case ClientEnrolled(pokmas_id=pokmas_id):
            return pokmas_id
        case EnrolmentSuspended(enrolment_id=enrolment_id, mou_id=mou_id):
            enrolment = directory.enrolments.get(enrolment_id)
            mou = directory.mous.get(mou_id)
            return enrolment.pokmas_id if enrolment else mou.pokmas_id if mou else None
        case MoUSigned(pokmas_id=pokmas_id):
            return pokmas_id
        case MoUTerminated(mou_id=mou_id) | MoUExpired(mou_id=mou_id):
            mou = directory.mous.get(mou_id)
            return mou.pokmas_id if mou else None
    return None


def _pokmas_contact(payload: EventPayload, directory: Directory) -> Recipient | None:
    entry = _lookup(directory.pokmas, _pokmas_id_of(payload, directory))
    return entry.contact if entry else None


def _officer(payload: EventPayload, directory: Directory) -> Recipient | None:
    match payload:  # these events name the officer themselves
        case ClientReleased(pk_officer=officer):
            return _named_officer(officer)
        case ClientTransferredIn(pk_officer=officer):  # the new office's, if named yet
            return _named_officer(officer) if officer else None
    client = _client_of(payload, directory)
    return client.officer if client else None


def _named_officer(officer: PkOfficer) -> Recipient:
    return Recipient(
        RecipientKind.PK_OFFICER, officer.id, officer.name, email=officer.email, phone=officer.phone
    )


def _event_facts(event: Envelope[EventPayload], directory: Directory) -> dict[str, object]:
    payload = event.payload
    client = _client_of(payload, directory)
    pokmas = _lookup(directory.pokmas, _pokmas_id_of(payload, directory))
    programme = _lookup(directory.programmes, getattr(payload, "programme_id", None))
    mou = _lookup(directory.mous, getattr(payload, "mou_id", None))
    employer_name = _lookup(directory.employers, getattr(payload, "employer_id", None))
    facts: dict[str, object] = {
        "event": payload,
        "recorded_at": format_time(event.recorded_at, bapas_office(event.bapas_code).time_zone),
        "register_number": client.register_number if client else UNKNOWN_REGISTER_NUMBER,
        "pokmas_name": pokmas.name if pokmas else UNKNOWN_POKMAS,
        "programme": (
            f"“{programme.title}” ({skill_name(programme.skill)})"
            if programme
            else UNKNOWN_PROGRAMME
        ),
        "mou_number": mou.number if mou else UNKNOWN_MOU_NUMBER,
        "employer_name": employer_name or UNKNOWN_EMPLOYER,
        "integration": (
            INTEGRATION_TYPES[IntegrationType(client.integration_type)]
            if client
            else UNKNOWN_INTEGRATION
        ),
        "pk_officer": _officer(payload, directory),
    }
    match payload:
        case ClientReleased(register_number=number, integration_type=integration):
            facts["register_number"] = number
            facts["integration"] = INTEGRATION_TYPES[integration]
        case TrainingCompleted(assessment=assessment):
            facts["assessment"] = ASSESSMENTS[assessment]
        case TrainingWithdrawn(reason_code=reason):
            facts["reason"] = WITHDRAWAL_REASONS[reason]
        case VacancyPosted(skill=skill):
            facts["skill"] = skill_name(skill)
        case ClientPlaced(kind=kind, started_on=started_on):
            facts["kind"] = PLACEMENT_KINDS[kind]
            facts["retention_checks"] = [
                (RETENTION_MILESTONES[milestone], started_on + timedelta(days=milestone.first_day))
                for milestone in RetentionMilestone
            ]
        case ClientTransferredOut(to_bapas_code=code):
            facts["to_office"] = bapas_office(code)
        case ClientTransferredIn(from_bapas_code=code):
            facts["from_office"] = bapas_office(code)
    return facts


# -- daily reminders ------------------------------------------------------------------


def mou_expiring_notices(
    mou: ExpiringMou, reminder: Reminder, *, today: date, check: UUID
) -> list[Notice]:
    """The Bapas office and the Pokmas contact are reminded of an MoU's end."""
    cause = Cause(
        event_id=mou.term_event_id,
        event_type=mou.term_event_type,
        correlation_id=check,
        bapas_code=mou.bapas_code,
        client_id=None,
        reminder=reminder,
    )
    facts: Facts = {
        "recorded_at": None,
        "mou_number": mou.number,
        "pokmas_name": mou.pokmas.name if mou.pokmas else UNKNOWN_POKMAS,
        "valid_until": mou.valid_until,
        "days": (mou.valid_until - today).days,
    }
    recipients = [office_recipient(bapas_office(mou.bapas_code))]
    if mou.pokmas is not None:
        recipients.append(mou.pokmas.contact)
    return [
        Notice(cause, recipient, f"{reminder.template}.{recipient.kind.value}", facts)
        for recipient in recipients
    ]


def supervision_ending_notices(
    ending: EndingSupervision, *, today: date, check: UUID
) -> list[Notice]:
    """The PK officer is reminded that a klien's supervision ends soon."""
    reminder = Reminder.SUPERVISION_ENDING_14
    cause = Cause(
        event_id=ending.release_event_id,
        event_type=ClientReleased.event_type,
        correlation_id=check,
        bapas_code=ending.bapas_code,
        client_id=ending.client.client_id,
        reminder=reminder,
    )
    facts: Facts = {
        "recorded_at": None,
        "register_number": ending.client.register_number,
        "integration": INTEGRATION_TYPES[IntegrationType(ending.client.integration_type)],
        "ends_on": ending.supervision_ends_on,
        "days": (ending.supervision_ends_on - today).days,
    }
    return _officer_reminded(cause, reminder, ending.client, facts)


def retention_check_notices(
    placement: PlacementAtCheck, milestone: RetentionMilestone, *, check: UUID
) -> list[Notice]:
    """The PK officer is reminded that a placement's retention check is due."""
    reminder = RETENTION_REMINDERS[milestone]
    cause = Cause(
        event_id=placement.placed_event_id,
        event_type=ClientPlaced.event_type,
        correlation_id=check,
        bapas_code=placement.bapas_code,
        client_id=placement.client.client_id,
        reminder=reminder,
    )
    facts: Facts = {
        "recorded_at": None,
        "register_number": placement.client.register_number,
        "employer_name": placement.employer_name or UNKNOWN_EMPLOYER,
        "kind": PLACEMENT_KINDS[PlacementKind(placement.kind)],
        "started_on": placement.started_on,
        "milestone": RETENTION_MILESTONES[milestone],
        "due_on": placement.started_on + timedelta(days=milestone.first_day),
    }
    return _officer_reminded(cause, reminder, placement.client, facts)


def _officer_reminded(
    cause: Cause, reminder: Reminder, client: ClientEntry, facts: Facts
) -> list[Notice]:
    """The klien's PK officer reminded, if the klien has one now."""
    officer = client.officer
    if officer is None:
        return []
    return [Notice(cause, officer, f"{reminder.template}.{officer.kind.value}", facts)]


def is_fresh(event: Envelope[EventPayload], *, now: datetime, max_age_hours: float) -> bool:
    """Whether an event is recent enough to announce (not old news replayed)."""
    return (now - event.recorded_at).total_seconds() <= max_age_hours * 3600
