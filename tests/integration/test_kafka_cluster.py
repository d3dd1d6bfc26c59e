"""The stack's runner starts a three-node Kafka cluster (replication factor 3,
``min.insync.replicas=2``), and that cluster loses nothing acknowledged when one
broker dies under load."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from shared.kafka.probe import describe_kafka
from shared.stack.local import LocalStack
from tests.support.infrastructure import FAULT_KAFKA_PORT, private_kafka

MESSAGES = 20_000


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalStack]:
    with private_kafka("cluster", nodes=3, port=FAULT_KAFKA_PORT + 20) as stack:
        yield stack


async def test_three_brokers_answer_as_one_cluster(cluster: LocalStack) -> None:
    info = await describe_kafka(cluster.kafka_connection)

    assert info.brokers == 3


async def test_nothing_acknowledged_is_lost_when_a_broker_dies_under_load(
    cluster: LocalStack,
) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=cluster.bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics(
            [
                NewTopic(
                    "durable",
                    num_partitions=6,
                    replication_factor=3,
                    topic_configs={"min.insync.replicas": "2"},
                )
            ]
        )
    finally:
        await admin.close()
    producer = AIOKafkaProducer(
        bootstrap_servers=cluster.bootstrap_servers,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        request_timeout_ms=30_000,
    )
    await producer.start()
    acknowledged: list[int] = []
    try:
        for start in range(0, MESSAGES, 1000):
            if start == MESSAGES // 2:
                cluster.kafka.kill_node(2)
            batch = [
                await producer.send("durable", key=str(i % 90).encode(), value=str(i).encode())
                for i in range(start, start + 1000)
            ]
            for i, record in zip(
                range(start, start + 1000), await asyncio.gather(*batch), strict=True
            ):
                assert record.offset >= 0
                acknowledged.append(i)
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        "durable", bootstrap_servers=cluster.bootstrap_servers, auto_offset_reset="earliest"
    )
    await consumer.start()
    received: list[int] = []
    try:
        async with asyncio.timeout(90):
            while len(received) < len(acknowledged):
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    received.extend(int(r.value or b"-1") for r in records)
    finally:
        await consumer.stop()

    assert len(acknowledged) == MESSAGES
    assert sorted(received) == acknowledged
