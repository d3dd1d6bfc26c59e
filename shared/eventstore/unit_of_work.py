"""One unit of work: what a change loads and decides on, the events it saves and the
read-model changes they make, on one connection, committed together or not at all.

Every write path of every service goes through it: the HTTP commands, the reactions a
projection runs in its batch, the notification worker's outcomes and the periodic
jobs. It is opened one of three ways:

* :func:`unit_of_work` with ``transaction=True``: a pooled connection and a
  transaction around everything, for changes that lock the rows they decide on
  (``SELECT … FOR UPDATE``) or save more than one aggregate;
* :func:`unit_of_work` with ``transaction=False``, the fast path: a pooled connection
  and no transaction, for a change that loads, then saves one aggregate once. One event
  is one statement (the event, its outbox row, the read-model change and the relay's
  wake-up), atomic by itself; several events get a transaction of their own. The event
  store's primary key refuses a save whose aggregate changed since its load;
* :func:`unit_of_work_within`: inside a transaction somebody else opened (a
  projection's batch), so that the consumer's tracking commits with the events.

It works on any :class:`EventStorage`: the PostgreSQL event store, or the one in
memory that tests of rules and commands use.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol, TypeVar
from uuid import UUID

from shared.eventstore.aggregate import Aggregate
from shared.eventstore.refusals import InvalidValue
from shared.eventstore.store import AggregateNotFound, CommandContext, Events
from shared.postgres.pool import Connection

A = TypeVar("A", bound=Aggregate)


class EventStorage(Protocol):
    """What a unit of work needs of an event store."""

    def connection(self) -> AbstractAsyncContextManager[Any]: ...

    def transaction(self, connection: Any) -> AbstractAsyncContextManager[object]: ...

    async def save(
        self, aggregate: Aggregate, context: CommandContext, *, connection: Any
    ) -> Events: ...

    async def load(self, aggregate_class: type[A], aggregate_id: UUID, *, connection: Any) -> A: ...


class UnitOfWork:
    """Loads and saves aggregates of one store on one connection, in one context."""

    def __init__(
        self,
        store: EventStorage,
        connection: Connection | None,
        context: CommandContext,
        *,
        in_transaction: bool,
    ) -> None:
        self.store = store
        self._connection = connection
        self.context = context
        self._in_transaction = in_transaction
        self._saved = False

    @property
    def connection(self) -> Connection:
        """For the reads a decision rests on, and the locks that keep it true."""
        if self._connection is None:
            raise RuntimeError("this unit of work has no database (its event store is in memory)")
        return self._connection

    async def load(self, aggregate_class: type[A], aggregate_id: UUID) -> A:
        """The aggregate as its stored events make it (``AggregateNotFound`` if none)."""
        return await self.store.load(aggregate_class, aggregate_id, connection=self._connection)

    async def load_named(
        self, aggregate_class: type[A], aggregate_id: UUID, *, field: str, unknown: str
    ) -> A:
        """The aggregate a command's ``field`` names; an id the store does not know is an
        invalid value of that field (``unknown`` says why), not a missing resource."""
        try:
            return await self.load(aggregate_class, aggregate_id)
        except AggregateNotFound:
            raise InvalidValue(field, unknown) from None

    async def save(self, aggregate: Aggregate, *, context: CommandContext | None = None) -> Events:
        """Store the aggregate's pending events with their read-model changes; returns
        them. ``context`` overrides the unit's (a reaction saves each cause's effects
        with that cause as their causation)."""
        if not self._in_transaction:
            if self._saved:
                raise RuntimeError("a unit of work without a transaction saves once")
            self._saved = True
            if len(aggregate.pending_events) > 1:
                async with self.store.transaction(self._connection):
                    return await self._save(aggregate, context)
        return await self._save(aggregate, context)

    async def _save(self, aggregate: Aggregate, context: CommandContext | None) -> Events:
        return await self.store.save(
            aggregate, context or self.context, connection=self._connection
        )


@asynccontextmanager
async def unit_of_work(
    store: EventStorage, context: CommandContext, *, transaction: bool = True
) -> AsyncIterator[UnitOfWork]:
    """A unit of work on a connection of the store: in a transaction committed when the
    block ends (rolled back if it raises), or, with ``transaction=False``, the
    one-statement fast path for one save."""
    async with store.connection() as connection:
        if not transaction:
            yield UnitOfWork(store, connection, context, in_transaction=False)
            return
        async with store.transaction(connection):
            yield UnitOfWork(store, connection, context, in_transaction=True)


def unit_of_work_within(
    store: EventStorage, connection: Connection, context: CommandContext
) -> UnitOfWork:
    """A unit of work in the transaction already open on ``connection``."""
    return UnitOfWork(store, connection, context, in_transaction=True)
