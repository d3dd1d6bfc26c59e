"""The aggregates of the enrolment service, Client and Enrolment, and the rules they
check before recording an event (the domain rules: life cycles, rules 2–5).

A command method takes the caller's command object as it is, checks the rules, then
records an event whose fields it takes from the command; state changes only in
``apply``, so replaying the events rebuilds the aggregate. What an aggregate needs to
know about the world (the programme, its MoU, the seats taken, the klien's other
enrolments) is handed to it as plain values; which enrolments count as seats, and
which an MoU's end or renewal reaches, is said here too, for whoever reads them. The
domain knows nothing of SQL, Kafka or HTTP.

Free text written about a klien (a re-offence note, a report note, a transfer's reason,
a withdrawal note, an attendance concern) may name people: a command method records its
event with ``None`` in that field and hands the text back as a :class:`PrivateNote`,
which the service keeps sealed under the klien's key. So no such text reaches a topic,
and erasing the klien's key erases it too.

Two kinds of refusal: :class:`RuleViolated` for a business rule (HTTP 409, the detail
says which rule) and :class:`InvalidValue` for input that contradicts itself or the
stored facts, such as dates out of order (HTTP 422 naming the field).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from uuid import UUID

from services.enrolment import commands
from services.enrolment.reporting import Reporting, Schedule
from shared.events.enrolment import (
    AttendanceRecorded,
    AttendanceStatus,
    ClientEmployed,
    ClientEnrolled,
    ClientProfileErased,
    ClientReleased,
    ClientReoffended,
    ClientTransferredIn,
    ClientTransferredOut,
    EnrolmentResumed,
    EnrolmentSuspended,
    IntegrationType,
    ReportingScheduled,
    ReportMissed,
    ReportRecorded,
    ReportStatus,
    RevocationRecommended,
    SupervisionEnded,
    TrainingCompleted,
    TrainingWithdrawn,
    WithdrawalReason,
)
from shared.events.envelope import AggregateType, EventPayload
from shared.eventstore.aggregate import Aggregate
from shared.eventstore.refusals import InvalidValue, RuleViolated

COMPLETION_ATTENDANCE_PERCENT = 75
"""Rule 3: completion needs attendance at this share of the planned sessions."""

_ATTENDED = frozenset({AttendanceStatus.PRESENT, AttendanceStatus.LATE})


@dataclass(frozen=True)
class PrivateNote:
    """Free text about a klien, kept by the service and never in an event. ``about``
    names what it is about, unique for the klien (``reoffence/0``, ``report/2025-05-01``,
    ``transfer/0``, ``withdrawal/<enrolment>``, ``attendance/<enrolment>/3``), so a read
    finds it from the record it belongs to; ``field`` is the command's field it came in."""

    client_id: UUID
    about: str
    field: str
    text: str

    @classmethod
    def of(cls, client_id: UUID, about: str, field: str, text: str | None) -> PrivateNote | None:
        return None if text is None else cls(client_id, about, field, text)


def reoffence_note(index: int) -> str:
    """What the note of the klien's ``index``-th re-offence (from 0) is about."""
    return f"reoffence/{index}"


def transfer_reason(index: int) -> str:
    """What the reason of the klien's ``index``-th transfer (from 0) is about."""
    return f"transfer/{index}"


def report_note(due_on: date) -> str:
    return f"report/{due_on.isoformat()}"


def withdrawal_note(enrolment_id: UUID) -> str:
    return f"withdrawal/{enrolment_id}"


def attendance_concern(enrolment_id: UUID, session_no: int) -> str:
    return f"attendance/{enrolment_id}/{session_no}"


DEFAULT_RETENTION_YEARS = 5
"""How long a profile is kept after the supervision ended (configuration may change it)."""


