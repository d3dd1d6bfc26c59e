"""The outbox relay and a topic created anew under it: it stops, says so, and publishes
the whole event store again once told to.

Publishing on into a new topic would give every consumer a topic that begins half-way
through the service's history. The relay records the topic's id when it first
publishes; when the id changes it publishes nothing, its readiness message names the
topic and the way out, and ``republish_events`` (``bapas outbox republish``) gives the
new topic every stored event, each once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer

from shared.events.envelope import Actor
from shared.events.registry import parse_event
from shared.eventstore.relay import OutboxRelay
from shared.eventstore.republish import republish_events
from shared.eventstore.store import CommandContext, EventStore
from shared.kafka.connection import KafkaConnection
from shared.postgres.migrations import apply_migrations, migrations_of
from shared.postgres.pool import create_pool
from tests.conftest import create_topic, recreate_topics
from tests.support.registry_events import PartnerRecord
from tests.support.writes import save_alone

OFFICER = CommandContext(actor=Actor(role="bapas_officer", sub="pk-001"))
WAIT_SECONDS = 60.0


@pytest.fixture
async def store(database_url: str, kafka_bootstrap: str) -> AsyncIterator[EventStore]:
    topic = await create_topic(kafka_bootstrap, prefix="relay-replaced")
    pool = await create_pool(database_url, size=4)
    async with pool.acquire() as connection:
        await apply_migrations(connection, migrations_of("shared"))
    yield EventStore(pool, topic=topic)
    await pool.close()


async def _event_ids(bootstrap: str, topic: str) -> list[str]:
    """The event id of every record on the topic now."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    try:
        ids: list[str] = []
        while batch := await consumer.getmany(timeout_ms=1500):
            ids += [str(parse_event(r.value or b"").event_id) for rs in batch.values() for r in rs]
        return ids
    finally:
        await consumer.stop()


async def _until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(WAIT_SECONDS):
        while not condition():
            await asyncio.sleep(0.2)


async def test_a_relay_stops_on_a_new_topic_and_republishes_every_event_when_told(
    store: EventStore, kafka_bootstrap: str, database_url: str
) -> None:
    relay = OutboxRelay(
        service="pokmas", database_url=database_url, kafka=KafkaConnection.to(kafka_bootstrap)
    )
    relay.topics.check_interval = 0.5
    before = PartnerRecord.register("balikpapan", "Pokmas Sebelum")
    task = asyncio.create_task(relay.run())
    try:
        first = await save_alone(store, before, OFFICER)
        async with asyncio.timeout(WAIT_SECONDS):
            while await store.pool.fetchval("SELECT count(*) FROM outbox"):
                await asyncio.sleep(0.2)
        assert await _event_ids(kafka_bootstrap, store.topic) == [str(first[0].event_id)]

        await recreate_topics(kafka_bootstrap, [store.topic])
        after = PartnerRecord.register("samarinda", "Pokmas Sesudah")
        second = await save_alone(store, after, OFFICER)
        await _until(lambda: relay.topics.halted is not None)

        assert relay.topics.halted is not None
        assert store.topic in relay.topics.halted
        assert "`bapas outbox republish pokmas`" in relay.topics.halted
        await asyncio.sleep(1.0)
        assert await _event_ids(kafka_bootstrap, store.topic) == [], "nothing published"

        connection: asyncpg.Connection = await asyncpg.connect(database_url)
        try:
            assert await republish_events(connection, store.topic) == 2
        finally:
            await connection.close()
        await _until(lambda: relay.topics.halted is None)
        async with asyncio.timeout(WAIT_SECONDS):
            while await store.pool.fetchval("SELECT count(*) FROM outbox"):
                await asyncio.sleep(0.2)

        published = await _event_ids(kafka_bootstrap, store.topic)
        assert sorted(published) == sorted([str(first[0].event_id), str(second[0].event_id)])
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
