"""Rebuilding a projection from the event log: empty it, replay its topics from offset 0.

Needed whenever a projection's code changes what it stores, or its tables are lost:
event topics keep every event forever (the event contract), so the read model can always be
computed again. Budget: 2,000,000 events in 90 s (the quality bars, B4).

The rebuild must not race a live consumer of the same projection. It holds the
projection's advisory lock exclusively for its whole run, on the connection its batches
use; live batches take the same lock in shared mode inside their transactions, so they
wait, and the rebuild itself waits for a live batch in flight to commit before it
empties the tables. When the rebuild ends the live consumers go on: their re-check
under ``FOR UPDATE`` skips what the rebuild applied (and a consumer whose position is
behind is sent back, :mod:`shared.projections.batch`).

The replay joins no consumer group: it assigns itself every partition and stops at the
end offsets captured when it starts; later events are the live consumers' job. If the
rebuild fails half-way, the projection holds a consistent prefix of the log (offsets and
tables were committed together) and the live consumers complete it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from time import perf_counter

import asyncpg
from aiokafka import TopicPartition

from shared.kafka.connection import KafkaConnection
from shared.kafka.topics import DEAD_LETTERS
from shared.projections.applier import BatchOutcome
from shared.projections.consumer import ProjectionConsumer
from shared.projections.projection import Projection
from shared.projections.tracking import (
    forget_projection,
    release_exclusive_rebuild_lock,
    take_exclusive_rebuild_lock,
)

REBUILD_BATCH_SIZE = 5_000


@dataclass(frozen=True)
class RebuildProgress:
    """Where a rebuild stands; reported after each batch."""

    projection: str
    applied: int
    """Events applied so far."""
    processed: int
    """Messages read so far (events applied, duplicates, unknown types, dead letters)."""
    total: int
    """Messages to read: from the first kept offset to the end offsets, all partitions."""
    elapsed: float
    end_offsets: Mapping[TopicPartition, int]
    """Where the replay stops, captured when it started."""

    @property
    def events_per_second(self) -> float:
        return self.processed / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def end_offset(self) -> int:
        """The sum of the end offsets over all partitions."""
        return sum(self.end_offsets.values())


async def rebuild_projection(
    projection: Projection,
    *,
    kafka: KafkaConnection,
    database_url: str,
    dead_letter_topic: str = DEAD_LETTERS,
    on_progress: Callable[[RebuildProgress], None] | None = None,
    max_batch_size: int = REBUILD_BATCH_SIZE,
) -> RebuildProgress:
    """Empty ``projection`` and its tracking rows, then replay its topics up to their
    current end; returns the final progress. Live consumers wait meanwhile."""
    connection: asyncpg.Connection = await asyncpg.connect(database_url)
    try:
        await take_exclusive_rebuild_lock(connection, projection.name)
        try:
            async with connection.transaction():
                await projection.reset(connection)
                await forget_projection(connection, projection.name)
            consumer = ProjectionConsumer(
                projection,
                kafka=kafka,
                connection=connection,
                group_id=f"projection.{projection.name}.rebuild",
                assign_all_partitions=True,
                dead_letter_topic=dead_letter_topic,
                max_batch_size=max_batch_size,
            )
            async with consumer:
                return await _replay(consumer, on_progress)
        finally:
            # Closing the connection releases the lock as well, should this fail.
            with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                await release_exclusive_rebuild_lock(connection, projection.name)
    finally:
        await connection.close()


async def _replay(
    consumer: ProjectionConsumer, on_progress: Callable[[RebuildProgress], None] | None
) -> RebuildProgress:
    ends = await consumer.end_offsets()
    beginnings = await consumer.beginning_offsets()
    total = sum(end - beginnings.get(tp, 0) for tp, end in ends.items())
    started = perf_counter()
    applied = 0

    def progress() -> RebuildProgress:
        positions = consumer.positions()
        processed = sum(
            max(min(positions.get(tp, 0), end) - beginnings.get(tp, 0), 0)
            for tp, end in ends.items()
        )
        return RebuildProgress(
            projection=consumer.name,
            applied=applied,
            processed=processed,
            total=total,
            elapsed=perf_counter() - started,
            end_offsets=ends,
        )

    def report(outcome: BatchOutcome) -> None:
        nonlocal applied
        applied += outcome.applied
        if on_progress is not None:
            on_progress(progress())

    if on_progress is not None:
        on_progress(progress())
    await consumer.run_until_caught_up(ends, on_batch=report)
    final = progress()
    if on_progress is not None:
        on_progress(final)
    return final
