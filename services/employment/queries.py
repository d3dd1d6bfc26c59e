"""What the employment queries answer, read from the service's read models and its
projection: employers, vacancies and their candidates, placements, and an employer's
track record.

Every list is limited in SQL to the caller's :class:`~shared.http.ListScope` (its Bapas
codes) and pages by keyset, so a deep page costs what the first one does. Single items
come with their Bapas so the API can check the caller may read them.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from pydantic import BaseModel, Field

from services.employment.domain import ClientStatus, PlacementStatus, VacancyStatus
from shared.events.employment import PlacementEndReason, PlacementKind
from shared.events.enrolment import Assessment
from shared.events.pokmas import Contact
from shared.http import CursorCodec, ListScope, Page, PageRequest
from shared.postgres.pool import Connection

NulFreeText = Annotated[str, Field(pattern=r"^[^\x00]*$")]
"""A text sort key in a cursor: PostgreSQL refuses a NUL, so a cursor holding one is a 422."""

TEXT_CURSOR = CursorCodec(tuple[NulFreeText, UUID])
DATE_CURSOR = CursorCodec(tuple[date, UUID])

_IN_SCOPE = "($1::text[] IS NULL OR bapas_code = ANY($1))"


class EmployerView(BaseModel):
    employer_id: UUID
    bapas_code: str
    name: str
    sector: str = Field(description="The KBLI 2020 section the employer works in.")
    address: str
    contact: Contact
    skills: list[str]
    pledged_on: date | None = Field(description="When it signed the fair-chance pledge.")
    version: int


class VacancyView(BaseModel):
    vacancy_id: UUID
    employer_id: UUID
    bapas_code: str
    title: str
    skill: str
    positions: int
    placed: int = Field(description="Placements taken from the vacancy.")
    opens_on: date
    closes_on: date
    status: VacancyStatus
    closed_on: date | None
    closure_reason: str | None
    version: int


class RetentionCheck(BaseModel):
    checked_on: date
    still_employed: bool


class PlacementView(BaseModel):
    id: UUID
    bapas_code: str
    client_id: UUID
    employer_id: UUID
    vacancy_id: UUID | None
    started_on: date
    kind: PlacementKind
    skill: str | None
    status: PlacementStatus
    six_weeks: RetentionCheck | None
    six_months: RetentionCheck | None
    ended_on: date | None
    end_reason: PlacementEndReason | None
    version: int


class Candidate(BaseModel):
    """A klien who fits a vacancy, as its Bapas's officers see it: never a name."""

    client_id: UUID
    register_number: str


class Retention(BaseModel):
    checked: int = Field(description="Placements whose check was recorded.")
    still_employed: int = Field(description="Of those, the klien still employed.")


class EmployerRecord(BaseModel):
    """An employer's track record: how many klien it hired and how long they stayed."""

    employer_id: UUID
    bapas_code: str
    hires: int = Field(description="Placements with the employer, ended or not.")
    active: int = Field(description="Placements not ended.")
    six_weeks: Retention
    six_months: Retention
    ended_by_reason: dict[PlacementEndReason, int]


def _codes(scope: ListScope) -> list[str] | None:
    return None if scope.bapas_codes is None else sorted(scope.bapas_codes)


def _empty() -> Page[Any]:
    return Page(items=[], next_cursor=None)


# -- employers ------------------------------------------------------------------------

_EMPLOYER_COLUMNS = (
    "employer_id, bapas_code, name, sector, address, contact_name, contact_phone,"
    " contact_email, skills, pledged_on, version"
)


def _employer(row: asyncpg.Record) -> EmployerView:
    values = dict(row)
    contact = Contact(
        name=values.pop("contact_name"),
        phone=values.pop("contact_phone"),
        email=values.pop("contact_email"),
    )
    return EmployerView(**values, contact=contact)


async def employer_by_id(pool: asyncpg.Pool, employer_id: UUID) -> EmployerView | None:
    row = await pool.fetchrow(
        f"SELECT {_EMPLOYER_COLUMNS} FROM employers WHERE employer_id = $1", employer_id
    )
    return None if row is None else _employer(row)


