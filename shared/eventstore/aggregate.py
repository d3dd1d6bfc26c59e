"""Aggregates in the eventsourcing style: a command method checks the rules, then
records an event; the state changes only by applying events, so replaying an
aggregate's events rebuilds it exactly.

An aggregate belongs to one Bapas, whose code keys its events. A klien can move to
another office: the event that moves it changes ``bapas_code`` when applied, so each
event keeps the office it was recorded at (the one before the move for the move
itself, the new one for every event after it).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import ClassVar, Self
from uuid import UUID

from shared.events.envelope import AggregateType, Envelope, EventPayload


class Aggregate(ABC):
    """An entity whose history is its events; ``version`` counts the events applied."""

    aggregate_type: ClassVar[AggregateType]

    def __init__(self, aggregate_id: UUID, bapas_code: str) -> None:
        self.id = aggregate_id
        self.bapas_code = bapas_code
        self.version = 0
        self._pending: list[EventPayload] = []
        self._pending_offices: list[str] = []

    @abstractmethod
    def apply(self, event: EventPayload) -> None:
        """Change the state as ``event`` says; never check a rule here."""

    def record(self, event: EventPayload) -> None:
        """Apply a new event and keep it until the store saves it."""
        if event.aggregate_id != self.id:
            raise ValueError(f"{event.event_type} belongs to another aggregate")
        office = self.bapas_code
        self.apply(event)
        self.version += 1
        self._pending.append(event)
        self._pending_offices.append(office)

    @property
    def pending_events(self) -> tuple[EventPayload, ...]:
        return tuple(self._pending)

    @property
    def pending_offices(self) -> tuple[str, ...]:
        """The Bapas each pending event was recorded at: its envelope's ``bapas_code``."""
        return tuple(self._pending_offices)

    @property
    def stored_version(self) -> int:
        """The version the store holds: the one the pending events must follow."""
        return self.version - len(self._pending)

    def mark_saved(self) -> None:
        self._pending.clear()
        self._pending_offices.clear()

    @classmethod
    def replay(cls, history: Iterable[Envelope[EventPayload]]) -> Self:
        """Rebuild an aggregate from its stored events, oldest first."""
        aggregate: Self | None = None
        for envelope in history:
            if aggregate is None:
                aggregate = cls.__new__(cls)
                Aggregate.__init__(aggregate, envelope.aggregate_id, envelope.bapas_code)
            if envelope.aggregate_version != aggregate.version + 1:
                raise ValueError(
                    f"history of {envelope.aggregate_id} has a gap before "
                    f"version {envelope.aggregate_version}"
                )
            aggregate.apply(envelope.payload)
            aggregate.version = envelope.aggregate_version
        if aggregate is None:
            raise ValueError("an aggregate needs at least one event")
        return aggregate
