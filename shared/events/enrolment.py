"""Events of the enrolment service: klien, their enrolments in training and outcomes.

Written to ``enrolment.events.v1``. A klien's personal data (full name, NIK, phone,
address) never appears here (UU 27/2022): events name the klien only by the
pseudonymous ``client_id``, and the profile stays in the enrolment service's database.
The PK officer's contact details are the officer's work contact, not personal data of
the klien. Nor does free text written about a klien travel (a note, a concern, a
transfer's reason may name people): those fields stay, and carry ``null``.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import Field

from shared.events.envelope import (
    AggregateType,
    ContractModel,
    Email,
    EventPayload,
    Phone,
    ShortText,
    Source,
    Text,
)
from shared.reference.skills import SkillCode

KeptApart = Annotated[
    Text | None,
    Field(
        description="Always null: the text stays in the enrolment service, sealed under "
        "the klien's key, since it may name people. Events recorded before notes were "
        "kept apart may carry it."
    ),
]
"""Free text about a klien that its event leaves out."""


class IntegrationType(StrEnum):
    """The community integration a klien was released into."""

    PB = "PB"  # Pembebasan Bersyarat, parole
    CB = "CB"  # Cuti Bersyarat, conditional leave
    CMB = "CMB"  # Cuti Menjelang Bebas, pre-release leave
    ASIMILASI = "ASIMILASI"  # assimilation in the community


class AttendanceStatus(StrEnum):
    PRESENT = "present"
    LATE = "late"
    ABSENT = "absent"


class Assessment(StrEnum):
    COMPETENT = "competent"
    NOT_YET_COMPETENT = "not_yet_competent"


class WithdrawalReason(StrEnum):
    MOVED = "moved"
    EMPLOYED = "employed"
    HEALTH = "health"
    REVOKED = "revoked"
    NON_ATTENDANCE = "non_attendance"
    OTHER = "other"


class EmploymentKind(StrEnum):
    EMPLOYED = "employed"
    SELF_EMPLOYED = "self_employed"


class SupervisionOutcome(StrEnum):
    COMPLETED = "completed"
    REVOKED = "revoked"


class ReportStatus(StrEnum):
    """How a klien answered one due date of wajib lapor."""

    REPORTED = "reported"  # on or before the due date
    LATE = "late"  # after the due date
    EXCUSED = "excused"  # the officer excused the klien


class ReportChannel(StrEnum):
    IN_PERSON = "in_person"
    VIDEO = "video"


class PkOfficer(ContractModel):
    """The Pembimbing Kemasyarakatan who supervises the klien, with a work contact."""

    id: ShortText = Field(description="The officer's staff identifier (e.g. NIP).")
    name: ShortText
    email: Email | None = None
    phone: Phone | None = None


class EnrolmentServiceEvent(EventPayload):
    """An event of the enrolment service."""

    source: ClassVar[Source] = Source.ENROLMENT


class ClientEvent(EnrolmentServiceEvent):
    """An event of one klien (the Client aggregate), named by its ``client_id``."""

    aggregate_type: ClassVar[AggregateType] = AggregateType.CLIENT

    client_id: UUID

    @property
    def aggregate_id(self) -> UUID:
        return self.client_id


class EnrolmentEvent(EnrolmentServiceEvent):
    """An event of one enrolment (the Enrolment aggregate), named by its ``enrolment_id``."""

    aggregate_type: ClassVar[AggregateType] = AggregateType.ENROLMENT

    enrolment_id: UUID

    @property
    def aggregate_id(self) -> UUID:
        return self.enrolment_id


class ClientReleased(ClientEvent):
    """A klien left prison into community integration under a Bapas's supervision."""

    event_type: ClassVar[str] = "ClientReleased"
    schema_version: ClassVar[int] = 1

    register_number: ShortText
    integration_type: IntegrationType
    released_on: date
    supervision_ends_on: date
    pk_officer: PkOfficer


class ClientEnrolled(EnrolmentEvent):
    """A klien took a seat in a programme."""

    event_type: ClassVar[str] = "ClientEnrolled"
    schema_version: ClassVar[int] = 1

    client_id: UUID
    programme_id: UUID
    pokmas_id: UUID
    enrolled_on: date


class AttendanceRecorded(EnrolmentEvent):
    """Attendance at one session of a programme, recorded once per session."""

    event_type: ClassVar[str] = "AttendanceRecorded"
    schema_version: ClassVar[int] = 1

    session_no: int = Field(ge=1)
    session_date: date
    status: AttendanceStatus
    concern: KeptApart = None


class TrainingCompleted(EnrolmentEvent):
    """A klien finished a programme and was assessed."""

    event_type: ClassVar[str] = "TrainingCompleted"
    schema_version: ClassVar[int] = 1

    client_id: UUID
    programme_id: UUID
    completed_on: date
    assessment: Assessment
    certificate_number: ShortText | None = None


