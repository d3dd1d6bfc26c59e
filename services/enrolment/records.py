"""What the enrolment commands read and lock besides their aggregates, as one protocol.

Rule 2 decides on facts no single aggregate holds: the programme and its MoU (from
the pokmas events), the seats its enrolments take, the klien's other seats, and
whether the klien's NIK is already registered at the Bapas. The application service
asks :class:`EnrolmentRecords` for them, so its commands run on the service's
PostgreSQL tables (:class:`PostgresRecords`, here) or on anything else that answers
the same questions, such as a test's records kept beside an event store in memory.

In PostgreSQL each read that a decision rests on also locks what keeps it true until
the unit of work commits, always in the same order (a klien's row, then a programme's
row, then enrolment rows; the event store's outbox lock comes last, at the save), so
commands and the MoU reactions never deadlock:

* an enrolment locks the klien's ``clients`` row (its other enrolments cannot change
  meanwhile: no overlap slips through) and the programme's ``pokmas_programmes`` row
  before counting the seats, so concurrent enrolments into one programme take turns
  and the capacity is never exceeded;
* a change of an enrolment locks its ``enrolments`` row, a change of a klien its
  ``clients`` row, so two commands on one aggregate take turns instead of failing
  with a concurrency conflict.

Which enrolments hold a seat is the domain's to say (:data:`SEAT_HOLDING`); the SQL
only filters by it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from services.enrolment.domain import (
    OPEN,
    SEAT_HOLDING,
    MoU,
    MoUStatus,
    PrivateNote,
    Programme,
    ProgrammeStatus,
    ProgrammeTerms,
    Seat,
)
from services.enrolment.notes import erase_klien_data, keep_note
from services.enrolment.profiles import (
    ClientProfile,
    ProfileVault,
    move_profile,
    store_profile,
)
from shared.eventstore.unit_of_work import UnitOfWork
from shared.postgres.pool import Connection


@dataclass(frozen=True)
class EnrolmentPlace:
    """Where an enrolment belongs: who may change it, and its programme's terms."""

    bapas_code: str
    pokmas_id: UUID
    terms: ProgrammeTerms


class EnrolmentRecords(Protocol):
    """The facts the enrolment commands decide on, read inside their unit of work."""

    async def lock_client(self, client_id: UUID) -> str | None:
        """The klien's Bapas, held until the unit commits; ``None`` for no such klien."""

    async def lock_programme(self, programme_id: UUID) -> Programme | None:
        """The programme as the pokmas events describe it, held until the unit commits."""

    async def mou(self, mou_id: UUID) -> MoU | None:
        """The MoU as the pokmas events describe it, read after its programme's lock."""

    async def seats_taken(self, programme_id: UUID) -> int:
        """How many of the programme's enrolments hold a seat."""

    async def seats_of(self, client_id: UUID) -> Sequence[Seat]:
        """The klien's enrolments that hold a seat, with their programmes' dates."""

    async def lock_enrolment(self, enrolment_id: UUID) -> EnrolmentPlace | None:
        """The enrolment's place, held until the unit commits; ``None`` for none."""

    async def lock_open_enrolments(self, client_id: UUID) -> list[UUID]:
        """The klien's enrolments a departure ends (:data:`OPEN`), held until the unit
        commits, in id order."""

    async def keep_profile(self, client_id: UUID, bapas_code: str, profile: ClientProfile) -> bool:
        """Keep a new klien's profile; ``False`` if its NIK is registered at the Bapas."""

    async def move_profile(self, client_id: UUID, to_bapas_code: str) -> bool:
        """Register the klien's NIK at another Bapas (a transfer); ``False`` if that Bapas
        has it already. A klien whose profile was erased has nothing to move."""

    async def keep_note(self, note: PrivateNote) -> bool:
        """Keep a note about the klien out of its event; ``False`` once its profile is
        erased (there is no key left to seal it under)."""

    async def erase_profile(self, client_id: UUID) -> None:
        """Delete the klien's profile and notes so that nothing kept can give them back."""


RecordsOf = Callable[[UnitOfWork], EnrolmentRecords]
"""Opens the records on a unit of work (on its connection, for PostgreSQL)."""


