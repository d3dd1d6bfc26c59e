"""The read models of the service's own aggregates: ``clients`` (with the klien's
wajib lapor: schedule, next due date, misses in a row), ``client_reports`` (each due
date answered or missed), ``enrolments`` and ``enrolment_attendance``.

Notes (a report's, a re-offence's, a withdrawal's, an attendance concern) are not read
models: they are kept sealed beside them (:mod:`services.enrolment.notes`), and the text
an event from before that carries is not written here.

Each event maps to one statement, here and nowhere else; the unit of work writes it
with the event (in the same statement when a save has one event), so a GET right after
the 201 sees the change, the rules that count rows (seats, a klien's other enrolments)
count what is committed with the events, and the HTTP commands, the MoU reactions and
a rebuild cannot disagree on it.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from services.enrolment.domain import ClientStatus, EnrolmentStatus
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
    ReportingScheduled,
    ReportMissed,
    ReportRecorded,
    RevocationRecommended,
    SupervisionEnded,
    TrainingCompleted,
    TrainingWithdrawn,
)
from shared.events.envelope import Envelope, EventPayload
from shared.eventstore.read_models import OwnReadModels, ReadModelChange
from shared.postgres.statements import Statement

_ATTENDED = (AttendanceStatus.PRESENT, AttendanceStatus.LATE)


def read_model_update(event: Envelope[EventPayload]) -> ReadModelChange:
    """The statement that brings the klien, enrolment or attendance table up to ``event``."""
    version = event.aggregate_version
    match event.payload:
        case ClientReleased() as released:
            return Statement(
                "INSERT INTO clients (client_id, bapas_code, register_number, integration_type,"
                " released_on, supervision_ends_on, pk_officer, status, version)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9)",
                released.client_id,
                event.bapas_code,
                released.register_number,
                released.integration_type.value,
                released.released_on,
                released.supervision_ends_on,
                released.pk_officer.model_dump_json(),
                ClientStatus.UNDER_SUPERVISION.value,
                version,
            )
        case ClientEmployed() as employed:
            return _append_to_client(
                "employments",
                employed.client_id,
                employed.model_dump_json(exclude={"client_id"}),
                version,
            )
        case ClientReoffended() as reoffended:
            return _append_to_client(
                "reoffences",
                reoffended.client_id,
                reoffended.model_dump_json(exclude={"client_id", "note"}),
                version,
            )
        case SupervisionEnded() as ended:
            return Statement(
                "UPDATE clients SET status = $2, supervision_ended_on = $3,"
                " supervision_outcome = $4, version = $5 WHERE client_id = $1",
                ended.client_id,
                ClientStatus.SUPERVISION_ENDED.value,
                ended.ended_on,
                ended.outcome.value,
                version,
            )
        case ReportingScheduled() as scheduled:
            return Statement(
                "UPDATE clients SET reporting_first_due_on = $2, reporting_every_days = $3,"
                f" next_due_on = {_next_due_on('$2', '$3', 'NULL')}, version = $4"
                " WHERE client_id = $1",
                scheduled.client_id,
                scheduled.first_due_on,
                scheduled.every_days,
                version,
            )
        case ReportRecorded() as report:
            return (
                Statement(
                    "INSERT INTO client_reports (client_id, due_on, outcome, reported_on, channel)"
                    " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (client_id, due_on) DO UPDATE"
                    " SET outcome = EXCLUDED.outcome, reported_on = EXCLUDED.reported_on,"
                    " channel = EXCLUDED.channel",
                    report.client_id,
                    report.due_on,
                    report.status.value,
                    report.reported_on,
                    report.channel.value,
                ),
                _after_due_date(report.client_id, report.due_on, 0, version),
            )
        case ReportMissed() as missed:
            return (
                Statement(
                    "INSERT INTO client_reports (client_id, due_on, outcome, missed)"
                    " VALUES ($1, $2, $3, true)",
                    missed.client_id,
                    missed.due_on,
                    MISSED,
                ),
                _after_due_date(missed.client_id, missed.due_on, missed.missed_in_a_row, version),
            )
        case RevocationRecommended() as recommended:
            return Statement(
                "UPDATE clients SET revocation_recommended = true, version = $2"
                " WHERE client_id = $1",
                recommended.client_id,
                version,
            )
        case ClientTransferredOut() as out:
            return _client_version(out.client_id, version)
        case ClientTransferredIn() as came_in:
            return Statement(
                "UPDATE clients SET bapas_code = $2,"
                " pk_officer = $3::jsonb, version = $4 WHERE client_id = $1",
                came_in.client_id,
                event.bapas_code,
                None if came_in.pk_officer is None else came_in.pk_officer.model_dump_json(),
                version,
            )
        case ClientProfileErased() as erased:
            return Statement(
                "UPDATE clients SET profile_erased_on = $2, version = $3 WHERE client_id = $1",
                erased.client_id,
                erased.erased_on,
                version,
            )
        case ClientEnrolled() as enrolled:
            # The programme's terms are copied from the projection row the command locked.
            return Statement(
                "INSERT INTO enrolments (enrolment_id, client_id, bapas_code, programme_id,"
                " pokmas_id, mou_id, programme_starts_on, programme_ends_on, sessions_planned,"
                " enrolled_on, status, version)"
                " SELECT $1, $2, $3, programme_id, $4, mou_id, starts_on, ends_on,"
                " sessions_planned, $5, $6, $7 FROM pokmas_programmes WHERE programme_id = $8",
                enrolled.enrolment_id,
                enrolled.client_id,
                event.bapas_code,
                enrolled.pokmas_id,
                enrolled.enrolled_on,
                EnrolmentStatus.ENROLLED.value,
                version,
                enrolled.programme_id,
            )
        case AttendanceRecorded() as attendance:
            return (
                Statement(
                    "INSERT INTO enrolment_attendance"
                    " (enrolment_id, session_no, session_date, status) VALUES ($1, $2, $3, $4)",
                    attendance.enrolment_id,
                    attendance.session_no,
                    attendance.session_date,
                    attendance.status.value,
                ),
                Statement(
                    "UPDATE enrolments SET sessions_attended = sessions_attended + $2,"
                    " version = $3 WHERE enrolment_id = $1",
                    attendance.enrolment_id,
                    1 if attendance.status in _ATTENDED else 0,
                    version,
                ),
            )
        case TrainingCompleted() as completed:
            return Statement(
                "UPDATE enrolments SET status = $2, completed_on = $3, assessment = $4,"
                " certificate_number = $5, version = $6 WHERE enrolment_id = $1",
                completed.enrolment_id,
                EnrolmentStatus.COMPLETED.value,
                completed.completed_on,
                completed.assessment.value,
                completed.certificate_number,
                version,
            )
        case TrainingWithdrawn() as withdrawn:
            return Statement(
                "UPDATE enrolments SET status = $2, withdrawn_on = $3, withdrawal_reason = $4,"
                " version = $5 WHERE enrolment_id = $1",
                withdrawn.enrolment_id,
                EnrolmentStatus.WITHDRAWN.value,
                withdrawn.withdrawn_on,
                withdrawn.reason_code.value,
                version,
            )
        case EnrolmentSuspended() as suspended:
            return _set_enrolment_status(
                suspended.enrolment_id,
                EnrolmentStatus.SUSPENDED,
                suspended.reason,
                version,
            )
        case EnrolmentResumed() as resumed:
            return _set_enrolment_status(
                resumed.enrolment_id, EnrolmentStatus.ENROLLED, None, version
            )
        case _:
            raise ValueError(f"{event.event_type} has no read model here")


MISSED = "missed"
"""The outcome of a due date with no report (yet)."""


def _next_due_on(first: str, every: str, answered: str) -> str:
    """SQL for the klien's next due date: the first of the schedule (``first``, every
    ``every`` days, up to the end of supervision) with neither a report nor a miss,
    ``answered`` counting as one (it is being written in the same statement)."""
    return (
        "(SELECT d::date FROM generate_series("
        f"{first}::date::timestamp, clients.supervision_ends_on::timestamp,"
        f" make_interval(days => {every}::integer)) AS d"
        " WHERE d::date IS DISTINCT FROM"
        f" {answered}::date AND NOT EXISTS (SELECT 1 FROM client_reports r"
        " WHERE r.client_id = clients.client_id AND r.due_on = d::date)"
        " ORDER BY d LIMIT 1)"
    )


def _after_due_date(client_id: UUID, due_on: date, missed_in_a_row: int, version: int) -> Statement:
    """A due date was answered (``missed_in_a_row`` 0, which also ends a recommendation)
    or missed: the next due date and the streak."""
    return Statement(
        "UPDATE clients SET missed_in_a_row = $3,"
        " revocation_recommended = revocation_recommended AND $3 > 0,"
        " next_due_on = "
        + _next_due_on("clients.reporting_first_due_on", "clients.reporting_every_days", "$2")
        + ", version = $4 WHERE client_id = $1",
        client_id,
        due_on,
        missed_in_a_row,
        version,
    )


def _client_version(client_id: UUID, version: int) -> Statement:
    return Statement("UPDATE clients SET version = $2 WHERE client_id = $1", client_id, version)


def _append_to_client(column: str, client_id: UUID, item: str, version: int) -> Statement:
    return Statement(
        f"UPDATE clients SET {column} = {column} || jsonb_build_array($2::jsonb),"
        " version = $3 WHERE client_id = $1",
        client_id,
        item,
        version,
    )


def _set_enrolment_status(
    enrolment_id: UUID,
    status: EnrolmentStatus,
    suspension_reason: str | None,
    version: int,
) -> Statement:
    return Statement(
        "UPDATE enrolments SET status = $2, suspension_reason = $3, version = $4"
        " WHERE enrolment_id = $1",
        enrolment_id,
        status.value,
        suspension_reason,
        version,
    )


OWN_READ_MODELS = OwnReadModels(
    update=read_model_update,
    tables=("clients", "client_reports", "enrolments", "enrolment_attendance"),
)
