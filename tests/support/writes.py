"""Saving one aggregate the way a command that saves one does: a unit of work on the
fast path (no transaction, one statement for one event)."""

from __future__ import annotations

from shared.events.envelope import Envelope, EventPayload
from shared.eventstore.aggregate import Aggregate
from shared.eventstore.store import CommandContext, EventStore
from shared.eventstore.unit_of_work import unit_of_work


async def save_alone(
    store: EventStore, aggregate: Aggregate, context: CommandContext
) -> list[Envelope[EventPayload]]:
    async with unit_of_work(store, context, transaction=False) as work:
        return await work.save(aggregate)
