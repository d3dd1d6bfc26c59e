"""The read side: what the enrolment API shows of klien and enrolments, read from the
read models, every list filtered by the caller's scope in SQL.

Profiles and notes are not read here: :mod:`services.enrolment.api` adds them,
decrypted, only for the callers entitled to them. Nor are certificate codes, which need
the service's key: the API adds them too.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from pydantic import BaseModel, ConfigDict, Field

from services.enrolment.domain import ClientStatus, EnrolmentStatus
from services.enrolment.profiles import ClientProfile
from shared.events.enrolment import (
    Assessment,
    AttendanceStatus,
    EmploymentKind,
    IntegrationType,
    PkOfficer,
    ReportChannel,
    SupervisionOutcome,
    WithdrawalReason,
)
from shared.http import CursorCodec, ListScope, Page, PageRequest

Seq = Annotated[int, Field(ge=0, lt=2**63)]
"""A ``bigserial``: a cursor outside its range is a 422, not an overflow in the query."""

SEQ_CURSOR: CursorCodec[int] = CursorCodec(Seq)
"""Lists are in the order the items were recorded; the cursor is the last ``seq`` shown."""


class Employment(BaseModel):
    employment_kind: EmploymentKind
    employer_name: str | None
    started_on: date
    skill: str | None


OFFICERS_NOTE = Field(
    default=None,
    description="Shown to the officers of the klien's Bapas only (null for others).",
)
ENROLMENT_NOTE = Field(
    default=None,
    description="Shown to the officers of the enrolment's Bapas and the partner of its "
    "Pokmas only (null for others).",
)


class Reoffence(BaseModel):
    # Notes are filled in after the query, for those entitled; always in the answer.
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    recorded_on: date
    note: str | None = OFFICERS_NOTE


class ClientSummary(BaseModel):
    """A klien as lists show it: the supervision, never the profile."""

    client_id: UUID
    bapas_code: str
    register_number: str
    integration_type: IntegrationType
    released_on: date
    supervision_ends_on: date
    pk_officer: PkOfficer | None = Field(
        description="The supervising PK officer; none after a transfer that named none "
        "at the new office (the old office's officer no longer supervises the klien)."
    )
    status: ClientStatus
    supervision_ended_on: date | None
    supervision_outcome: SupervisionOutcome | None
    profile_erased_on: date | None
    version: int


class ReportingCompliance(BaseModel):
    """The klien's wajib lapor: ``every_days`` and ``next_due_on`` are ``None`` while the
    klien has no schedule (and the next due date once none is left before the end of
    supervision); ``revocation_recommended`` stays true until the klien's next report."""

    every_days: int | None
    next_due_on: date | None
    missed_in_a_row: int
    revocation_recommended: bool


class ClientDetail(ClientSummary):
    """One klien with its outcomes and wajib lapor; ``profile`` only for the officers of
    its Bapas, and ``None`` once erased."""

    employments: list[Employment]
    reoffences: list[Reoffence]
    reporting: ReportingCompliance
    profile: ClientProfile | None = None


class DueDate(BaseModel):
    """One due date answered or missed: ``outcome`` is ``reported``, ``late``,
    ``excused`` or ``missed``; ``missed`` stays true when a report came after the miss
    was recorded."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    due_on: date
    outcome: str
    missed: bool
    reported_on: date | None
    channel: ReportChannel | None
    note: str | None = OFFICERS_NOTE


class Attendance(BaseModel):
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    session_no: int
    session_date: date
    status: AttendanceStatus
    concern: str | None = ENROLMENT_NOTE


class EnrolmentSummary(BaseModel):
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    enrolment_id: UUID
    client_id: UUID
    bapas_code: str
    programme_id: UUID
    pokmas_id: UUID
    mou_id: UUID
    enrolled_on: date
    status: EnrolmentStatus
    sessions_planned: int
    sessions_attended: int
    completed_on: date | None
    assessment: Assessment | None
    certificate_number: str | None
    withdrawn_on: date | None
    withdrawal_reason: WithdrawalReason | None
    withdrawal_note: str | None = ENROLMENT_NOTE
    suspension_reason: str | None
    version: int


class EnrolmentDetail(EnrolmentSummary):
    """One enrolment with its attendance. ``trainee_name`` is the klien's full name for
    the officers of its Bapas and the partner of its programme's Pokmas (never the
    NIK), ``None`` for everyone else and once the profile is erased.
    ``certificate_code`` is the code of its training certificate once it is completed
    with the assessment ``competent``, ``None`` before."""

    attendance: list[Attendance]
    trainee_name: str | None = None
    certificate_code: str | None = None


class Certificate(BaseModel):
    """What a training certificate states, from the enrolment and the service's
    projection of the pokmas events; ``skill``, ``programme`` and ``pokmas`` are
    ``None`` while the projection does not know them (a Pokmas registered before the
    service kept names, until the projection is rebuilt)."""

    enrolment_id: UUID
    client_id: UUID
    bapas_code: str
    pokmas_id: UUID
    status: EnrolmentStatus
    assessment: Assessment | None
    completed_on: date | None
    certificate_number: str | None
    skill: str | None
    programme: str | None
    pokmas: str | None


_CLIENT_COLUMNS = (
    "client_id, bapas_code, register_number, integration_type, released_on,"
    " supervision_ends_on, pk_officer, status, supervision_ended_on, supervision_outcome,"
    " profile_erased_on, version"
)
_ENROLMENT_COLUMNS = (
    "enrolment_id, client_id, bapas_code, programme_id, pokmas_id, mou_id, enrolled_on,"
    " status, sessions_planned, sessions_attended, completed_on, assessment,"
    " certificate_number, withdrawn_on, withdrawal_reason, suspension_reason, version"
)


def _codes(scope: ListScope) -> list[str] | None:
    return None if scope.bapas_codes is None else sorted(scope.bapas_codes)


def _decoded(row: asyncpg.Record, *json_columns: str) -> dict[str, Any]:
    values = dict(row)
    for column in json_columns:
        if values[column] is not None:
            values[column] = json.loads(values[column])
    return values


async def list_clients(
    pool: asyncpg.Pool, scope: ListScope, *, status: ClientStatus | None, page: PageRequest
) -> Page[ClientSummary]:
    if scope.is_empty:
        return Page(items=[], next_cursor=None)
    rows = await pool.fetch(
        f"SELECT seq, {_CLIENT_COLUMNS} FROM clients"
        " WHERE ($1::text[] IS NULL OR bapas_code = ANY($1))"
        " AND ($2::text IS NULL OR status = $2) AND ($3::bigint IS NULL OR seq > $3)"
        " ORDER BY seq LIMIT $4",
        _codes(scope),
        None if status is None else status.value,
        page.after(SEQ_CURSOR),
        page.fetch_limit,
    )
    shown = page.page(rows, SEQ_CURSOR, key=lambda row: row["seq"])
    return Page(
        items=[ClientSummary.model_validate(_decoded(row, "pk_officer")) for row in shown.items],
        next_cursor=shown.next_cursor,
    )


async def client_detail(pool: asyncpg.Pool, client_id: UUID) -> ClientDetail | None:
    row = await pool.fetchrow(
        f"SELECT {_CLIENT_COLUMNS}, employments, reoffences, reporting_every_days AS every_days,"
        " next_due_on, missed_in_a_row, revocation_recommended FROM clients WHERE client_id = $1",
        client_id,
    )
    if row is None:
        return None
    values = _decoded(row, "pk_officer", "employments", "reoffences")
    values["reporting"] = ReportingCompliance.model_validate(values)
    return ClientDetail.model_validate(values)


async def due_dates_of(pool: asyncpg.Pool, client_id: UUID) -> list[DueDate]:
    """The klien's due dates answered or missed, the latest first."""
    rows = await pool.fetch(
        "SELECT due_on, outcome, missed, reported_on, channel FROM client_reports"
        " WHERE client_id = $1 ORDER BY due_on DESC",
        client_id,
    )
    return [DueDate.model_validate(dict(row)) for row in rows]


