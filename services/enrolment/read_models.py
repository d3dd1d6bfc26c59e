"""The read models of the service's own aggregates: ``clients``, ``enrolments`` and
``enrolment_attendance``.

They are written from the events a command (or a reaction) has just saved, on the
same connection and in the same transaction, so a GET right after the 201 sees the
change, and the rules that count rows (seats, a klien's other enrolments) count what
is committed with the events. One function maps every event to its change, so the
HTTP commands and the MoU reactions cannot disagree on it.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    EnrolmentResumed,
    EnrolmentSuspended,
    SupervisionEnded,
    TrainingCompleted,
    TrainingWithdrawn,
)
from shared.events.envelope import Envelope, EventPayload
from shared.postgres.pool import Connection

_ATTENDED = (AttendanceStatus.PRESENT, AttendanceStatus.LATE)


async def project(connection: Connection, events: Sequence[Envelope[EventPayload]]) -> None:
    """Apply saved events of clients and enrolments to their read models."""
    for event in events:
        await _project_one(connection, event)


async def _project_one(connection: Connection, event: Envelope[EventPayload]) -> None:
    version = event.aggregate_version
    match event.payload:
        case ClientReleased() as released:
            await connection.execute(
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
            await _append_to_client(
                connection,
                "employments",
                employed.client_id,
                employed.model_dump_json(exclude={"client_id"}),
                version,
            )
        case ClientReoffended() as reoffended:
            await _append_to_client(
                connection,
                "reoffences",
                reoffended.client_id,
                reoffended.model_dump_json(exclude={"client_id"}),
                version,
            )
        case SupervisionEnded() as ended:
            await connection.execute(
                "UPDATE clients SET status = $2, supervision_ended_on = $3,"
                " supervision_outcome = $4, version = $5 WHERE client_id = $1",
                ended.client_id,
                ClientStatus.SUPERVISION_ENDED.value,
                ended.ended_on,
                ended.outcome.value,
                version,
            )
        case ClientProfileErased() as erased:
            await connection.execute(
                "UPDATE clients SET profile_erased_on = $2, version = $3 WHERE client_id = $1",
                erased.client_id,
                erased.erased_on,
                version,
            )
        case ClientEnrolled() as enrolled:
            # The programme's terms are copied from the projection row the command locked.
            await connection.execute(
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
            await connection.execute(
                "INSERT INTO enrolment_attendance"
                " (enrolment_id, session_no, session_date, status, concern)"
                " VALUES ($1, $2, $3, $4, $5)",
                attendance.enrolment_id,
                attendance.session_no,
                attendance.session_date,
                attendance.status.value,
                attendance.concern,
            )
            await connection.execute(
                "UPDATE enrolments SET sessions_attended = sessions_attended + $2, version = $3"
                " WHERE enrolment_id = $1",
                attendance.enrolment_id,
                1 if attendance.status in _ATTENDED else 0,
                version,
            )
        case TrainingCompleted() as completed:
            await connection.execute(
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
            await connection.execute(
                "UPDATE enrolments SET status = $2, withdrawn_on = $3, withdrawal_reason = $4,"
                " withdrawal_note = $5, version = $6 WHERE enrolment_id = $1",
                withdrawn.enrolment_id,
                EnrolmentStatus.WITHDRAWN.value,
                withdrawn.withdrawn_on,
                withdrawn.reason_code.value,
                withdrawn.note,
                version,
            )
        case EnrolmentSuspended() as suspended:
            await _set_enrolment_status(
                connection,
                suspended.enrolment_id,
                EnrolmentStatus.SUSPENDED,
                suspended.reason,
                version,
            )
        case EnrolmentResumed() as resumed:
            await _set_enrolment_status(
                connection, resumed.enrolment_id, EnrolmentStatus.ENROLLED, None, version
            )
        case _:
            raise ValueError(f"{event.event_type} has no read model here")


async def _append_to_client(
    connection: Connection, column: str, client_id: UUID, item: str, version: int
) -> None:
    await connection.execute(
        f"UPDATE clients SET {column} = {column} || jsonb_build_array($2::jsonb),"
        " version = $3 WHERE client_id = $1",
        client_id,
        item,
        version,
    )


async def _set_enrolment_status(
    connection: Connection,
    enrolment_id: UUID,
    status: EnrolmentStatus,
    suspension_reason: str | None,
    version: int,
) -> None:
    await connection.execute(
        "UPDATE enrolments SET status = $2, suspension_reason = $3, version = $4"
        " WHERE enrolment_id = $1",
        enrolment_id,
        status.value,
        suspension_reason,
        version,
    )
