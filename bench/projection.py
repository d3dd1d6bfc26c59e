"""B1 and B4: a projection catching up on, and then rebuilt from, the workload's topics;
and their ceiling, raw aiokafka consumption of the same topics in the same run.

Two projections are measured, each the service's own code run by the shared
:class:`~shared.projections.ProjectionConsumer` with the service's migrations, so the
figure is what the service would do:

- the pokmas service's programme seats (``services.pokmas.projections``), from the
  workload's enrolment topic, into a database of its own;
- the insights service's figures (``services.insights.projections``), from the
  workload's pokmas and enrolment topics, into the insights service's database, where
  the service finds the workload applied when it starts (:mod:`bench.insights`).

Each figure is checked before it is reported: the seats per programme, or the national
figures, must be those the workload implies, and the recorded offsets the end of the
topics.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from time import perf_counter

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from bench.stack import WORKLOAD_TOPIC_OF
from services.pokmas.projections import ProgrammeSeats
from shared.kafka.admin import topic_partitions
from shared.kafka.connection import KafkaConnection
from shared.kafka.topics import ENROLMENT_EVENTS
from shared.postgres.migrations import apply_migrations, migrations_of
from shared.projections import (
    Projection,
    ProjectionConsumer,
    rebuild_projection,
)
from shared.projections.consumer import DEFAULT_MAX_BATCH_SIZE

JOIN_TIMEOUT = 60.0


class _WorkloadSeats(ProgrammeSeats):
    """The pokmas service's seats reading the workload's topic instead of its own."""

    topics = (WORKLOAD_TOPIC_OF[ENROLMENT_EVENTS],)


SEATS = _WorkloadSeats()
"""B1's and B4's first projection: the pokmas service's seats, on the workload's topic."""


@dataclass(frozen=True)
class Consumption:
    events: int
    seconds: float

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds


class WrongResult(AssertionError):
    """The projection does not hold what the workload implies: its figure would lie."""


async def raw_consumption(bootstrap_servers: str, topics: Sequence[str]) -> Consumption:
    """Every record of ``topics`` from offset 0 with ``getmany``, not even decoded."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        max_poll_records=DEFAULT_MAX_BATCH_SIZE,
    )
    partitions = await topic_partitions(KafkaConnection.to(bootstrap_servers), list(topics))
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


async def prepare_projection_database(database_url: str, service: str) -> None:
    """The tracking tables and the service's tables, as the service creates them."""
    connection = await asyncpg.connect(database_url)
    try:
        await apply_migrations(connection, migrations_of("shared", f"services.{service}"))
    finally:
        await connection.close()


async def catch_up(
    projection: Projection, bootstrap_servers: str, database_url: str
) -> tuple[Consumption, float]:
    """B1: the projection, new to a consumer group, applies the topic from offset 0.

    Timed from the moment the group has assigned it every partition, like the ceiling,
    which joins no group; the seconds the join took come second.
    """
    consumer = ProjectionConsumer(
        projection,
        kafka=KafkaConnection.to(bootstrap_servers),
        database_url=database_url,
        group_id=f"bench.{projection.name}.{uuid.uuid4().hex[:8]}",
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


async def rebuild(projection: Projection, bootstrap_servers: str, database_url: str) -> Consumption:
    """B4: the same projection emptied and replayed from the log."""
    started = perf_counter()
    progress = await rebuild_projection(
        projection, kafka=KafkaConnection.to(bootstrap_servers), database_url=database_url
    )
    return Consumption(progress.processed, perf_counter() - started)


async def recorded_offsets(connection: asyncpg.Connection, projection: str) -> int:
    """The sum of the next offsets the projection recorded, over all its partitions."""
    recorded: int = await connection.fetchval(
        "SELECT coalesce(sum(next_offset), 0) FROM projection_offsets WHERE projection = $1",
        projection,
    )
    return recorded


async def verify_seats(database_url: str, expected: dict[uuid.UUID, int], end_offsets: int) -> None:
    """Raise :class:`WrongResult` unless the seats projection holds ``expected`` and has
    recorded every offset up to the end of the topic."""
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch("SELECT programme_id, enrolled FROM programme_seats")
        recorded = await recorded_offsets(connection, SEATS.name)
    finally:
        await connection.close()
    seats = {row["programme_id"]: row["enrolled"] for row in rows}
    if seats != expected:
        keys = expected.keys() | seats.keys()
        wrong = sum(1 for key in keys if seats.get(key) != expected.get(key))
        raise WrongResult(f"{wrong} of {len(expected)} programmes hold the wrong number of seats")
    if recorded != end_offsets:
        raise WrongResult(f"offsets recorded up to {recorded} of {end_offsets} events")
