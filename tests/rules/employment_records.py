"""The employment commands' records kept beside an event store in memory, for tests of
the placement rules without PostgreSQL.

Placements are the store's own aggregates, replayed from their events, and which are
open is the domain's say, as in the service; a vacancy has taken as many placements as
ClientPlaced events name it. The klien are what the enrolment events would have told
the service: the test sets them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from services.employment.domain import Klien, Placement, PlacementStatus
from services.employment.records import EmploymentRecords
from shared.events.employment import ClientPlaced
from shared.events.envelope import AggregateType
from shared.eventstore.memory import InMemoryEventStore
from shared.eventstore.unit_of_work import UnitOfWork


@dataclass
class RecordsInMemory:
    """:class:`~services.employment.records.EmploymentRecords` beside ``store``."""

    store: InMemoryEventStore
    klien: dict[UUID, Klien] = field(default_factory=dict)
    candidates: dict[tuple[str, str], int] = field(default_factory=dict)
    """How many candidates a vacancy of (Bapas, skill) has, as the test says."""

    def of(self, work: UnitOfWork) -> EmploymentRecords:
        return self

    async def lock_client(self, client_id: UUID) -> Klien | None:
        return self.klien.get(client_id)

    async def open_placement_of(self, client_id: UUID) -> UUID | None:
        ids = dict.fromkeys(
            envelope.aggregate_id
            for envelope in self.store.published
            if envelope.aggregate_type is AggregateType.PLACEMENT
        )
        for placement_id in ids:
            placement = await self.store.load(Placement, placement_id)
            if placement.client_id == client_id and placement.status is PlacementStatus.ACTIVE:
                return placement_id
        return None

    async def candidates_for(self, bapas_code: str, skill: str) -> int:
        return self.candidates.get((bapas_code, skill), 0)

    async def lock_vacancy_placements(self, vacancy_id: UUID) -> int:
        return sum(
            isinstance(envelope.payload, ClientPlaced) and envelope.payload.vacancy_id == vacancy_id
            for envelope in self.store.published
        )
