"""An event store in memory, with the PostgreSQL store's protocol.

Rules and commands that decide on aggregates alone (loads, the aggregate's command
method, a save) run on it in a test without Kafka or PostgreSQL, through the same unit
of work as in the services: envelopes are built, versions numbered and concurrent
changes refused exactly as the PostgreSQL store does, and a unit of work that raises
leaves nothing behind. What it does not have is a database: read models, and rules
decided by reading rows (``UnitOfWork.connection``), need the real store.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypeVar
from uuid import UUID

from shared.eventstore.aggregate import Aggregate
from shared.eventstore.store import (
    CommandContext,
    ConcurrencyConflict,
    Events,
    pending_envelopes,
    replayed,
)

A = TypeVar("A", bound=Aggregate)


class InMemoryEventStore:
    """Every saved event, by aggregate, and in the order they were saved (``published``
    is what the relay would publish)."""

    def __init__(self) -> None:
        self._histories: dict[UUID, Events] = {}
        self.published: Events = []

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[None]:
        yield None

    @asynccontextmanager
    async def transaction(self, connection: None) -> AsyncIterator[object]:
        """Everything saved inside is kept if the block ends normally, forgotten if it raises."""
        histories = {aggregate_id: list(events) for aggregate_id, events in self._histories.items()}
        published = list(self.published)
        try:
            yield self
        except BaseException:
            self._histories, self.published = histories, published
            raise

    async def save(
        self, aggregate: Aggregate, context: CommandContext, *, connection: None = None
    ) -> Events:
        history = self._histories.setdefault(aggregate.id, [])
        if len(history) != aggregate.stored_version:
            raise ConcurrencyConflict.on(aggregate.aggregate_type, aggregate.id)
        envelopes = pending_envelopes(aggregate, context)
        history.extend(envelopes)
        self.published.extend(envelopes)
        aggregate.mark_saved()
        return envelopes

    async def load_history(self, aggregate_id: UUID, *, connection: None = None) -> Events:
        return list(self._histories.get(aggregate_id, ()))

    async def load(
        self, aggregate_class: type[A], aggregate_id: UUID, *, connection: None = None
    ) -> A:
        return replayed(aggregate_class, aggregate_id, await self.load_history(aggregate_id))
