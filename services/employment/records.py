"""What a placement decides on besides its aggregates, as one protocol.

Placing a klien rests on facts no aggregate of this service holds: where and whether
the klien is supervised (learnt from the enrolment events), the klien's open placement,
and how many placements a vacancy has taken. The application service asks
:class:`EmploymentRecords` for them, so the command runs on the service's PostgreSQL
tables (:class:`PostgresRecords`) or on records kept beside an event store in memory.

In PostgreSQL each read a decision rests on also locks what keeps it true until the
unit of work commits, always in the same order (the klien's row, then the vacancy's
row; the event store's outbox comes last, at the save):

* the klien's ``clients`` row, so two placements of one klien take turns and the second
  sees the first: one open placement per klien;
* the vacancy's ``vacancies`` row, so placements into one vacancy take turns and its
  positions are never exceeded.

Which placements are open is the domain's to say (:class:`PlacementStatus`); the SQL
only filters by it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from services.employment.domain import ClientStatus, Klien, PlacementStatus
from services.employment.queries import count_candidates
from shared.eventstore.unit_of_work import UnitOfWork
from shared.postgres.pool import Connection


class EmploymentRecords(Protocol):
    """The facts a placement decides on, read inside its unit of work."""

    async def lock_client(self, client_id: UUID) -> Klien | None:
        """The klien as the enrolment events describe it, held until the unit commits;
        ``None`` for a klien the service has not learnt of."""

    async def open_placement_of(self, client_id: UUID) -> UUID | None:
        """The klien's placement that has not ended, if any."""

    async def lock_vacancy_placements(self, vacancy_id: UUID) -> int:
        """How many placements the vacancy has taken (none for a vacancy it does not
        know), held until the unit commits: taken before the vacancy is loaded, so that
        a closure committed meanwhile is seen."""

    async def candidates_for(self, bapas_code: str, skill: str) -> int:
        """How many klien a vacancy of this Bapas in this skill has as candidates."""


RecordsOf = Callable[[UnitOfWork], EmploymentRecords]
"""Opens the records on a unit of work (on its connection, for PostgreSQL)."""


def postgres_records(work: UnitOfWork) -> EmploymentRecords:
    """The records in the service's own tables, on the unit's connection."""
    return PostgresRecords(work.connection)


@dataclass(frozen=True)
class PostgresRecords:
    """:class:`EmploymentRecords` in the service's tables."""

    connection: Connection

    async def lock_client(self, client_id: UUID) -> Klien | None:
        row = await self.connection.fetchrow(
            "SELECT bapas_code, status, released_on FROM clients WHERE client_id = $1 FOR UPDATE",
            client_id,
        )
        if row is None:
            return None
        return Klien(
            client_id=client_id,
            bapas_code=row["bapas_code"],
            status=ClientStatus(row["status"]),
            released_on=row["released_on"],
        )

    async def open_placement_of(self, client_id: UUID) -> UUID | None:
        placement_id: UUID | None = await self.connection.fetchval(
            "SELECT placement_id FROM placements WHERE client_id = $1 AND status = $2",
            client_id,
            PlacementStatus.ACTIVE.value,
        )
        return placement_id

    async def lock_vacancy_placements(self, vacancy_id: UUID) -> int:
        placed: int | None = await self.connection.fetchval(
            "SELECT placed FROM vacancies WHERE vacancy_id = $1 FOR UPDATE", vacancy_id
        )
        return placed or 0

    async def candidates_for(self, bapas_code: str, skill: str) -> int:
        return await count_candidates(self.connection, bapas_code, skill)
