"""The enrolment service's commands: what a caller asks, one typed object each.

A command is built once, from a request's body or by a test, and handed unchanged to
the application service and on to the aggregate's method, which reads its fields
there; its fields and their validation are declared nowhere else. Each field uses the
contract's own types, so a command that validates makes a valid event; dates lie in a
plausible range (since 2000, and not more than a year ahead; a supervision's end not
more than twenty years ahead), since far-off years are typing mistakes.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import Field

from services.enrolment.profiles import ClientProfile
from shared.commands import Command
from shared.events.enrolment import (
    Assessment,
    AttendanceStatus,
    EmploymentKind,
    IntegrationType,
    PkOfficer,
    ReportChannel,
    ReportStatus,
    SupervisionOutcome,
    WithdrawalReason,
)
from shared.events.envelope import ShortText, Text
from shared.guards import PlausibleDate, SupervisionEndDate
from shared.reference import KnownBapasCode, SkillCode


class ReleaseClient(Command):
    bapas_code: KnownBapasCode
    register_number: ShortText
    integration_type: IntegrationType
    released_on: PlausibleDate
    supervision_ends_on: SupervisionEndDate
    pk_officer: PkOfficer
    profile: ClientProfile


class EnrolClient(Command):
    programme_id: UUID
    enrolled_on: PlausibleDate


class RecordAttendance(Command):
    session_no: Annotated[int, Field(ge=1, le=10_000)]
    session_date: PlausibleDate
    status: AttendanceStatus
    concern: Text | None = None


class CompleteTraining(Command):
    completed_on: PlausibleDate
    assessment: Assessment
    certificate_number: ShortText | None = None


class WithdrawFromTraining(Command):
    withdrawn_on: PlausibleDate
    reason_code: WithdrawalReason
    note: Text | None = None


class RecordEmployment(Command):
    employment_kind: EmploymentKind
    employer_name: ShortText | None = None
    started_on: PlausibleDate
    skill: SkillCode | None = None


class RecordReoffence(Command):
    recorded_on: PlausibleDate
    note: Text | None = None


class EndSupervision(Command):
    ended_on: PlausibleDate
    outcome: SupervisionOutcome


class ScheduleReporting(Command):
    first_due_on: PlausibleDate
    every_days: Annotated[int, Field(ge=1, le=366)]


class RecordReport(Command):
    due_on: PlausibleDate
    reported_on: PlausibleDate
    status: ReportStatus
    channel: ReportChannel
    note: Text | None = None


class TransferClient(Command):
    to_bapas_code: KnownBapasCode
    transferred_on: PlausibleDate
    reason: Text
    pk_officer: PkOfficer | None = None
