"""Smoke tests that prove the broker under the suite is real Apache Kafka: the
guarantees the platform relies on (idempotent acks=all producers, consumer groups,
committed offsets, transactions) hold against it."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from tests.conftest import create_topic


def _consumer(
    bootstrap: str, topic: str, group: str | None = None, **options: object
) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        **options,
    )


async def _drain(
    consumer: AIOKafkaConsumer, expected: int, timeout: float = 30.0
) -> list[tuple[int, bytes]]:
    received: list[tuple[int, bytes]] = []
    async with asyncio.timeout(timeout):
        while len(received) < expected:
            batches = await consumer.getmany(timeout_ms=500)
            for partition, messages in batches.items():
                received.extend(
                    (partition.partition, m.value) for m in messages if m.value is not None
                )
    return received


async def test_idempotent_producer_with_acks_all_delivers_each_message_once_in_key_order(
    kafka_bootstrap: str, topic: str
) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka_bootstrap, acks="all", enable_idempotence=True, linger_ms=5
    )
    await producer.start()
    try:
        sends = [
            await producer.send(topic, key=f"bapas-{i % 7}".encode(), value=f"{i % 7}:{i}".encode())
            for i in range(700)
        ]
        await asyncio.gather(*sends)
    finally:
        await producer.stop()

    consumer = _consumer(kafka_bootstrap, topic)
    await consumer.start()
    try:
        received = await _drain(consumer, 700)
    finally:
        await consumer.stop()

    values = [value.decode() for _, value in received]
    assert sorted(values) == sorted(f"{i % 7}:{i}" for i in range(700))
    per_key: dict[str, list[int]] = defaultdict(list)
    for value in values:
        key, sequence = value.split(":")
        per_key[key].append(int(sequence))
    assert all(sequence == sorted(sequence) for sequence in per_key.values())


async def test_two_members_of_a_group_share_twelve_partitions(
    kafka_bootstrap: str, topic: str
) -> None:
    group = f"group-{uuid.uuid4().hex[:8]}"
    first = _consumer(kafka_bootstrap, topic, group)
    second = _consumer(kafka_bootstrap, topic, group)
    await first.start()
    await second.start()
    try:
        async with asyncio.timeout(30):
            while True:
                await asyncio.gather(first.getmany(timeout_ms=200), second.getmany(timeout_ms=200))
                mine, theirs = first.assignment(), second.assignment()
                if mine and theirs and len(mine | theirs) == 12:
                    break
        assert not mine & theirs
        assert {tp.partition for tp in mine | theirs} == set(range(12))
    finally:
        await first.stop()
        await second.stop()


async def test_committed_offsets_survive_a_consumer_restart(kafka_bootstrap: str) -> None:
    topic = await create_topic(kafka_bootstrap, partitions=1)
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka_bootstrap, acks="all", enable_idempotence=True
    )
    await producer.start()
    try:
        for i in range(20):
            await producer.send_and_wait(topic, value=str(i).encode())
    finally:
        await producer.stop()
    group = f"group-{uuid.uuid4().hex[:8]}"

    consumer = _consumer(kafka_bootstrap, topic, group, max_poll_records=10)
    await consumer.start()
    try:
        first_ten = await _drain(consumer, 10)
        await consumer.commit({TopicPartition(topic, 0): 10})
    finally:
        await consumer.stop()

    restarted = _consumer(kafka_bootstrap, topic, group)
    await restarted.start()
    try:
        rest = await _drain(restarted, 10)
    finally:
        await restarted.stop()

    assert [int(v) for _, v in first_ten[:10]] == list(range(10))
    assert [int(v) for _, v in rest] == list(range(10, 20))


async def test_read_committed_consumer_never_sees_aborted_messages(kafka_bootstrap: str) -> None:
    topic = await create_topic(kafka_bootstrap, partitions=3)
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka_bootstrap, transactional_id=f"tx-{uuid.uuid4().hex[:8]}"
    )
    await producer.start()
    try:
        async with producer.transaction():
            for i in range(5):
                await producer.send(topic, key=b"balikpapan", value=f"committed-{i}".encode())
        await producer.begin_transaction()
        for i in range(5):
            await producer.send(topic, key=b"balikpapan", value=f"aborted-{i}".encode())
        await producer.abort_transaction()
        async with producer.transaction():
            await producer.send(topic, key=b"balikpapan", value=b"committed-last")
    finally:
        await producer.stop()

    consumer = _consumer(kafka_bootstrap, topic, isolation_level="read_committed")
    await consumer.start()
    try:
        received = await _drain(consumer, 6)
        await asyncio.sleep(1)
        received += [
            (p.partition, m.value)
            for p, ms in (await consumer.getmany(timeout_ms=1000)).items()
            for m in ms
            if m.value
        ]
    finally:
        await consumer.stop()

    assert [v.decode() for _, v in received] == [f"committed-{i}" for i in range(5)] + [
        "committed-last"
    ]
