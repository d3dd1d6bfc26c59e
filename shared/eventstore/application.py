"""What every service's application service shares: the event store, the caller and the
request's context; "today" at a Bapas, taken from the instant of the command, never a
clock; a unit of work on the store; and the command that most changes are, which loads
one aggregate, checks that the caller may change it (an officer of its Bapas), changes
it with the date at that Bapas and saves it.

A service's application service derives from :class:`Application` and adds its commands
(and what they read besides aggregates, if any); it runs on the PostgreSQL event store
or on the one in memory alike.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date
from typing import TypeVar
from uuid import UUID

from shared.eventstore.aggregate import Aggregate
from shared.eventstore.store import CommandContext, Events
from shared.eventstore.unit_of_work import EventStorage, UnitOfWork, unit_of_work
from shared.reference import today_in
from shared.scope import Principal

A = TypeVar("A", bound=Aggregate)


@dataclass(frozen=True)
class Application:
    """The commands one caller may give, in one request's context."""

    store: EventStorage
    caller: Principal
    context: CommandContext

    def _today(self, bapas_code: str) -> date:
        return today_in(bapas_code, self.context.occurred_at)

    def _work(self, *, transaction: bool = False) -> AbstractAsyncContextManager[UnitOfWork]:
        """A unit of work: on the fast path (loads, then one save), or in a transaction
        for a change that locks what it decides on or saves more than once."""
        return unit_of_work(self.store, self.context, transaction=transaction)

    async def _change(
        self, kind: type[A], aggregate_id: UUID, change: Callable[[A, date], None]
    ) -> Events:
        """Load the aggregate, check the caller may change it (an officer of its Bapas),
        apply ``change`` with the date at that Bapas, and save."""
        async with self._work() as work:
            aggregate = await work.load(kind, aggregate_id)
            self.caller.require_write(aggregate.bapas_code)
            change(aggregate, self._today(aggregate.bapas_code))
            return await work.save(aggregate)
