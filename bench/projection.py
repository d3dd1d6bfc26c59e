"""B1 and B4: the pokmas service's projection of programme seats catching up on, and then
rebuilt from, the enrolment topic; and their ceiling, raw aiokafka consumption of the
same topic in the same run.

The projection is the service's own (``services.pokmas.projections``), run by the
shared :class:`~shared.projections.ProjectionConsumer` into a database of its own with
the service's migrations, so its figure is what the service would do. Each figure is
checked before it is reported: the seats per programme must be those the workload
implies, and the recorded offsets the end of the topic.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from time import perf_counter

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from services.pokmas.projections import PROJECTIONS
from shared.postgres.migrations import apply_migrations, migrations_of
from shared.projections import ProjectionConsumer, rebuild_projection, topic_partitions
from shared.projections.consumer import DEFAULT_MAX_BATCH_SIZE

PROJECTION = PROJECTIONS["programme_seats"]
JOIN_TIMEOUT = 60.0


@dataclass(frozen=True)
class Consumption:
    events: int
    seconds: float

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds


class WrongResult(AssertionError):
    """The projection does not hold what the workload implies: its figure would lie."""


async def raw_consumption(bootstrap_servers: str, topic: str) -> Consumption:
    """Every record of ``topic`` from offset 0 with ``getmany``, not even decoded."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        max_poll_records=DEFAULT_MAX_BATCH_SIZE,
    )
    partitions = await topic_partitions(bootstrap_servers, [topic])
    await consumer.start()
    try:
        consumer.assign(partitions)
        ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
        beginnings: dict[TopicPartition, int] = await consumer.beginning_offsets(partitions)
        total = sum(end - beginnings[tp] for tp, end in ends.items())
        await consumer.seek_to_beginning(*partitions)
        events = 0
        started = perf_counter()
        # No transactional producer writes the topic, so each offset holds a record.
        while events < total:
            fetched = await consumer.getmany(timeout_ms=200)
            events += sum(len(records) for records in fetched.values())
        return Consumption(events, perf_counter() - started)
    finally:
        await consumer.stop()


async def prepare_projection_database(database_url: str) -> None:
    """The tracking tables and the pokmas service's tables, as the service creates them."""
    connection = await asyncpg.connect(database_url)
    try:
        await apply_migrations(connection, migrations_of("shared", "services.pokmas"))
    finally:
        await connection.close()


async def catch_up(bootstrap_servers: str, database_url: str) -> tuple[Consumption, float]:
    """B1: the projection, new to a consumer group, applies the topic from offset 0.

    Timed from the moment the group has assigned it every partition, like the ceiling,
    which joins no group; the seconds the join took come second.
    """
    consumer = ProjectionConsumer(
        PROJECTION,
        bootstrap_servers=bootstrap_servers,
        database_url=database_url,
        group_id=f"bench.{PROJECTION.name}.{uuid.uuid4().hex[:8]}",
    )
    joining = perf_counter()
    async with consumer:
        ends = await consumer.end_offsets()
        async with asyncio.timeout(JOIN_TIMEOUT):
            while len(consumer.positions()) < len(ends):
                await asyncio.sleep(0.01)
        started = perf_counter()
        await consumer.run_until_caught_up(ends)
        seconds = perf_counter() - started
    return Consumption(sum(ends.values()), seconds), started - joining


async def rebuild(bootstrap_servers: str, database_url: str) -> Consumption:
    """B4: the same projection emptied and replayed from the log."""
    started = perf_counter()
    progress = await rebuild_projection(
        PROJECTION, bootstrap_servers=bootstrap_servers, database_url=database_url
    )
    return Consumption(progress.processed, perf_counter() - started)


async def verify_seats(database_url: str, expected: dict[uuid.UUID, int], end_offsets: int) -> None:
    """Raise :class:`WrongResult` unless the projection holds ``expected`` and has recorded
    every offset up to the end of the topic."""
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch("SELECT programme_id, enrolled FROM programme_seats")
        recorded = await connection.fetchval(
            "SELECT coalesce(sum(next_offset), 0) FROM projection_offsets WHERE projection = $1",
            PROJECTION.name,
        )
    finally:
        await connection.close()
    seats = {row["programme_id"]: row["enrolled"] for row in rows}
    if seats != expected:
        keys = expected.keys() | seats.keys()
        wrong = sum(1 for key in keys if seats.get(key) != expected.get(key))
        raise WrongResult(f"{wrong} of {len(expected)} programmes hold the wrong number of seats")
    if recorded != end_offsets:
        raise WrongResult(f"offsets recorded up to {recorded} of {end_offsets} events")
