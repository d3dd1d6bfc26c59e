"""The projection consumer against real Kafka and PostgreSQL: duplicates change nothing,
bad messages go to the dead letters, a rebuild equals the live projection, and a
restarted consumer resumes from the offsets recorded in Postgres."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer
from prometheus_client import REGISTRY

from shared.kafka.admin import topic_partitions
from shared.kafka.connection import KafkaConnection
from shared.projections import (
    ProjectionConsumer,
    RebuildProgress,
    rebuild_projection,
)
from shared.projections.deadletter import (
    CONSUMER_GROUP,
    ERROR,
    ORIGINAL_OFFSET,
    ORIGINAL_PARTITION,
    ORIGINAL_TOPIC,
)
from tests.conftest import create_topic
from tests.support.counting_projection import (
    CountingProjection,
    Event,
    Record,
    expected_counts,
    pokmas_registered,
    prepare_database,
    publish,
    publish_events,
    record_of,
    sample_events,
)

CAUGHT_UP_TIMEOUT = 60.0


@dataclass
class Setup:
    bootstrap: str
    database_url: str
    topic: str
    dead_letters: str
    projection: CountingProjection

    def consumer(
        self,
        *,
        group_id: str | None = None,
        max_batch_size: int = 2_000,
        heartbeat_interval_ms: int = 3_000,
        commit_hint_interval: float = 1.0,
    ) -> ProjectionConsumer:
        return ProjectionConsumer(
            self.projection,
            kafka=KafkaConnection.to(self.bootstrap),
            database_url=self.database_url,
            dead_letter_topic=self.dead_letters,
            group_id=group_id,
            max_batch_size=max_batch_size,
            heartbeat_interval_ms=heartbeat_interval_ms,
            commit_hint_interval=commit_hint_interval,
        )

    async def connect(self) -> asyncpg.Connection:
        return await asyncpg.connect(self.database_url)

    async def state(self) -> tuple[dict[tuple[str, str], int], list[uuid.UUID]]:
        connection = await self.connect()
        try:
            return (
                await self.projection.counts(connection),
                await self.projection.applied_event_ids(connection),
            )
        finally:
            await connection.close()

    async def recorded_offsets(self) -> dict[int, int]:
        connection = await self.connect()
        try:
            rows = await connection.fetch(
                "SELECT partition, next_offset FROM projection_offsets WHERE projection = $1",
                self.projection.name,
            )
        finally:
            await connection.close()
        return {row["partition"]: row["next_offset"] for row in rows}


@pytest.fixture
async def setup(kafka_bootstrap: str, database_url: str) -> Setup:
    topic = await create_topic(kafka_bootstrap, partitions=4)
    dead_letters = await create_topic(kafka_bootstrap, partitions=1, prefix="deadletter")
    projection = CountingProjection(f"counting_{uuid.uuid4().hex[:8]}", (topic,))
    await prepare_database(database_url, projection)
    return Setup(kafka_bootstrap, database_url, topic, dead_letters, projection)


def _assert_each_applied_once(applied: list[uuid.UUID], events: list[Event]) -> None:
    assert [e for e, n in Counter(applied).items() if n > 1] == []
    assert set(applied) == {event.event_id for event in events}


def _metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_the_same_events_published_twice_leave_the_projection_unchanged(
    setup: Setup,
) -> None:
    events = sample_events(300)
    await publish_events(setup.bootstrap, setup.topic, events)
    await publish_events(setup.bootstrap, setup.topic, events)

    async with setup.consumer() as consumer:
        await consumer.run_until_caught_up(timeout=CAUGHT_UP_TIMEOUT)

    counts, applied = await setup.state()
    assert counts == expected_counts(events)
    _assert_each_applied_once(applied, events)
    assert consumer.stats.applied == 300
    assert consumer.stats.skipped_duplicate == 300
    assert (
        _metric(
            "projection_events_skipped_total", projection=setup.projection.name, reason="duplicate"
        )
        == 300
    )


async def test_bad_messages_are_dead_lettered_unknown_types_skipped_and_the_consumer_goes_on(
    setup: Setup,
) -> None:
    first, last = pokmas_registered("medan"), pokmas_registered("medan")
    invalid = json.loads(pokmas_registered("medan").model_dump_json())
    invalid["payload"]["name"] = ""
    unknown = json.loads(pokmas_registered("medan").model_dump_json())
    unknown["event_type"] = "PokmasRenamed"
    headers = record_of(first).headers
    not_json = Record(key=b"medan", value=b"this is {not json", headers=[])
    not_valid = Record(key=b"medan", value=json.dumps(invalid).encode(), headers=headers)
    not_known = Record(
        key=b"medan",
        value=json.dumps(unknown).encode(),
        headers=[("event_type", b"PokmasRenamed"), ("schema_version", b"1")],
    )
    topic = await create_topic(setup.bootstrap, partitions=1)
    setup.projection.topics = (topic,)
    await publish(
        setup.bootstrap,
        topic,
        [record_of(first), not_json, not_valid, not_known, record_of(last)],
    )

    async with setup.consumer(group_id="the-counting-group") as consumer:
        await consumer.run_until_caught_up(timeout=CAUGHT_UP_TIMEOUT)

    counts, applied = await setup.state()
    assert sorted(applied) == sorted([first.event_id, last.event_id])
    assert counts == {("medan", "PokmasRegistered"): 2}
    assert consumer.stats.skipped_unknown_type == 1
    assert (
        _metric(
            "projection_events_skipped_total",
            projection=setup.projection.name,
            reason="unknown_type",
        )
        == 1
    )
    assert _metric("projection_events_dead_lettered_total", projection=setup.projection.name) == 2

    dead = await _read_all(setup.bootstrap, setup.dead_letters)
    assert [(m.key, m.value) for m in dead] == [
        (not_json.key, not_json.value),
        (not_valid.key, not_valid.value),
    ]
    for message, offset in zip(dead, (1, 2), strict=True):
        found = dict(message.headers)
        assert found[ORIGINAL_TOPIC] == topic.encode()
        assert found[ORIGINAL_PARTITION] == b"0"
        assert found[ORIGINAL_OFFSET] == str(offset).encode()
        assert found[CONSUMER_GROUP] == b"the-counting-group"
        assert found[ERROR]
    assert b"payload.name" in dict(dead[1].headers)[ERROR]


async def test_an_event_the_projection_rejects_is_dead_lettered_and_the_rest_of_its_batch_applied(
    setup: Setup,
) -> None:
    events = sample_events(70)
    await publish_events(setup.bootstrap, setup.topic, events)
    setup.projection.rejected_bapas = "kupang"

    async with setup.consumer() as consumer:
        await consumer.run_until_caught_up(timeout=CAUGHT_UP_TIMEOUT)

    counted = [e for e in events if e.bapas_code != "kupang"]
    counts, applied = await setup.state()
    assert counts == expected_counts(counted)
    _assert_each_applied_once(applied, counted)
    dead = await _read_all(setup.bootstrap, setup.dead_letters)
    assert sorted(m.value for m in dead) == sorted(
        record_of(e).value for e in events if e.bapas_code == "kupang"
    )


async def test_a_rebuild_gives_the_same_projection_as_the_live_one(setup: Setup) -> None:
    events = sample_events(2_000)
    await publish_events(setup.bootstrap, setup.topic, events)
    async with setup.consumer() as consumer:
        await consumer.run_until_caught_up(timeout=CAUGHT_UP_TIMEOUT)
    live = await setup.state()
    live_offsets = await setup.recorded_offsets()

    reports: list[RebuildProgress] = []
    result = await rebuild_projection(
        setup.projection,
        kafka=KafkaConnection.to(setup.bootstrap),
        database_url=setup.database_url,
        dead_letter_topic=setup.dead_letters,
        on_progress=reports.append,
        max_batch_size=300,
    )

    rebuilt = await setup.state()
    assert rebuilt[0] == live[0] == expected_counts(events)
    assert sorted(rebuilt[1]) == sorted(live[1])
    assert await setup.recorded_offsets() == live_offsets
    assert (result.applied, result.processed, result.total) == (2_000, 2_000, 2_000)
    assert result.end_offset == 2_000
    assert len(reports) > 2
    assert [r.processed for r in reports] == sorted(r.processed for r in reports)


async def test_a_rebuild_while_the_live_consumer_runs_ends_with_the_complete_projection(
    setup: Setup,
) -> None:
    before, during = sample_events(1_000), sample_events(1_000)
    await publish_events(setup.bootstrap, setup.topic, before)
    async with setup.consumer(max_batch_size=100) as live:
        running = asyncio.create_task(live.run())
        try:
            await _wait_for_offsets(setup, 1_000, running)
            await asyncio.gather(
                rebuild_projection(
                    setup.projection,
                    kafka=KafkaConnection.to(setup.bootstrap),
                    database_url=setup.database_url,
                    dead_letter_topic=setup.dead_letters,
                    max_batch_size=100,
                ),
                publish_events(setup.bootstrap, setup.topic, during),
            )
            await _wait_for_offsets(setup, 2_000, running)
        finally:
            live.request_stop()
            await running

    counts, applied = await setup.state()
    assert counts == expected_counts(before + during)
    _assert_each_applied_once(applied, before + during)


async def test_a_new_consumer_group_resumes_from_the_offsets_recorded_in_postgres(
    setup: Setup,
) -> None:
    first, second = sample_events(500), sample_events(200)
    await publish_events(setup.bootstrap, setup.topic, first)
    async with setup.consumer(group_id=f"first-{uuid.uuid4().hex[:6]}") as consumer:
        await consumer.run_until_caught_up(timeout=CAUGHT_UP_TIMEOUT)
    await publish_events(setup.bootstrap, setup.topic, second)

    async with setup.consumer(group_id=f"second-{uuid.uuid4().hex[:6]}") as restarted:
        await restarted.run_until_caught_up(timeout=CAUGHT_UP_TIMEOUT)

    counts, applied = await setup.state()
    assert counts == expected_counts(first + second)
    _assert_each_applied_once(applied, first + second)
    # It sought to Postgres' offsets: it did not even read the first events again.
    assert restarted.stats.messages == 200
    assert restarted.stats.applied == 200
    assert restarted.stats.skipped_redelivered == 0


async def test_kafka_learns_the_applied_offsets_at_most_once_an_interval_and_on_stop(
    setup: Setup,
) -> None:
    await publish_events(setup.bootstrap, setup.topic, sample_events(600))
    group = f"group-{uuid.uuid4().hex[:6]}"
    async with setup.consumer(
        group_id=group, max_batch_size=50, commit_hint_interval=3_600
    ) as consumer:
        await consumer.run_until_caught_up(timeout=CAUGHT_UP_TIMEOUT)
        while_running = await _committed(setup.bootstrap, setup.topic, group)
    after_stop = await _committed(setup.bootstrap, setup.topic, group)

    recorded = await setup.recorded_offsets()
    assert sum(recorded.values()) == 600
    # Twelve batches or more, one hint: the first batch's.
    assert sum(while_running.values()) < 600
    assert after_stop == recorded


async def _committed(bootstrap: str, topic: str, group: str) -> dict[int, int]:
    """The group's committed Kafka offset of each partition that has one."""
    partitions = await topic_partitions(KafkaConnection.to(bootstrap), [topic])
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        committed = {tp.partition: await consumer.committed(tp) for tp in partitions}
    finally:
        await consumer.stop()
    return {partition: offset for partition, offset in committed.items() if offset is not None}


