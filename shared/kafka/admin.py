"""Questions about the topics that every Kafka tool of the platform asks: which
partitions a topic has."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import UnknownTopicOrPartitionError

from shared.kafka.connection import KafkaConnection


async def topic_partitions(kafka: KafkaConnection, topics: Sequence[str]) -> list[TopicPartition]:
    """Every partition of ``topics``; ``UnknownTopicOrPartitionError`` names a missing topic."""
    admin = AIOKafkaAdminClient(**kafka.client_options())
    await admin.start()
    try:
        described: list[dict[str, Any]] = await admin.describe_topics(list(topics))
    finally:
        await admin.close()
    partitions: list[TopicPartition] = []
    for topic in described:
        if topic["error_code"] != 0 or not topic["partitions"]:
            raise UnknownTopicOrPartitionError(f"topic {topic['topic']} does not exist")
        partitions.extend(
            TopicPartition(topic["topic"], p["partition"]) for p in topic["partitions"]
        )
    return sorted(partitions)
