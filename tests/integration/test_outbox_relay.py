"""The outbox relay against real Kafka and PostgreSQL: it publishes what commits, in
order per key, and loses nothing while Kafka is away."""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator

import pytest
from aiokafka import AIOKafkaConsumer

from shared.events.envelope import Actor
from shared.events.registry import parse_event
from shared.eventstore.relay import OutboxRelay
from shared.eventstore.store import CommandContext, EventStore
from shared.postgres.migrations import apply_migrations, migrations_of
from shared.postgres.pool import create_pool
from shared.stack.local import LocalStack
from tests.conftest import create_topic
from tests.support.infrastructure import private_kafka
from tests.support.registry_events import PartnerRecord
from tests.support.writes import save_alone

OFFICER = CommandContext(actor=Actor(role="bapas_officer", sub="pk-001"))
OFFICES = ("balikpapan", "samarinda", "surabaya", "jayapura")


@pytest.fixture(scope="module")
def relay_kafka() -> Iterator[LocalStack]:
    with private_kafka("relay-outage") as stack:
        yield stack


@pytest.fixture
async def store(database_url: str, relay_kafka: LocalStack) -> AsyncIterator[EventStore]:
    topic = await create_topic(relay_kafka.bootstrap_servers, prefix="relay")
    pool = await create_pool(database_url, size=4)
    async with pool.acquire() as connection:
        await apply_migrations(connection, migrations_of("shared"))
    yield EventStore(pool, topic=topic)
    await pool.close()


@contextlib.asynccontextmanager
async def running(relay: OutboxRelay) -> AsyncIterator[None]:
    task = asyncio.create_task(relay.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _append_contact_changes(
    store: EventStore, partners: list[PartnerRecord], rounds: int
) -> None:
    for round_no in range(rounds):
        for partner in partners:
            partner.change_contact(f"Kontak {round_no}")
            await save_alone(store, partner, OFFICER)


async def _read_all(bootstrap: str, topic: str, expected: int) -> list[tuple[str, int, str]]:
    """(key, aggregate_version, event_id) of each record, in partition order."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    seen: list[tuple[str, int, str]] = []
    try:
        async with asyncio.timeout(90):
            while len(seen) < expected:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    for record in records:
                        event = parse_event(record.value or b"")
                        seen.append(
                            (event.bapas_code, event.aggregate_version, str(event.event_id))
                        )
        extra = await consumer.getmany(timeout_ms=1500)
        seen.extend(("extra", 0, "") for records in extra.values() for _ in records)
    finally:
        await consumer.stop()
    return seen


async def test_relay_publishes_every_committed_event_once_in_order_per_key(
    store: EventStore, relay_kafka: LocalStack, database_url: str
) -> None:
    relay = OutboxRelay(
        service="pokmas",
        database_url=database_url,
        kafka=relay_kafka.kafka_connection,
    )
    partners = [PartnerRecord.register(office, f"Pokmas {office}") for office in OFFICES]
    for partner in partners:
        await save_alone(store, partner, OFFICER)

    async with running(relay):
        await _append_contact_changes(store, partners, rounds=25)
        seen = await _read_all(relay_kafka.bootstrap_servers, store.topic, expected=104)

    assert len(seen) == 104
    assert len({event_id for _, _, event_id in seen}) == 104
    versions: dict[str, list[int]] = defaultdict(list)
    for key, version, _ in seen:
        versions[key].append(version)
    assert versions == {office: list(range(1, 27)) for office in OFFICES}
    assert await store.pool.fetchval("SELECT count(*) FROM outbox") == 0


async def test_events_appended_while_kafka_is_down_arrive_once_after_it_returns(
    store: EventStore, relay_kafka: LocalStack, database_url: str
) -> None:
    relay = OutboxRelay(
        service="pokmas",
        database_url=database_url,
        kafka=relay_kafka.kafka_connection,
    )
    partners = [PartnerRecord.register(office, f"Pokmas {office}") for office in OFFICES]
    async with running(relay):
        for partner in partners:
            await save_alone(store, partner, OFFICER)
        await _append_contact_changes(store, partners, rounds=5)

        relay_kafka.kafka.stop()
        try:
            await _append_contact_changes(store, partners, rounds=20)
            await asyncio.sleep(3)
            backlog = await store.pool.fetchval("SELECT count(*) FROM outbox")
        finally:
            relay_kafka.kafka.start()
        await relay_kafka.wait_for_kafka()
        seen = await _read_all(relay_kafka.bootstrap_servers, store.topic, expected=104)

    assert backlog
    assert backlog >= 80
    assert len(seen) == 104
    assert len({event_id for _, _, event_id in seen}) == 104
    versions: dict[str, list[int]] = defaultdict(list)
    for key, version, _ in seen:
        versions[key].append(version)
    assert versions == {office: list(range(1, 27)) for office in OFFICES}


async def test_only_one_of_two_relays_of_a_service_is_active(
    store: EventStore, relay_kafka: LocalStack, database_url: str
) -> None:
    relays = [
        OutboxRelay(
            service="pokmas",
            database_url=database_url,
            kafka=relay_kafka.kafka_connection,
            idle_interval=0.2,
        )
        for _ in range(2)
    ]
    async with running(relays[0]), running(relays[1]):
        async with asyncio.timeout(30):
            while not any(relay.active for relay in relays):
                await asyncio.sleep(0.1)
        await asyncio.sleep(1)
        assert [relay.active for relay in relays].count(True) == 1
        first_active = next(relay for relay in relays if relay.active)
        standby = next(relay for relay in relays if not relay.active)

    async with running(standby):
        async with asyncio.timeout(30):
            while not standby.active:
                await asyncio.sleep(0.1)
    assert not first_active.active
