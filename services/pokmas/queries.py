"""What the pokmas queries answer, read from the service's read models.

Every list is limited in SQL to the caller's :class:`~shared.http.ListScope` (its
Bapas codes and, for a Pokmas partner, its Pokmas) and pages by keyset, so a deep
page costs what the first one does. Single items are returned with their Bapas and
Pokmas so the API can check the caller may read them.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated
from uuid import UUID

import asyncpg
from pydantic import BaseModel, Field

from services.pokmas.domain import MoUStatus, ProgrammeStatus
from shared.events.pokmas import Contact, PokmasKind
from shared.http import CursorCodec, ListScope, Page, PageRequest
from shared.reference import bapas_offices, today_in

# Sort keys travel in cursors; a name never holds a NUL, which PostgreSQL refuses.
NAME_CURSOR = CursorCodec(tuple[Annotated[str, Field(pattern=r"^[^\x00]*$")], UUID])
DATE_CURSOR = CursorCodec(tuple[date, UUID])

_IN_SCOPE = "($1::text[] IS NULL OR bapas_code = ANY($1)) AND ($2::uuid IS NULL OR pokmas_id = $2)"


class PokmasView(BaseModel):
    pokmas_id: UUID
    bapas_code: str
    name: str
    kind: PokmasKind
    registration_number: str | None
    contact: Contact
    address: str
    skills: list[str]
    version: int


class MoUView(BaseModel):
    mou_id: UUID
    bapas_code: str
    pokmas_id: UUID
    number: str
    signed_on: date
    valid_from: date
    valid_until: date
    scope: list[str]
    status: MoUStatus
    renewed_on: date | None
    terminated_on: date | None
    termination_reason: str | None
    expired_on: date | None
    version: int


class ProgrammeView(BaseModel):
    programme_id: UUID
    bapas_code: str
    pokmas_id: UUID
    mou_id: UUID
    skill: str
    title: str
    capacity: int
    enrolled: int = Field(description="Seats taken: enrolments not withdrawn (domain rule 2).")
    starts_on: date
    ends_on: date
    sessions_planned: int
    location: str
    status: ProgrammeStatus
    closed_on: date | None
    closure_reason: str | None
    version: int


def _scope_arguments(scope: ListScope) -> tuple[list[str] | None, UUID | None]:
    codes = None if scope.bapas_codes is None else sorted(scope.bapas_codes)
    return codes, scope.pokmas_id


def _pokmas(row: asyncpg.Record) -> PokmasView:
    values = dict(row)
    contact = Contact(
        name=values.pop("contact_name"),
        phone=values.pop("contact_phone"),
        email=values.pop("contact_email"),
    )
    return PokmasView(**values, contact=contact)


_POKMAS_COLUMNS = (
    "pokmas_id, bapas_code, name, kind, registration_number, contact_name, contact_phone,"
    " contact_email, address, skills, version"
)


async def pokmas_by_id(pool: asyncpg.Pool, pokmas_id: UUID) -> PokmasView | None:
    row = await pool.fetchrow(
        f"SELECT {_POKMAS_COLUMNS} FROM pokmas WHERE pokmas_id = $1", pokmas_id
    )
    return None if row is None else _pokmas(row)


async def list_pokmas(
    pool: asyncpg.Pool, scope: ListScope, paging: PageRequest
) -> Page[PokmasView]:
    after = paging.after(NAME_CURSOR)
    rows = await pool.fetch(
        f"SELECT {_POKMAS_COLUMNS} FROM pokmas WHERE {_IN_SCOPE}"
        " AND ($3::text IS NULL OR (name, pokmas_id) > ($3, $4))"
        " ORDER BY name, pokmas_id LIMIT $5",
        *_scope_arguments(scope),
        *(after or (None, None)),
        paging.fetch_limit,
    )
    return paging.page([_pokmas(row) for row in rows], NAME_CURSOR, lambda p: (p.name, p.pokmas_id))


_MOU_COLUMNS = (
    "mou_id, bapas_code, pokmas_id, number, signed_on, valid_from, valid_until, scope, status,"
    " renewed_on, terminated_on, termination_reason, expired_on, version"
)


async def mou_by_id(pool: asyncpg.Pool, mou_id: UUID) -> MoUView | None:
    row = await pool.fetchrow(f"SELECT {_MOU_COLUMNS} FROM mous WHERE mou_id = $1", mou_id)
    return None if row is None else MoUView(**dict(row))


def _expiry_horizons(
    scope: ListScope, within_days: int, now: datetime
) -> tuple[list[str], list[date]]:
    """Per Bapas, the last ``valid_until`` that expires within the days, counted from
    today in the Bapas's own time zone (rule 5)."""
    codes = sorted(
        scope.bapas_codes
        if scope.bapas_codes is not None
        else (office.code for office in bapas_offices())
    )
    return codes, [today_in(code, now) + timedelta(days=within_days) for code in codes]