async def list_enrolments(
    pool: asyncpg.Pool,
    scope: ListScope,
    *,
    client_id: UUID | None,
    programme_id: UUID | None,
    status: EnrolmentStatus | None,
    page: PageRequest,
) -> Page[EnrolmentSummary]:
    if scope.is_empty:
        return Page(items=[], next_cursor=None)
    rows = await pool.fetch(
        f"SELECT seq, {_ENROLMENT_COLUMNS} FROM enrolments"
        " WHERE ($1::text[] IS NULL OR bapas_code = ANY($1))"
        " AND ($2::uuid IS NULL OR pokmas_id = $2) AND ($3::uuid IS NULL OR client_id = $3)"
        " AND ($4::uuid IS NULL OR programme_id = $4) AND ($5::text IS NULL OR status = $5)"
        " AND ($6::bigint IS NULL OR seq > $6) ORDER BY seq LIMIT $7",
        _codes(scope),
        scope.pokmas_id,
        client_id,
        programme_id,
        None if status is None else status.value,
        page.after(SEQ_CURSOR),
        page.fetch_limit,
    )
    shown = page.page(rows, SEQ_CURSOR, key=lambda row: row["seq"])
    return Page(
        items=[EnrolmentSummary.model_validate(dict(row)) for row in shown.items],
        next_cursor=shown.next_cursor,
    )


async def enrolment_detail(pool: asyncpg.Pool, enrolment_id: UUID) -> EnrolmentDetail | None:
    row = await pool.fetchrow(
        f"SELECT {_ENROLMENT_COLUMNS} FROM enrolments WHERE enrolment_id = $1", enrolment_id
    )
    if row is None:
        return None
    attendance = await pool.fetch(
        "SELECT session_no, session_date, status FROM enrolment_attendance"
        " WHERE enrolment_id = $1 ORDER BY session_no",
        enrolment_id,
    )
    return EnrolmentDetail.model_validate(
        {**dict(row), "attendance": [dict(session) for session in attendance]}
    )


async def certificate_of(pool: asyncpg.Pool, enrolment_id: UUID) -> Certificate | None:
    """The certificate an enrolment would state, whether it has earned one or not."""
    row = await pool.fetchrow(
        "SELECT e.enrolment_id, e.client_id, e.bapas_code, e.pokmas_id, e.status,"
        " e.assessment, e.completed_on, e.certificate_number, p.skill, p.title AS programme,"
        " k.name AS pokmas FROM enrolments e"
        " LEFT JOIN pokmas_programmes p ON p.programme_id = e.programme_id"
        " LEFT JOIN pokmas_partners k ON k.pokmas_id = e.pokmas_id"
        " WHERE e.enrolment_id = $1",
        enrolment_id,
    )
    return None if row is None else Certificate.model_validate(dict(row))


async def enrolment_ids_of(pool: asyncpg.Pool, client_id: UUID) -> list[UUID]:
    """Every enrolment of the klien, at any office, in the order they were recorded."""
    rows = await pool.fetch(
        "SELECT enrolment_id FROM enrolments WHERE client_id = $1 ORDER BY seq", client_id
    )
    return [row["enrolment_id"] for row in rows]
