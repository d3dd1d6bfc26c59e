"""A projection consumer stopped while Kafka is down: it stops, and what it applied
stays applied (its offsets are in PostgreSQL; the Kafka commit is only a hint)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import asyncpg
import pytest

from shared.kafka.connection import KafkaConnection
from shared.projections import ProjectionConsumer
from shared.stack.local import LocalStack
from tests.conftest import create_topic
from tests.support.counting_projection import (
    CountingProjection,
    expected_counts,
    prepare_database,
    publish_events,
    sample_events,
)
from tests.support.infrastructure import private_kafka

STOP_TIMEOUT = 60
"""Far above a stop's few seconds: the test fails, rather than hangs, if stop waits for
Kafka to come back."""


@pytest.fixture(scope="module")
def consumer_kafka() -> Iterator[LocalStack]:
    with private_kafka("consumer-outage") as stack:
        yield stack


async def test_a_consumer_stops_while_kafka_is_down_and_keeps_what_it_applied(
    consumer_kafka: LocalStack, database_url: str
) -> None:
    bootstrap = consumer_kafka.bootstrap_servers
    topic = await create_topic(bootstrap, partitions=4)
    projection = CountingProjection(f"counting_{uuid.uuid4().hex[:8]}", (topic,))
    await prepare_database(database_url, projection)
    events = sample_events(200)
    await publish_events(bootstrap, topic, events)
    consumer = ProjectionConsumer(
        projection,
        kafka=KafkaConnection.to(bootstrap),
        database_url=database_url,
        group_id=f"group-{uuid.uuid4().hex[:6]}",
        max_batch_size=20,
        commit_hint_interval=3_600,  # offsets left for Kafka to learn at the stop
    )
    await consumer.start()
    try:
        await consumer.run_until_caught_up(timeout=60)
    finally:
        consumer_kafka.kafka.stop()
        try:
            async with asyncio.timeout(STOP_TIMEOUT):
                await consumer.stop()
        finally:
            consumer_kafka.kafka.start()
    await consumer_kafka.wait_for_kafka()

    connection = await asyncpg.connect(database_url)
    try:
        assert await projection.counts(connection) == expected_counts(events)
    finally:
        await connection.close()