async def list_employers(
    pool: asyncpg.Pool,
    scope: ListScope,
    paging: PageRequest,
    *,
    sector: str | None,
    skill: str | None,
) -> Page[EmployerView]:
    """Employers by name."""
    if scope.is_empty:
        return _empty()
    after = paging.after(TEXT_CURSOR)
    rows = await pool.fetch(
        f"SELECT {_EMPLOYER_COLUMNS} FROM employers WHERE {_IN_SCOPE}"
        " AND ($2::text IS NULL OR sector = $2) AND ($3::text IS NULL OR $3 = ANY(skills))"
        " AND ($4::text IS NULL OR (name, employer_id) > ($4, $5))"
        " ORDER BY name, employer_id LIMIT $6",
        _codes(scope),
        sector,
        skill,
        *(after or (None, None)),
        paging.fetch_limit,
    )
    return paging.page(
        [_employer(row) for row in rows], TEXT_CURSOR, lambda e: (e.name, e.employer_id)
    )


async def employer_record(pool: asyncpg.Pool, employer: EmployerView) -> EmployerRecord:
    # An aggregate without GROUP BY answers one row, placements or not.
    [counts] = await pool.fetch(
        "SELECT count(*) AS hires, count(*) FILTER (WHERE status = $2) AS active,"
        " count(six_weeks_checked_on) AS six_weeks_checked,"
        " count(*) FILTER (WHERE six_weeks_employed) AS six_weeks_still_employed,"
        " count(six_months_checked_on) AS six_months_checked,"
        " count(*) FILTER (WHERE six_months_employed) AS six_months_still_employed"
        " FROM placements WHERE employer_id = $1",
        employer.employer_id,
        PlacementStatus.ACTIVE.value,
    )
    ended = await pool.fetch(
        "SELECT end_reason, count(*) AS placements FROM placements"
        " WHERE employer_id = $1 AND end_reason IS NOT NULL GROUP BY end_reason",
        employer.employer_id,
    )
    by_reason = dict.fromkeys(PlacementEndReason, 0)
    by_reason.update({PlacementEndReason(row["end_reason"]): row["placements"] for row in ended})
    return EmployerRecord(
        employer_id=employer.employer_id,
        bapas_code=employer.bapas_code,
        hires=counts["hires"],
        active=counts["active"],
        six_weeks=Retention(
            checked=counts["six_weeks_checked"],
            still_employed=counts["six_weeks_still_employed"],
        ),
        six_months=Retention(
            checked=counts["six_months_checked"],
            still_employed=counts["six_months_still_employed"],
        ),
        ended_by_reason=by_reason,
    )


# -- vacancies ------------------------------------------------------------------------

_VACANCY_COLUMNS = (
    "vacancy_id, employer_id, bapas_code, title, skill, positions, placed, opens_on,"
    " closes_on, status, closed_on, closure_reason, version"
)


async def vacancy_by_id(pool: asyncpg.Pool, vacancy_id: UUID) -> VacancyView | None:
    row = await pool.fetchrow(
        f"SELECT {_VACANCY_COLUMNS} FROM vacancies WHERE vacancy_id = $1", vacancy_id
    )
    return None if row is None else VacancyView(**dict(row))


async def list_vacancies(
    pool: asyncpg.Pool,
    scope: ListScope,
    paging: PageRequest,
    *,
    skill: str | None,
    status: VacancyStatus | None,
) -> Page[VacancyView]:
    """Vacancies by the day they open."""
    if scope.is_empty:
        return _empty()
    after = paging.after(DATE_CURSOR)
    rows = await pool.fetch(
        f"SELECT {_VACANCY_COLUMNS} FROM vacancies WHERE {_IN_SCOPE}"
        " AND ($2::text IS NULL OR skill = $2) AND ($3::text IS NULL OR status = $3)"
        " AND ($4::date IS NULL OR (opens_on, vacancy_id) > ($4, $5))"
        " ORDER BY opens_on, vacancy_id LIMIT $6",
        _codes(scope),
        skill,
        None if status is None else status.value,
        *(after or (None, None)),
        paging.fetch_limit,
    )
    return paging.page(
        [VacancyView(**dict(row)) for row in rows],
        DATE_CURSOR,
        lambda v: (v.opens_on, v.vacancy_id),
    )