async def list_mous(
    pool: asyncpg.Pool,
    scope: ListScope,
    paging: PageRequest,
    *,
    status: MoUStatus | None,
    expiring_within_days: int | None,
    now: datetime,
) -> Page[MoUView]:
    """MoUs by ``valid_until``; ``expiring_within_days`` keeps the active ones that end
    within that many days (or have already lapsed, awaiting the expiry job)."""
    horizon_codes: list[str] | None = None
    horizons: list[date] | None = None
    if expiring_within_days is not None:
        horizon_codes, horizons = _expiry_horizons(scope, expiring_within_days, now)
        if status not in (None, MoUStatus.ACTIVE):
            return Page(items=[], next_cursor=None)
        status = MoUStatus.ACTIVE
    after = paging.after(DATE_CURSOR)
    rows = await pool.fetch(
        f"SELECT {_MOU_COLUMNS} FROM mous WHERE {_IN_SCOPE}"
        " AND ($3::text IS NULL OR status = $3)"
        " AND ($4::text[] IS NULL OR valid_until <= ("
        "   SELECT horizon FROM unnest($4::text[], $5::date[]) AS h (code, horizon)"
        "   WHERE code = mous.bapas_code))"
        " AND ($6::date IS NULL OR (valid_until, mou_id) > ($6, $7))"
        " ORDER BY valid_until, mou_id LIMIT $8",
        *_scope_arguments(scope),
        None if status is None else status.value,
        horizon_codes,
        horizons,
        *(after or (None, None)),
        paging.fetch_limit,
    )
    return paging.page(
        [MoUView(**dict(row)) for row in rows], DATE_CURSOR, lambda m: (m.valid_until, m.mou_id)
    )


_PROGRAMME_COLUMNS = (
    "programme_id, bapas_code, pokmas_id, mou_id, skill, title, capacity,"
    " coalesce(enrolled, 0) AS enrolled, starts_on, ends_on, sessions_planned, location,"
    " status, closed_on, closure_reason, version"
    " FROM programmes LEFT JOIN programme_seats USING (programme_id)"
)


async def programme_by_id(pool: asyncpg.Pool, programme_id: UUID) -> ProgrammeView | None:
    row = await pool.fetchrow(f"SELECT {_PROGRAMME_COLUMNS} WHERE programme_id = $1", programme_id)
    return None if row is None else ProgrammeView(**dict(row))


async def list_programmes(
    pool: asyncpg.Pool,
    scope: ListScope,
    paging: PageRequest,
    *,
    skill: str | None,
    status: ProgrammeStatus | None,
) -> Page[ProgrammeView]:
    """Programmes by their first day."""
    after = paging.after(DATE_CURSOR)
    rows = await pool.fetch(
        f"SELECT {_PROGRAMME_COLUMNS} WHERE {_IN_SCOPE}"
        " AND ($3::text IS NULL OR skill = $3)"
        " AND ($4::text IS NULL OR status = $4)"
        " AND ($5::date IS NULL OR (starts_on, programme_id) > ($5, $6))"
        " ORDER BY starts_on, programme_id LIMIT $7",
        *_scope_arguments(scope),
        skill,
        None if status is None else status.value,
        *(after or (None, None)),
        paging.fetch_limit,
    )
    return paging.page(
        [ProgrammeView(**dict(row)) for row in rows],
        DATE_CURSOR,
        lambda p: (p.starts_on, p.programme_id),
    )