def years_after(day: date, years: int) -> date:
    """The same day ``years`` later; 29 February falls on 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


class ClientStatus(StrEnum):
    UNDER_SUPERVISION = "under_supervision"
    SUPERVISION_ENDED = "supervision_ended"


class EnrolmentStatus(StrEnum):
    ENROLLED = "enrolled"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"
    SUSPENDED = "suspended"

    @property
    def holds_a_seat(self) -> bool:
        """Rule 2: every enrolment that is not withdrawn takes a seat of its programme
        (enrolled, suspended and completed ones alike); a withdrawal frees it."""
        return self is not EnrolmentStatus.WITHDRAWN


SEAT_HOLDING = tuple(status for status in EnrolmentStatus if status.holds_a_seat)
"""The states of an enrolment that count against its programme's capacity."""

REACHED_BY_MOU_CHANGES = (EnrolmentStatus.ENROLLED, EnrolmentStatus.SUSPENDED)
"""The states an end or a renewal of the programme's MoU can change: an end suspends
an enrolled klien, a renewal resumes a suspended one; other states stay as they are."""

OPEN = (EnrolmentStatus.ENROLLED, EnrolmentStatus.SUSPENDED)
"""The enrolments a klien leaves behind when revoked or moved to another Bapas: they
end with the klien's departure, suspended ones too (the one exception to rule 4)."""


class NikAlreadyRegistered(RuleViolated):
    """A Bapas registers each NIK once: a second klien with it is refused, and so is a
    transfer of a klien to a Bapas that has registered the klien's NIK already."""

    def __init__(self, bapas_code: str | None = None) -> None:
        where = "this Bapas" if bapas_code is None else f"Bapas {bapas_code}"
        super().__init__(f"a klien with this NIK is already registered at {where}")


class MoUStatus(StrEnum):
    ACTIVE = "active"
    TERMINATED = "terminated"
    EXPIRED = "expired"


class ProgrammeStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True)
class MoU:
    """What the enrolment service knows of an MoU, from the pokmas events."""

    mou_id: UUID
    status: MoUStatus
    valid_from: date
    valid_until: date

    def is_active_on(self, day: date) -> bool:
        return self.status is MoUStatus.ACTIVE and self.valid_from <= day <= self.valid_until


@dataclass(frozen=True)
class Programme:
    """What the enrolment service knows of a programme, from the pokmas events."""

    programme_id: UUID
    bapas_code: str
    pokmas_id: UUID
    mou_id: UUID
    status: ProgrammeStatus
    capacity: int
    starts_on: date
    ends_on: date
    sessions_planned: int

    def overlaps(self, starts_on: date, ends_on: date) -> bool:
        return self.starts_on <= ends_on and starts_on <= self.ends_on


@dataclass(frozen=True)
class Seat:
    """One of a klien's enrolments that is not withdrawn: the programme and its dates."""

    programme_id: UUID
    starts_on: date
    ends_on: date


@dataclass(frozen=True)
class ProgrammeTerms:
    """The terms of an enrolment's programme that attendance and completion depend on."""

    starts_on: date
    ends_on: date
    sessions_planned: int


