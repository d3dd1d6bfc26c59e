"""The event store: appends an aggregate's new events, their outbox rows and the read
model's change in one statement, and loads an aggregate by replaying its events.

Optimistic concurrency is the primary key ``(aggregate_id, aggregate_version)``: two
commands that loaded the same version both try to write the next one, and the second
insert violates the key. That surfaces as :class:`ConcurrencyConflict` (HTTP 409).

Order: the relay publishes outbox rows by position, and a row gets its position when
it is written, after everything its command loaded had committed. So the events of one
aggregate, and an event and those it caused, reach Kafka in order. Commands of one
office on different aggregates do not wait for each other (a lock per office made one
office's commands run one at a time); when two commit together, either may come first.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar
from uuid import UUID, uuid4

import asyncpg

from shared.events.envelope import Actor, AggregateType, Envelope, EventPayload, new_envelope
from shared.events.registry import parse_event
from shared.eventstore.aggregate import Aggregate
from shared.eventstore.read_models import OwnReadModels, ReadModelUpdate, statements_of
from shared.observability.tracing import current_traceparent
from shared.postgres.pool import Connection
from shared.postgres.statements import Statement

A = TypeVar("A", bound=Aggregate)
Events = list[Envelope[EventPayload]]
"""An aggregate's events in their envelopes, in version order."""
OUTBOX_CHANNEL = "outbox"
"""Appends notify it at commit; the relay listens, so it publishes without polling."""


class ConcurrencyConflict(Exception):
    """Another command changed the aggregate since it was loaded."""

    @classmethod
    def on(cls, aggregate_type: AggregateType, aggregate_id: UUID) -> ConcurrencyConflict:
        return cls(
            f"{aggregate_type.value} {aggregate_id} changed meanwhile; reload it and try again"
        )


class AggregateNotFound(LookupError):
    """No event of this aggregate is stored."""


@dataclass(frozen=True)
class CommandContext:
    """Who asked for a change and in which request: goes into every event's envelope."""

    actor: Actor
    correlation_id: UUID = field(default_factory=uuid4)
    causation_id: UUID | None = None
    occurred_at: datetime = field(default_factory=lambda: datetime.now(UTC))


_APPEND = """
WITH stored AS (
    INSERT INTO events (aggregate_id, aggregate_version, aggregate_type, event_id, event_type,
                        schema_version, bapas_code, recorded_at, envelope)
    SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::uuid[], $5::text[], $6::int[],
                         $7::text[], $8::timestamptz[], $9::json[])
), queued AS (
    INSERT INTO outbox (topic, message_key, event_id, event_type, schema_version, value,
                        traceparent)
    SELECT $10, *, $13 FROM unnest($7::text[], $4::uuid[], $5::text[], $6::int[], $11::bytea[])
){read_model}
SELECT pg_notify($12, '')
"""
"""One statement, one round trip: the events, their outbox rows (positions in the
order of the events, each keyed by its own event's office, with the trace context of
the request), the read model's change
when there is one event, and the notification the relay wakes on at commit. A
data-modifying ``WITH`` part runs exactly once whether or not the query reads it."""
_APPEND_PARAMETERS = 13


def _folded(statements: tuple[Statement, ...]) -> str:
    """The read model's statements as parts of the append, numbered after its parameters."""
    parts, shift = [], _APPEND_PARAMETERS
    for index, statement in enumerate(statements):
        parts.append(f", read_model_{index} AS (\n    {statement.shifted(shift)}\n)")
        shift += len(statement.args)
    return "".join(parts)


def _arguments(statements: tuple[Statement, ...]) -> list[object]:
    return [argument for statement in statements for argument in statement.args]


