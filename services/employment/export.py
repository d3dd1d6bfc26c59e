"""A klien's subject-access export from the employment service (UU 27/2022: the right of
access): what this service holds of the klien, in one JSON document.

The klien as this service knows it from the enrolment events (its office, register
number, supervision and competent trainings), its placements with their retention
checks and ends, exactly as the placements' API shows them, and who read the klien's
data here. It names no other klien; the export is recorded in that record too.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import asyncpg
from pydantic import BaseModel

from services.employment.queries import PlacementView, placement_by_id
from shared.access_log import AccessEntry, all_accesses_of
from shared.events.envelope import Source


class KlienHere(BaseModel):
    """What the service learnt of the klien from the enrolment events."""

    client_id: UUID
    bapas_code: str
    register_number: str
    released_on: date
    status: str
    supervision_ended_on: date | None


class Completion(BaseModel):
    enrolment_id: UUID
    programme_id: UUID
    assessment: str
    completed_on: date


class EmploymentExport(BaseModel):
    """What the employment service holds of one klien."""

    service: Source = Source.EMPLOYMENT
    client_id: UUID
    exported_at: datetime
    klien: KlienHere
    completions: list[Completion]
    placements: list[PlacementView]
    access_log: list[AccessEntry]


async def klien_here(pool: asyncpg.Pool, client_id: UUID) -> KlienHere | None:
    row = await pool.fetchrow(
        "SELECT client_id, bapas_code, register_number, released_on, status,"
        " supervision_ended_on FROM clients WHERE client_id = $1",
        client_id,
    )
    return None if row is None else KlienHere.model_validate(dict(row))


async def export_of(
    pool: asyncpg.Pool, klien: KlienHere, *, exported_at: datetime
) -> EmploymentExport:
    completions = await pool.fetch(
        "SELECT enrolment_id, programme_id, assessment, completed_on FROM completions"
        " WHERE client_id = $1 ORDER BY completed_on, enrolment_id",
        klien.client_id,
    )
    placement_ids = await pool.fetch(
        "SELECT placement_id FROM placements WHERE client_id = $1"
        " ORDER BY started_on, placement_id",
        klien.client_id,
    )
    placements = [await placement_by_id(pool, row["placement_id"]) for row in placement_ids]
    return EmploymentExport(
        client_id=klien.client_id,
        exported_at=exported_at,
        klien=klien,
        completions=[Completion.model_validate(dict(row)) for row in completions],
        placements=[placement for placement in placements if placement is not None],
        access_log=await all_accesses_of(pool, klien.client_id),
    )