async def test_a_restarted_consumer_resumes_from_postgres_when_the_kafka_commit_is_behind(
    setup: Setup,
) -> None:
    events = sample_events(400)
    group = f"group-{uuid.uuid4().hex[:6]}"
    await publish_events(setup.bootstrap, setup.topic, events[:300])
    async with setup.consumer(group_id=group) as consumer:
        await consumer.run_until_caught_up(timeout=CAUGHT_UP_TIMEOUT)
    await _commit(setup.bootstrap, setup.topic, group, offset=0)
    await publish_events(setup.bootstrap, setup.topic, events[300:])

    async with setup.consumer(group_id=group) as restarted:
        await restarted.run_until_caught_up(timeout=CAUGHT_UP_TIMEOUT)

    counts, applied = await setup.state()
    assert counts == expected_counts(events)
    _assert_each_applied_once(applied, events)
    assert (restarted.stats.messages, restarted.stats.applied) == (100, 100)


async def test_a_second_instance_joining_mid_stream_takes_partitions_and_nothing_doubles(
    setup: Setup,
) -> None:
    events = sample_events(2_000)
    await publish_events(setup.bootstrap, setup.topic, events)
    # Slow batches keep the stream going for seconds; frequent heartbeats tell the first
    # instance of the rebalance soon after the second joins.
    setup.projection.batch_delay = 0.1
    group = f"group-{uuid.uuid4().hex[:6]}"
    first = setup.consumer(group_id=group, max_batch_size=50, heartbeat_interval_ms=300)
    second = setup.consumer(group_id=group, max_batch_size=50, heartbeat_interval_ms=300)
    runs: list[asyncio.Task[None]] = []
    try:
        await first.start()
        runs.append(asyncio.create_task(first.run()))
        await _wait_for_offsets(setup, 300, *runs)
        await second.start()
        runs.append(asyncio.create_task(second.run()))
        await _wait_for_offsets(setup, 2_000, *runs)
    finally:
        await asyncio.gather(first.stop(), second.stop())
        await asyncio.gather(*runs)

    counts, applied = await setup.state()
    assert counts == expected_counts(events)
    _assert_each_applied_once(applied, events)
    assert first.stats.applied > 0
    assert second.stats.applied > 0
    assert first.stats.applied + second.stats.applied == 2_000


