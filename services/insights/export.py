"""A klien's subject-access export from the insights service (UU 27/2022: the right of
access): the facts it keeps about the klien to compute the figures, in one JSON document.

The service never knows who a klien is: it keeps the klien by its pseudonymous id. But
what it keeps of that id is still the klien's personal data, so the klien may see it:
its row (the office holding it, its release, supervision, first job, re-offence and
any standing recommendation for revocation), its enrolments (office, programme, Pokmas,
suspended or not), and its facts (each employment, placement, re-offence, completion,
withdrawal for work and recommendation for revocation, at the day, office, programme,
Pokmas and skill it counts in). Each is shown as stored, under a plain name; a fact's
programme or Pokmas kept as the nil uuid, or its skill kept as ``''`` (the event named
none), is ``null``. The daily counters are sums over many klien and name none, so they are not
the klien's. Who read the klien's data here is in the document too, the export itself
included.

The klien's Bapas, whose officers alone may export it, is the office holding it in its
row; a klien the service learnt only from enrolment events (a completion before its
release reached the service) is held by the office of its latest fact or enrolment.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

import asyncpg
from pydantic import BaseModel, Field

from services.insights.projections import NIL, FactKind
from shared.access_log import AccessEntry, all_accesses_of


class KlienOffice(BaseModel):
    """The office whose officers may export the klien."""

    bapas_code: str


class KlienFigures(BaseModel):
    """The klien's row, which the figures of its office and its release cohort follow."""

    client_id: UUID
    held_by_bapas_code: str = Field(description="The office supervising the klien now.")
    released_by_bapas_code: str | None
    released_on: date | None
    under_supervision: bool
    first_employed_on: date | None
    reoffended: bool
    revocation_recommended: bool = Field(
        description="Recommended for revocation, and no report has come since."
    )


class EnrolmentFigures(BaseModel):
    enrolment_id: UUID
    bapas_code: str
    programme_id: UUID | None
    pokmas_id: UUID | None
    suspended: bool


class KlienFact(BaseModel):
    """One fact of the klien that the figures count distinct klien of."""

    kind: FactKind
    source_id: UUID = Field(description="The klien, enrolment or placement of the event.")
    source_version: int = Field(description="The version of that event.")
    bapas_code: str
    day: date
    programme_id: UUID | None
    pokmas_id: UUID | None
    skill: str | None
    only_one_of_its_kind: bool = Field(
        description="The klien has no other fact of this kind (counted at this fact's day)."
    )
    employed_since: bool | None = Field(
        description="For a completion: a job of the klien started on or after it."
    )
    no_employment_recorded: bool | None = Field(
        description="For a withdrawal for work: no job of the klien is recorded."
    )


class InsightsExport(BaseModel):
    """What the insights service keeps of one klien."""

    service: Literal["insights"] = "insights"
    client_id: UUID
    exported_at: datetime
    klien: KlienFigures | None = Field(description="Null if no event of the klien made one.")
    enrolments: list[EnrolmentFigures]
    facts: list[KlienFact]
    access_log: list[AccessEntry]


_OFFICE = """
SELECT coalesce(
    (SELECT bapas_code FROM klien WHERE client_id = $1),
    (SELECT bapas_code FROM klien_facts WHERE client_id = $1
     ORDER BY day DESC, version DESC LIMIT 1),
    (SELECT bapas_code FROM enrolments WHERE client_id = $1 LIMIT 1)
)
"""

_KLIEN = """
SELECT client_id, bapas_code AS held_by_bapas_code,
       release_bapas_code AS released_by_bapas_code, released_on,
       supervised AS under_supervision, first_employed_on, reoffended, revocation_recommended
FROM klien WHERE client_id = $1
"""

_ENROLMENTS = """
SELECT enrolment_id, bapas_code, programme_id, pokmas_id, suspended
FROM enrolments WHERE client_id = $1 ORDER BY enrolment_id
"""

_FACTS = """
SELECT kind, aggregate_id, version, bapas_code, day, programme_id, pokmas_id, skill, single,
       flag
FROM klien_facts WHERE client_id = $1 ORDER BY day, kind, aggregate_id, version
"""


async def office_of(pool: asyncpg.Pool, client_id: UUID) -> KlienOffice | None:
    """The klien's office, or ``None`` if the service keeps nothing of the klien."""
    bapas_code = await pool.fetchval(_OFFICE, client_id)
    return None if bapas_code is None else KlienOffice(bapas_code=bapas_code)


def _named(value: UUID) -> UUID | None:
    """An id as stored, ``None`` for the nil uuid (the event named none)."""
    return None if value == NIL else value


def _fact(row: asyncpg.Record) -> KlienFact:
    kind = FactKind(row["kind"])
    return KlienFact(
        kind=kind,
        source_id=row["aggregate_id"],
        source_version=row["version"],
        bapas_code=row["bapas_code"],
        day=row["day"],
        programme_id=_named(row["programme_id"]),
        pokmas_id=_named(row["pokmas_id"]),
        skill=row["skill"] or None,
        only_one_of_its_kind=row["single"],
        employed_since=row["flag"] if kind is FactKind.COMPLETION else None,
        no_employment_recorded=row["flag"] if kind is FactKind.WORK_WITHDRAWAL else None,
    )


async def export_of(
    pool: asyncpg.Pool, client_id: UUID, *, exported_at: datetime
) -> InsightsExport:
    klien = await pool.fetchrow(_KLIEN, client_id)
    enrolments = await pool.fetch(_ENROLMENTS, client_id)
    return InsightsExport(
        client_id=client_id,
        exported_at=exported_at,
        klien=None if klien is None else KlienFigures.model_validate(dict(klien)),
        enrolments=[EnrolmentFigures.model_validate(dict(row)) for row in enrolments],
        facts=[_fact(row) for row in await pool.fetch(_FACTS, client_id)],
        access_log=await all_accesses_of(pool, client_id),
    )