class Client(Aggregate):
    """A klien in community integration, supervised by one Bapas at a time: a transfer
    moves it (and the Kafka key of its later events) to another."""

    aggregate_type = AggregateType.CLIENT

    status: ClientStatus
    integration_type: IntegrationType
    released_on: date
    supervision_ends_on: date
    supervision_ended_on: date | None
    profile_erased: bool
    reporting: Reporting
    reoffences: int
    transfers: int

    @classmethod
    def release(
        cls, client_id: UUID, command: commands.ReleaseClient, *, reporting_every_days: int
    ) -> Client:
        """A release, with the default wajib lapor: a due date every
        ``reporting_every_days`` days, the first one interval after the release."""
        if command.supervision_ends_on < command.released_on:
            raise InvalidValue("supervision_ends_on", "must not be before released_on")
        client = cls(client_id, command.bapas_code)
        client.record(ClientReleased.built_from(command, client_id=client_id))
        client.record(
            ReportingScheduled(
                client_id=client_id,
                first_due_on=command.released_on + timedelta(days=reporting_every_days),
                every_days=reporting_every_days,
            )
        )
        return client

    def require_under_supervision(self) -> None:
        if self.status is not ClientStatus.UNDER_SUPERVISION:
            raise RuleViolated(
                f"the supervision of klien {self.id} ended on {self.supervision_ended_on}"
            )

    def _require_not_before_release(self, field: str, day: date) -> None:
        if day < self.released_on:
            raise InvalidValue(field, f"must not be before the release on {self.released_on}")

    def record_employment(self, command: commands.RecordEmployment) -> None:
        self.require_under_supervision()
        self._require_not_before_release("started_on", command.started_on)
        self.record(ClientEmployed.built_from(command, client_id=self.id))

    def record_reoffence(self, command: commands.RecordReoffence) -> PrivateNote | None:
        self.require_under_supervision()
        self._require_not_before_release("recorded_on", command.recorded_on)
        self.record(ClientReoffended.built_from(command, client_id=self.id, note=None))
        return PrivateNote.of(self.id, reoffence_note(self.reoffences - 1), "note", command.note)

    def end_supervision(self, command: commands.EndSupervision) -> None:
        self.require_under_supervision()
        self._require_not_before_release("ended_on", command.ended_on)
        self.record(SupervisionEnded.built_from(command, client_id=self.id))

    # -- wajib lapor -----------------------------------------------------------------

    def schedule_reporting(self, command: commands.ScheduleReporting) -> None:
        """A schedule set by an officer; a first due date in the past counts the past due
        dates (history being entered)."""
        self.require_under_supervision()
        self._require_not_before_release("first_due_on", command.first_due_on)
        self.record(ReportingScheduled.built_from(command, client_id=self.id))

    def record_report(self, command: commands.RecordReport, *, today: date) -> PrivateNote | None:
        """A report for one due date of the schedule: a past one (also one recorded as
        missed), or the next one ahead of time."""
        self.require_under_supervision()
        schedule = self._require_schedule()
        if not schedule.is_due_date(command.due_on):
            raise InvalidValue(
                "due_on",
                f"is not a due date of the klien's schedule (every {schedule.every_days} "
                f"days from {schedule.first_due_on})",
            )
        upcoming = schedule.first_due_date_after(today - timedelta(days=1))
        if command.due_on > upcoming:
            raise InvalidValue(
                "due_on", f"the klien can report for the next due date, {upcoming}, at the latest"
            )
        if command.due_on in self.reporting.answered:
            raise RuleViolated(f"a report for the due date {command.due_on} is already recorded")
        self._require_not_before_release("reported_on", command.reported_on)
        if command.reported_on > today:
            raise InvalidValue("reported_on", f"must not be after today ({today}) at the Bapas")
        if command.status is ReportStatus.REPORTED and command.reported_on > command.due_on:
            raise InvalidValue("status", "a report after its due date is `late`")
        if command.status is ReportStatus.LATE and command.reported_on <= command.due_on:
            raise InvalidValue("status", "a report on or before its due date is `reported`")
        self.record(ReportRecorded.built_from(command, client_id=self.id, note=None))
        return PrivateNote.of(self.id, report_note(command.due_on), "note", command.note)

    def record_missed_reports(self, *, today: date, default_every_days: int) -> None:
        """What the daily check records on ``today`` at the klien's Bapas: a schedule
        starting from today for a klien who has none (released before wajib lapor was
        kept), each due date that passed unanswered, and a recommendation to revoke
        when the streak of misses reaches three. Nothing once supervision has ended, and
        nothing twice: a due date already missed or answered is left alone."""
        if self.status is not ClientStatus.UNDER_SUPERVISION:
            return
        if self.reporting.schedule is None:
            self.record(
                ReportingScheduled(
                    client_id=self.id,
                    first_due_on=today + timedelta(days=default_every_days),
                    every_days=default_every_days,
                )
            )
            return
        for due_on in self.reporting.unanswered_due_dates(
            before=today, until=self.supervision_ends_on
        ):
            self.record(
                ReportMissed(
                    client_id=self.id,
                    due_on=due_on,
                    missed_in_a_row=len(self.reporting.streak) + 1,
                )
            )
            if self.reporting.revocation_due:
                self.record(
                    RevocationRecommended(
                        client_id=self.id,
                        recommended_on=today,
                        missed_due_dates=list(self.reporting.streak),
                    )
                )

    def _require_schedule(self) -> Schedule:
        if self.reporting.schedule is None:
            raise RuleViolated(f"klien {self.id} has no reporting schedule yet")
        return self.reporting.schedule

    # -- transfer ----------------------------------------------------------------------

    def transfer(self, command: commands.TransferClient, *, today: date) -> PrivateNote | None:
        """The klien moves to another Bapas: ClientTransferredOut under the old office,
        then ClientTransferredIn under the new one, which supervises the klien from now."""
        self.require_under_supervision()
        if command.to_bapas_code == self.bapas_code:
            raise InvalidValue(
                "to_bapas_code", f"the klien is already supervised by {self.bapas_code}"
            )
        self._require_not_before_release("transferred_on", command.transferred_on)
        if command.transferred_on > today:
            raise InvalidValue("transferred_on", f"must not be after today ({today}) at the Bapas")
        from_bapas_code = self.bapas_code
        self.record(ClientTransferredOut.built_from(command, client_id=self.id, reason=None))
        self.record(
            ClientTransferredIn.built_from(
                command, client_id=self.id, from_bapas_code=from_bapas_code
            )
        )
        return PrivateNote.of(
            self.id, transfer_reason(self.transfers - 1), "reason", command.reason
        )

    def erase_profile(self, *, erased_on: date) -> None:
        if self.profile_erased:
            raise RuleViolated(f"the profile of klien {self.id} is already erased")
        self.record(ClientProfileErased(client_id=self.id, erased_on=erased_on))

    def erase_profile_past_retention(self, *, today: date, years: int) -> None:
        """Retention: a profile is kept ``years`` years after the supervision ended, and
        erased on that anniversary (or the first check after it); nothing while the
        supervision goes on, nor once erased."""
        ended_on = self.supervision_ended_on
        if ended_on is None or self.profile_erased:
            return
        if today >= years_after(ended_on, years):
            self.record(ClientProfileErased(client_id=self.id, erased_on=today))

    def apply(self, event: EventPayload) -> None:
        match event:
            case ClientReleased():
                self.status = ClientStatus.UNDER_SUPERVISION
                self.integration_type = event.integration_type
                self.reporting = Reporting()
                self.released_on = event.released_on
                self.supervision_ends_on = event.supervision_ends_on
                self.supervision_ended_on = None
                self.profile_erased = False
                self.reoffences = 0
                self.transfers = 0
            case SupervisionEnded():
                self.status = ClientStatus.SUPERVISION_ENDED
                self.supervision_ended_on = event.ended_on
            case ClientProfileErased():
                self.profile_erased = True
            case ReportingScheduled():
                self.reporting.schedule = Schedule(event.first_due_on, event.every_days)
            case ReportRecorded():
                self.reporting.answer(event.due_on)
            case ReportMissed():
                self.reporting.miss(event.due_on)
            case RevocationRecommended():
                self.reporting.recommended = True
            case ClientReoffended():
                self.reoffences += 1
            case ClientTransferredOut():
                self.bapas_code = event.to_bapas_code  # the events after it are the new office's
                self.transfers += 1
            case ClientEmployed() | ClientTransferredIn():
                pass  # on record; no rule depends on them