_CANDIDATES = (
    " FROM clients WHERE bapas_code = $1 AND status = $2"
    " AND EXISTS (SELECT FROM completions JOIN programme_skills USING (programme_id)"
    "   WHERE completions.client_id = clients.client_id AND assessment = $3"
    "   AND skill = $4)"
    " AND NOT EXISTS (SELECT FROM placements"
    "   WHERE placements.client_id = clients.client_id AND placements.status = $5)"
)
"""The candidates of a vacancy of Bapas $1 in skill $4: klien under supervision there,
with a completed training in the skill assessed competent, and no open placement."""


def _candidate_arguments(bapas_code: str, skill: str) -> tuple[str, ...]:
    return (
        bapas_code,
        ClientStatus.UNDER_SUPERVISION.value,
        Assessment.COMPETENT.value,
        skill,
        PlacementStatus.ACTIVE.value,
    )


async def count_candidates(connection: Connection, bapas_code: str, skill: str) -> int:
    """How many klien are candidates for a vacancy of this Bapas in this skill."""
    counted: int = await connection.fetchval(
        "SELECT count(*)" + _CANDIDATES, *_candidate_arguments(bapas_code, skill)
    )
    return counted


async def candidates(
    pool: asyncpg.Pool, vacancy: VacancyView, paging: PageRequest
) -> Page[Candidate]:
    """The vacancy's candidates (:data:`_CANDIDATES`), by register number."""
    after = paging.after(TEXT_CURSOR)
    rows = await pool.fetch(
        "SELECT client_id, register_number"
        + _CANDIDATES
        + " AND ($6::text IS NULL OR (register_number, client_id) > ($6, $7))"
        " ORDER BY register_number, client_id LIMIT $8",
        *_candidate_arguments(vacancy.bapas_code, vacancy.skill),
        *(after or (None, None)),
        paging.fetch_limit,
    )
    return paging.page(
        [Candidate(**dict(row)) for row in rows],
        TEXT_CURSOR,
        lambda c: (c.register_number, c.client_id),
    )


# -- placements -----------------------------------------------------------------------

_PLACEMENT_COLUMNS = (
    "placement_id, bapas_code, client_id, employer_id, vacancy_id, started_on, kind, skill,"
    " status, six_weeks_checked_on, six_weeks_employed, six_months_checked_on,"
    " six_months_employed, ended_on, end_reason, version"
)


def _check(values: dict[str, Any], milestone: str) -> RetentionCheck | None:
    checked_on = values.pop(f"{milestone}_checked_on")
    still_employed = values.pop(f"{milestone}_employed")
    if checked_on is None:
        return None
    return RetentionCheck(checked_on=checked_on, still_employed=still_employed)


def _placement(row: asyncpg.Record) -> PlacementView:
    values = dict(row)
    values["id"] = values.pop("placement_id")
    six_weeks, six_months = _check(values, "six_weeks"), _check(values, "six_months")
    return PlacementView(**values, six_weeks=six_weeks, six_months=six_months)


async def placement_by_id(pool: asyncpg.Pool, placement_id: UUID) -> PlacementView | None:
    row = await pool.fetchrow(
        f"SELECT {_PLACEMENT_COLUMNS} FROM placements WHERE placement_id = $1", placement_id
    )
    return None if row is None else _placement(row)


async def list_placements(
    pool: asyncpg.Pool,
    scope: ListScope,
    paging: PageRequest,
    *,
    employer_id: UUID | None,
    client_id: UUID | None,
    status: PlacementStatus | None,
) -> Page[PlacementView]:
    """Placements by their first day of work."""
    if scope.is_empty:
        return _empty()
    after = paging.after(DATE_CURSOR)
    rows = await pool.fetch(
        f"SELECT {_PLACEMENT_COLUMNS} FROM placements WHERE {_IN_SCOPE}"
        " AND ($2::uuid IS NULL OR employer_id = $2) AND ($3::uuid IS NULL OR client_id = $3)"
        " AND ($4::text IS NULL OR status = $4)"
        " AND ($5::date IS NULL OR (started_on, placement_id) > ($5, $6))"
        " ORDER BY started_on, placement_id LIMIT $7",
        _codes(scope),
        employer_id,
        client_id,
        None if status is None else status.value,
        *(after or (None, None)),
        paging.fetch_limit,
    )
    return paging.page(
        [_placement(row) for row in rows], DATE_CURSOR, lambda p: (p.started_on, p.id)
    )