def postgres_records(vault: ProfileVault) -> RecordsOf:
    """The records in the service's own tables, with profiles sealed by ``vault``."""
    return lambda work: PostgresRecords(work.connection, vault)


@dataclass(frozen=True)
class PostgresRecords:
    """:class:`EnrolmentRecords` in the service's tables, on the unit's connection."""

    connection: Connection
    vault: ProfileVault

    async def lock_client(self, client_id: UUID) -> str | None:
        bapas_code: str | None = await self.connection.fetchval(
            "SELECT bapas_code FROM clients WHERE client_id = $1 FOR UPDATE", client_id
        )
        return bapas_code

    async def lock_programme(self, programme_id: UUID) -> Programme | None:
        row = await self.connection.fetchrow(
            "SELECT programme_id, bapas_code, pokmas_id, mou_id, status, capacity, starts_on,"
            " ends_on, sessions_planned FROM pokmas_programmes WHERE programme_id = $1"
            " FOR UPDATE",
            programme_id,
        )
        if row is None:
            return None
        return Programme(**{**dict(row), "status": ProgrammeStatus(row["status"])})

    async def mou(self, mou_id: UUID) -> MoU | None:
        # Read after the programme's lock is held: a reaction that ended the MoU
        # meanwhile has committed, and this statement sees it.
        row = await self.connection.fetchrow(
            "SELECT status, valid_from, valid_until FROM pokmas_mous WHERE mou_id = $1", mou_id
        )
        if row is None:
            return None
        return MoU(
            mou_id=mou_id,
            status=MoUStatus(row["status"]),
            valid_from=row["valid_from"],
            valid_until=row["valid_until"],
        )

    async def seats_taken(self, programme_id: UUID) -> int:
        taken: int = await self.connection.fetchval(
            "SELECT count(*) FROM enrolments WHERE programme_id = $1 AND status = ANY($2::text[])",
            programme_id,
            list(SEAT_HOLDING),
        )
        return taken

    async def seats_of(self, client_id: UUID) -> Sequence[Seat]:
        rows = await self.connection.fetch(
            "SELECT programme_id, programme_starts_on, programme_ends_on FROM enrolments"
            " WHERE client_id = $1 AND status = ANY($2::text[])",
            client_id,
            list(SEAT_HOLDING),
        )
        return [
            Seat(
                programme_id=row["programme_id"],
                starts_on=row["programme_starts_on"],
                ends_on=row["programme_ends_on"],
            )
            for row in rows
        ]

    async def lock_enrolment(self, enrolment_id: UUID) -> EnrolmentPlace | None:
        row = await self.connection.fetchrow(
            "SELECT bapas_code, pokmas_id, programme_starts_on, programme_ends_on,"
            " sessions_planned FROM enrolments WHERE enrolment_id = $1 FOR UPDATE",
            enrolment_id,
        )
        if row is None:
            return None
        return EnrolmentPlace(
            bapas_code=row["bapas_code"],
            pokmas_id=row["pokmas_id"],
            terms=ProgrammeTerms(
                starts_on=row["programme_starts_on"],
                ends_on=row["programme_ends_on"],
                sessions_planned=row["sessions_planned"],
            ),
        )

    async def lock_open_enrolments(self, client_id: UUID) -> list[UUID]:
        rows = await self.connection.fetch(
            "SELECT enrolment_id FROM enrolments WHERE client_id = $1 AND status = ANY($2::text[])"
            " ORDER BY enrolment_id FOR UPDATE",
            client_id,
            list(OPEN),
        )
        return [row["enrolment_id"] for row in rows]

    async def move_profile(self, client_id: UUID, to_bapas_code: str) -> bool:
        return await move_profile(self.connection, client_id=client_id, to_bapas_code=to_bapas_code)

    async def keep_profile(self, client_id: UUID, bapas_code: str, profile: ClientProfile) -> bool:
        return await store_profile(
            self.connection, self.vault, client_id=client_id, bapas_code=bapas_code, profile=profile
        )

    async def keep_note(self, note: PrivateNote) -> bool:
        return await keep_note(self.connection, self.vault, note)

    async def erase_profile(self, client_id: UUID) -> None:
        await erase_klien_data(self.connection, client_id)
