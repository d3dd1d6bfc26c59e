"""A klien's subject-access export from the enrolment service (UU 27/2022: the right of
access): everything this service shows of the klien, in one JSON document.

It holds what the API shows one answer at a time, each exactly as that answer shows it
to the klien's own officers: the klien with its profile, wajib lapor and outcomes; its
due dates answered or missed; each of its enrolments, at any office, with attendance,
the trainee's name and the certificate's code; every note kept about the klien (also a
transfer's reason, which no other answer shows); and the record of who read the klien's
personal data. It names no other klien. Reading it is itself recorded in that record.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg
from pydantic import BaseModel

from services.enrolment.certificates import CertificateCodes, certificate_refusal
from services.enrolment.notes import KeptNote, notes_of
from services.enrolment.profiles import ProfileVault, read_profile
from services.enrolment.queries import (
    ClientDetail,
    DueDate,
    EnrolmentDetail,
    due_dates_of,
    enrolment_detail,
    enrolment_ids_of,
)
from shared.access_log import AccessEntry, all_accesses_of
from shared.events.envelope import Source


class EnrolmentExport(BaseModel):
    """What the enrolment service holds of one klien."""

    service: Source = Source.ENROLMENT
    client_id: UUID
    exported_at: datetime
    klien: ClientDetail
    due_dates: list[DueDate]
    enrolments: list[EnrolmentDetail]
    notes: list[KeptNote]
    access_log: list[AccessEntry]


async def export_of(
    pool: asyncpg.Pool,
    vault: ProfileVault,
    codes: CertificateCodes,
    klien: ClientDetail,
    *,
    exported_at: datetime,
) -> EnrolmentExport:
    """The export of ``klien`` (as read for its officers, profile included)."""
    async with pool.acquire() as connection:
        profile = await read_profile(connection, vault, klien.client_id)
        notes = await notes_of(connection, vault, [klien.client_id])
    klien.profile = profile
    notes.fill_client(klien)
    enrolments: list[EnrolmentDetail] = []
    for enrolment_id in await enrolment_ids_of(pool, klien.client_id):
        enrolment = await enrolment_detail(pool, enrolment_id)
        if enrolment is None:
            continue
        enrolment.trainee_name = None if profile is None else profile.full_name
        notes.fill_enrolment_detail(enrolment)
        if certificate_refusal(enrolment.status, enrolment.assessment) is None:
            enrolment.certificate_code = codes.code_of(enrolment_id)
        enrolments.append(enrolment)
    due_dates = await due_dates_of(pool, klien.client_id)
    notes.fill_due_dates(klien.client_id, due_dates)
    return EnrolmentExport(
        client_id=klien.client_id,
        exported_at=exported_at,
        klien=klien,
        due_dates=due_dates,
        enrolments=enrolments,
        notes=notes.kept(klien.client_id),
        access_log=await all_accesses_of(pool, klien.client_id),
    )