async def test_a_lost_database_connection_rolls_the_batch_back_and_it_is_retried(
    setup: Setup,
) -> None:
    events = sample_events(1_000)
    await publish_events(setup.bootstrap, setup.topic, events)
    setup.projection.batch_delay = 0.05  # the termination lands inside a transaction
    async with setup.consumer(max_batch_size=50) as consumer:
        running = asyncio.create_task(consumer.run())
        try:
            await _wait_for_offsets(setup, 200, running)
            connection = await setup.connect()
            try:
                terminated = await connection.fetchval(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            finally:
                await connection.close()
            assert terminated == 1
            await _wait_for_offsets(setup, 1_000, running)
        finally:
            consumer.request_stop()
            await running

    counts, applied = await setup.state()
    assert counts == expected_counts(events)
    _assert_each_applied_once(applied, events)


async def _wait_for_offsets(setup: Setup, total: int, *running: asyncio.Task[None]) -> None:
    """Until the recorded next offsets add up to ``total``; a consumer that ends fails it."""
    async with asyncio.timeout(CAUGHT_UP_TIMEOUT):
        while sum((await setup.recorded_offsets()).values()) < total:
            for task in running:
                if task.done():
                    task.result()
                    raise AssertionError("the consumer stopped before catching up")
            await asyncio.sleep(0.05)


async def _commit(bootstrap: str, topic: str, group: str, *, offset: int) -> None:
    """Move the group's committed Kafka offsets of every partition back to ``offset``."""
    partitions = await topic_partitions(KafkaConnection.to(bootstrap), [topic])
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.commit({tp: offset for tp in partitions})
        assert all([await consumer.committed(tp) == offset for tp in partitions])
    finally:
        await consumer.stop()


async def _read_all(bootstrap: str, topic: str) -> list[Any]:
    """Every message on a topic now (its end offsets are read first, then reached)."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    try:
        partitions = sorted(consumer.assignment())
        ends = await consumer.end_offsets(partitions)
        messages: list[Any] = []
        async with asyncio.timeout(30):
            while any([await consumer.position(tp) < end for tp, end in ends.items()]):
                batch = await consumer.getmany(timeout_ms=200)
                for tp in sorted(batch):
                    messages.extend(batch[tp])
    finally:
        await consumer.stop()
    return messages