class TrainingWithdrawn(EnrolmentEvent):
    """A klien left a programme before completing it; the seat is free again."""

    event_type: ClassVar[str] = "TrainingWithdrawn"
    schema_version: ClassVar[int] = 1

    client_id: UUID
    programme_id: UUID
    withdrawn_on: date
    reason_code: WithdrawalReason
    note: KeptApart = None


class EnrolmentSuspended(EnrolmentEvent):
    """The MoU of the enrolment's programme ended (MoUTerminated or MoUExpired)."""

    event_type: ClassVar[str] = "EnrolmentSuspended"
    schema_version: ClassVar[int] = 1

    programme_id: UUID
    mou_id: UUID
    reason: Text


class EnrolmentResumed(EnrolmentEvent):
    """The MoU of a suspended enrolment's programme was renewed (MoURenewed)."""

    event_type: ClassVar[str] = "EnrolmentResumed"
    schema_version: ClassVar[int] = 1

    programme_id: UUID
    mou_id: UUID


class ClientEmployed(ClientEvent):
    """A klien found work or started a business."""

    event_type: ClassVar[str] = "ClientEmployed"
    schema_version: ClassVar[int] = 1

    employment_kind: EmploymentKind
    employer_name: ShortText | None = None
    started_on: date
    skill: SkillCode | None = None


class ClientReoffended(ClientEvent):
    """A re-offence of a klien under supervision was recorded."""

    event_type: ClassVar[str] = "ClientReoffended"
    schema_version: ClassVar[int] = 1

    recorded_on: date
    note: KeptApart = None


class SupervisionEnded(ClientEvent):
    """A klien's supervision ended, completed or revoked."""

    event_type: ClassVar[str] = "SupervisionEnded"
    schema_version: ClassVar[int] = 1

    ended_on: date
    outcome: SupervisionOutcome


class ClientProfileErased(ClientEvent):
    """A klien's personal profile was erased on request; the event history stays."""

    event_type: ClassVar[str] = "ClientProfileErased"
    schema_version: ClassVar[int] = 1

    erased_on: date


class ReportingScheduled(ClientEvent):
    """The klien's wajib lapor: due dates ``first_due_on`` and every ``every_days`` days
    after it. A new schedule replaces the due dates after its ``first_due_on``; the
    answered and missed ones before it stay on record."""

    event_type: ClassVar[str] = "ReportingScheduled"
    schema_version: ClassVar[int] = 1

    first_due_on: date
    every_days: int = Field(ge=1, le=366)


class ReportRecorded(ClientEvent):
    """The klien answered one due date (or was excused from it); this breaks a streak of
    missed due dates, even one whose ReportMissed is already recorded."""

    event_type: ClassVar[str] = "ReportRecorded"
    schema_version: ClassVar[int] = 1

    due_on: date
    reported_on: date
    status: ReportStatus
    channel: ReportChannel
    note: KeptApart = None


class ReportMissed(ClientEvent):
    """A due date passed (midnight at the klien's Bapas) with no report; once per due date."""

    event_type: ClassVar[str] = "ReportMissed"
    schema_version: ClassVar[int] = 1

    due_on: date
    missed_in_a_row: int = Field(ge=1, description="Misses since the klien's last report.")


class RevocationRecommended(ClientEvent):
    """The klien missed three due dates in a row: the ground to consider revoking the
    integration. Once per streak; a report ends the streak."""

    event_type: ClassVar[str] = "RevocationRecommended"
    schema_version: ClassVar[int] = 1

    recommended_on: date
    missed_due_dates: list[date] = Field(min_length=1, max_length=64)


class ClientTransferredOut(ClientEvent):
    """The klien leaves this office's supervision for another Bapas. The last event of the
    klien keyed by the old office: ClientTransferredIn follows at the next version."""

    event_type: ClassVar[str] = "ClientTransferredOut"
    schema_version: ClassVar[int] = 1

    to_bapas_code: ShortText
    transferred_on: date
    reason: KeptApart = None


class ClientTransferredIn(ClientEvent):
    """The klien is now supervised by this office (the envelope's ``bapas_code``); the
    first event keyed by the new office. It follows ClientTransferredOut at the version
    just before it, published under the old office's key: a consumer that reads the new
    office's partition first must hold this event, and every later one of the klien,
    until it has applied that one."""

    event_type: ClassVar[str] = "ClientTransferredIn"
    schema_version: ClassVar[int] = 1

    from_bapas_code: ShortText
    transferred_on: date
    pk_officer: PkOfficer | None = Field(
        default=None,
        description="The new office's PK officer; none named yet when absent.",
    )