class Enrolment(Aggregate):
    """A klien's seat in one programme, from enrolment to completion or withdrawal."""

    aggregate_type = AggregateType.ENROLMENT

    client_id: UUID
    programme_id: UUID
    status: EnrolmentStatus
    enrolled_on: date
    attendance: dict[int, AttendanceStatus]
    suspended_by: UUID | None

    @classmethod
    def enrol(
        cls,
        enrolment_id: UUID,
        command: commands.EnrolClient,
        *,
        client: Client,
        programme: Programme,
        mou: MoU,
        seats_taken: int,
        klien_seats: Sequence[Seat],
        today: date,
    ) -> Enrolment:
        """Rule 2. ``seats_taken`` counts the programme's enrolments that hold a seat
        (:attr:`EnrolmentStatus.holds_a_seat`); ``klien_seats`` are the klien's own;
        ``today`` is the Bapas's date."""
        enrolled_on = command.enrolled_on
        client.require_under_supervision()
        if programme.bapas_code != client.bapas_code:
            raise RuleViolated(
                f"programme {programme.programme_id} is run for Bapas {programme.bapas_code}, "
                f"not for the klien's Bapas {client.bapas_code}"
            )
        if programme.status is not ProgrammeStatus.OPEN:
            raise RuleViolated(f"programme {programme.programme_id} is closed")
        if not mou.is_active_on(today):
            raise RuleViolated(
                f"the MoU {mou.mou_id} of programme {programme.programme_id} is not active "
                f"({mou.status}, valid {mou.valid_from} to {mou.valid_until})"
            )
        if enrolled_on < client.released_on:
            raise RuleViolated(
                f"the enrolment date {enrolled_on} is before the klien's release "
                f"on {client.released_on}"
            )
        if enrolled_on > client.supervision_ends_on:
            raise RuleViolated(
                f"the enrolment date {enrolled_on} is after the klien's supervision ends "
                f"on {client.supervision_ends_on}"
            )
        if not programme.starts_on <= enrolled_on <= programme.ends_on:
            raise RuleViolated(
                f"the enrolment date {enrolled_on} is outside the programme's dates "
                f"{programme.starts_on} to {programme.ends_on}"
            )
        for seat in klien_seats:
            if seat.programme_id == programme.programme_id:
                raise RuleViolated(
                    f"the klien is already enrolled in programme {programme.programme_id}"
                )
            if programme.overlaps(seat.starts_on, seat.ends_on):
                raise RuleViolated(
                    f"the programme's dates overlap those of programme {seat.programme_id}, "
                    "in which the klien is enrolled"
                )
        if seats_taken >= programme.capacity:
            raise RuleViolated(
                f"programme {programme.programme_id} is full "
                f"({seats_taken} of {programme.capacity} seats taken)"
            )
        enrolment = cls(enrolment_id, client.bapas_code)
        enrolment.record(
            ClientEnrolled(
                enrolment_id=enrolment_id,
                client_id=client.id,
                programme_id=programme.programme_id,
                pokmas_id=programme.pokmas_id,
                enrolled_on=enrolled_on,
            )
        )
        return enrolment

    def _require_enrolled(self, action: str) -> None:
        """Rule 4: attendance, completion and withdrawal only while ``enrolled``."""
        if self.status is not EnrolmentStatus.ENROLLED:
            raise RuleViolated(f"cannot {action}: the enrolment is {self.status}, not enrolled")

    def _require_not_before_enrolment(self, field: str, day: date) -> None:
        if day < self.enrolled_on:
            raise InvalidValue(field, f"must not be before the enrolment on {self.enrolled_on}")

    @property
    def sessions_attended(self) -> int:
        return sum(1 for status in self.attendance.values() if status in _ATTENDED)

    def record_attendance(
        self, command: commands.RecordAttendance, terms: ProgrammeTerms
    ) -> PrivateNote | None:
        self._require_enrolled("record attendance")
        if command.session_no > terms.sessions_planned:
            raise InvalidValue(
                "session_no", f"the programme plans {terms.sessions_planned} sessions"
            )
        if not terms.starts_on <= command.session_date <= terms.ends_on:
            raise InvalidValue(
                "session_date",
                f"must lie within the programme's dates {terms.starts_on} to {terms.ends_on}",
            )
        if command.session_no in self.attendance:
            raise RuleViolated(
                f"session {command.session_no} is already recorded for this enrolment"
            )
        self.record(AttendanceRecorded.built_from(command, enrolment_id=self.id, concern=None))
        about = attendance_concern(self.id, command.session_no)
        return PrivateNote.of(self.client_id, about, "concern", command.concern)

    def complete(self, command: commands.CompleteTraining, terms: ProgrammeTerms) -> None:
        """Rule 3: attendance (present or late) at 75 % of the planned sessions or more."""
        self._require_enrolled("complete the training")
        self._require_not_before_enrolment("completed_on", command.completed_on)
        attended = self.sessions_attended
        if attended * 100 < COMPLETION_ATTENDANCE_PERCENT * terms.sessions_planned:
            raise RuleViolated(
                f"completion needs attendance at {COMPLETION_ATTENDANCE_PERCENT} % of the "
                f"{terms.sessions_planned} planned sessions; the klien attended {attended}"
            )
        self.record(
            TrainingCompleted.built_from(
                command,
                enrolment_id=self.id,
                client_id=self.client_id,
                programme_id=self.programme_id,
            )
        )

    def withdraw(self, command: commands.WithdrawFromTraining) -> PrivateNote | None:
        self._require_enrolled("withdraw")
        self._require_not_before_enrolment("withdrawn_on", command.withdrawn_on)
        self.record(
            TrainingWithdrawn.built_from(
                command,
                enrolment_id=self.id,
                client_id=self.client_id,
                programme_id=self.programme_id,
                note=None,
            )
        )
        return PrivateNote.of(self.client_id, withdrawal_note(self.id), "note", command.note)

    def end_as_klien_leaves(self, reason: WithdrawalReason, *, on: date) -> None:
        """The klien was revoked or moved to another Bapas: an open enrolment (enrolled
        or suspended) is withdrawn, on ``on`` or its enrolment day if later; others stay."""
        if self.status in OPEN:
            self.record(
                TrainingWithdrawn(
                    enrolment_id=self.id,
                    client_id=self.client_id,
                    programme_id=self.programme_id,
                    withdrawn_on=max(on, self.enrolled_on),
                    reason_code=reason,
                )
            )

    def suspend(self, *, mou_id: UUID, reason: str) -> None:
        """The programme's MoU ended; only an ``enrolled`` enrolment is suspended, so a
        cause delivered again changes nothing."""
        if self.status is EnrolmentStatus.ENROLLED:
            self.record(
                EnrolmentSuspended(
                    enrolment_id=self.id,
                    programme_id=self.programme_id,
                    mou_id=mou_id,
                    reason=reason,
                )
            )

    def resume(self, *, mou_id: UUID) -> None:
        """The MoU that suspended the enrolment was renewed."""
        if self.status is EnrolmentStatus.SUSPENDED and self.suspended_by == mou_id:
            self.record(
                EnrolmentResumed(
                    enrolment_id=self.id, programme_id=self.programme_id, mou_id=mou_id
                )
            )

    def apply(self, event: EventPayload) -> None:
        match event:
            case ClientEnrolled():
                self.client_id = event.client_id
                self.programme_id = event.programme_id
                self.enrolled_on = event.enrolled_on
                self.status = EnrolmentStatus.ENROLLED
                self.attendance = {}
                self.suspended_by = None
            case AttendanceRecorded():
                self.attendance[event.session_no] = event.status
            case TrainingCompleted():
                self.status = EnrolmentStatus.COMPLETED
            case TrainingWithdrawn():
                self.status = EnrolmentStatus.WITHDRAWN
            case EnrolmentSuspended():
                self.status = EnrolmentStatus.SUSPENDED
                self.suspended_by = event.mou_id
            case EnrolmentResumed():
                self.status = EnrolmentStatus.ENROLLED
                self.suspended_by = None
