"""The event store: appends an aggregate's new events and their outbox rows in one
transaction, and loads an aggregate by replaying its events.

Optimistic concurrency is the primary key ``(aggregate_id, aggregate_version)``: two
commands that loaded the same version both try to write the next one, and the second
insert violates the key. That surfaces as :class:`ConcurrencyConflict` (HTTP 409).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar
from uuid import UUID, uuid4

import asyncpg

from shared.events.envelope import Actor, Envelope, EventPayload, new_envelope
from shared.events.registry import parse_event
from shared.eventstore.aggregate import Aggregate
from shared.postgres.pool import Connection

A = TypeVar("A", bound=Aggregate)
OUTBOX_CHANNEL = "outbox"
"""Appends notify it at commit; the relay listens, so it publishes without polling."""


class ConcurrencyConflict(Exception):
    """Another command changed the aggregate since it was loaded."""


class AggregateNotFound(LookupError):
    """No event of this aggregate is stored."""


@dataclass(frozen=True)
class CommandContext:
    """Who asked for a change and in which request: goes into every event's envelope."""

    actor: Actor
    correlation_id: UUID = field(default_factory=uuid4)
    causation_id: UUID | None = None
    occurred_at: datetime = field(default_factory=lambda: datetime.now(UTC))


_INSERT_EVENTS = """
INSERT INTO events (aggregate_id, aggregate_version, aggregate_type, event_id, event_type,
                    schema_version, bapas_code, recorded_at, envelope)
SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::uuid[], $5::text[], $6::int[],
                     $7::text[], $8::timestamptz[], $9::json[])
"""

_INSERT_OUTBOX = """
INSERT INTO outbox (topic, message_key, event_id, event_type, schema_version, value)
SELECT $1, $2, * FROM unnest($3::uuid[], $4::text[], $5::int[], $6::bytea[])
"""


class EventStore:
    """One service's events; ``topic`` is where its relay publishes them."""

    def __init__(self, pool: asyncpg.Pool | None, *, topic: str) -> None:
        """Without a pool the store works only on connections its callers give it (a
        reaction running in a projection consumer's transaction)."""
        self._pool = pool
        self.topic = topic

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
    ) -> None:
        """Write ``events`` (one aggregate, versions following ``expected_version``) and
        their outbox rows on ``connection``, inside the caller's transaction."""
        if not events:
            return
        first = events[0]
        versions = [event.aggregate_version for event in events]
        if versions != list(range(expected_version + 1, expected_version + 1 + len(events))):
            raise ValueError(f"versions {versions} do not follow {expected_version}")
        if any(event.aggregate_id != first.aggregate_id for event in events):
            raise ValueError("one append takes the events of one aggregate")
        bodies = [event.model_dump_json() for event in events]
        key = first.bapas_code
        # Rows of one key get their positions in commit order (see the migration).
        await connection.execute(
            "SELECT pg_advisory_xact_lock(hashtext($1))", f"outbox:{self.topic}:{key}"
        )
        try:
            await connection.execute(
                _INSERT_EVENTS,
                [e.aggregate_id for e in events],
                versions,
                [e.aggregate_type.value for e in events],
                [e.event_id for e in events],
                [e.event_type for e in events],
                [e.schema_version for e in events],
                [e.bapas_code for e in events],
                [e.recorded_at for e in events],
                bodies,
            )
        except asyncpg.UniqueViolationError as error:
            raise ConcurrencyConflict(
                f"{first.aggregate_type.value} {first.aggregate_id} changed meanwhile; "
                "reload it and try again"
            ) from error
        await connection.execute(
            _INSERT_OUTBOX,
            self.topic,
            key,
            [e.event_id for e in events],
            [e.event_type for e in events],
            [e.schema_version for e in events],
            [body.encode() for body in bodies],
        )
        await connection.execute("SELECT pg_notify($1, '')", OUTBOX_CHANNEL)

    async def save(
        self,
        aggregate: Aggregate,
        context: CommandContext,
        *,
        connection: Connection | None = None,
    ) -> list[Envelope[EventPayload]]:
        """Append the aggregate's pending events in their envelopes; returns them.

        Without ``connection`` it runs in a transaction of its own; with one, inside the
        caller's, so a projection change can commit or roll back with the events.
        """
        recorded_at = datetime.now(UTC)
        envelopes = [
            new_envelope(
                payload,
                bapas_code=aggregate.bapas_code,
                aggregate_version=aggregate.stored_version + index,
                correlation_id=context.correlation_id,
                causation_id=context.causation_id,
                actor=context.actor,
                occurred_at=context.occurred_at,
                recorded_at=recorded_at,
            )
            for index, payload in enumerate(aggregate.pending_events, start=1)
        ]
        if connection is None:
            async with self.pool.acquire() as own, own.transaction():
                await self.append(
                    envelopes, expected_version=aggregate.stored_version, connection=own
                )
        else:
            await self.append(
                envelopes, expected_version=aggregate.stored_version, connection=connection
            )
        aggregate.mark_saved()
        return envelopes

    async def load_history(
        self, aggregate_id: UUID, *, connection: Connection | None = None
    ) -> list[Envelope[EventPayload]]:
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
        if not history or history[0].aggregate_type is not aggregate_class.aggregate_type:
            raise AggregateNotFound(f"no {aggregate_class.aggregate_type.value} {aggregate_id}")
        return aggregate_class.replay(history)