class EventStore:
    """One service's events; ``topic`` is where its relay publishes them."""

    def __init__(
        self, pool: asyncpg.Pool | None, *, topic: str, read_models: OwnReadModels | None = None
    ) -> None:
        """Without a pool the store works only on connections its callers give it (a
        reaction running in a projection consumer's transaction). Every save writes the
        ``read_models``' changes with its events."""
        self._pool = pool
        self.topic = topic
        self.read_models = read_models

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("this event store has no pool: pass a connection")
        return self._pool

    async def append(
        self,
        events: Sequence[Envelope[EventPayload]],
        *,
        expected_version: int,
        connection: Connection,
        read_model: ReadModelUpdate | None = None,
    ) -> None:
        """Write ``events`` (one aggregate, versions following ``expected_version``),
        their outbox rows and the ``read_model`` changes they make on ``connection``.

        One event is one statement, atomic by itself. Several events update the read
        model one statement after another (one row may change twice, which a single
        statement cannot do): run them inside a transaction.
        """
        if not events:
            return
        first = events[0]
        versions = [event.aggregate_version for event in events]
        if versions != list(range(expected_version + 1, expected_version + 1 + len(events))):
            raise ValueError(f"versions {versions} do not follow {expected_version}")
        if any(event.aggregate_id != first.aggregate_id for event in events):
            raise ValueError("one append takes the events of one aggregate")
        bodies = [event.model_dump_json() for event in events]
        updates = [statements_of(read_model(event)) for event in events] if read_model else []
        folded = updates.pop() if len(updates) == 1 else ()
        sql, folded_args = _APPEND.format(read_model=_folded(folded)), _arguments(folded)
        try:
            await connection.execute(
                sql,
                [e.aggregate_id for e in events],
                versions,
                [e.aggregate_type.value for e in events],
                [e.event_id for e in events],
                [e.event_type for e in events],
                [e.schema_version for e in events],
                [e.bapas_code for e in events],
                [e.recorded_at for e in events],
                bodies,
                self.topic,
                [body.encode() for body in bodies],
                OUTBOX_CHANNEL,
                current_traceparent(),
                *folded_args,
            )
        except asyncpg.UniqueViolationError as error:
            raise ConcurrencyConflict.on(first.aggregate_type, first.aggregate_id) from error
        for update in updates:
            for statement in update:
                await connection.execute(statement.sql, *statement.args)

    async def save(
        self, aggregate: Aggregate, context: CommandContext, *, connection: Connection
    ) -> Events:
        """Append the aggregate's pending events in their envelopes, with the changes
        they make to the read models, on ``connection``; returns them. Saving several
        events takes several statements: the caller's transaction holds them together
        (:mod:`shared.eventstore.unit_of_work` opens one when it is needed)."""
        envelopes = pending_envelopes(aggregate, context)
        await self.append(
            envelopes,
            expected_version=aggregate.stored_version,
            connection=connection,
            read_model=None if self.read_models is None else self.read_models.update,
        )
        aggregate.mark_saved()
        return envelopes

    async def load_history(
        self, aggregate_id: UUID, *, connection: Connection | None = None
    ) -> Events:
        query = "SELECT envelope FROM events WHERE aggregate_id = $1 ORDER BY aggregate_version"
        if connection is None:
            rows = await self.pool.fetch(query, aggregate_id)
        else:
            rows = await connection.fetch(query, aggregate_id)
        return [parse_event(row["envelope"]) for row in rows]

    async def load(
        self,
        aggregate_class: type[A],
        aggregate_id: UUID,
        *,
        connection: Connection | None = None,
    ) -> A:
        """The aggregate as its stored events make it; :class:`AggregateNotFound` if none."""
        history = await self.load_history(aggregate_id, connection=connection)
        return replayed(aggregate_class, aggregate_id, history)

    def connection(self) -> AbstractAsyncContextManager[Connection]:
        """A connection of the pool, for one unit of work."""
        acquired: AbstractAsyncContextManager[Connection] = self.pool.acquire()
        return acquired

    def transaction(self, connection: Connection) -> AbstractAsyncContextManager[object]:
        transaction: AbstractAsyncContextManager[object] = connection.transaction()
        return transaction


def pending_envelopes(aggregate: Aggregate, context: CommandContext) -> Events:
    """The aggregate's pending events in their envelopes, numbered after the stored ones."""
    recorded_at = datetime.now(UTC)
    return [
        new_envelope(
            payload,
            bapas_code=bapas_code,
            aggregate_version=aggregate.stored_version + index,
            correlation_id=context.correlation_id,
            causation_id=context.causation_id,
            actor=context.actor,
            occurred_at=context.occurred_at,
            recorded_at=recorded_at,
        )
        for index, (payload, bapas_code) in enumerate(
            zip(aggregate.pending_events, aggregate.pending_offices, strict=True), start=1
        )
    ]


def replayed(
    aggregate_class: type[A], aggregate_id: UUID, history: Sequence[Envelope[EventPayload]]
) -> A:
    """The aggregate its ``history`` makes; :class:`AggregateNotFound` if there is none,
    or if the history is another kind of aggregate's."""
    if not history or history[0].aggregate_type is not aggregate_class.aggregate_type:
        raise AggregateNotFound(f"no {aggregate_class.aggregate_type.value} {aggregate_id}")
    return aggregate_class.replay(history)
