"""Whether the subscriber has caught up with the history it found when it started.

A new subscriber first reads years of events; whoever runs it (or tests it) wants to
know when that is done, not to guess with a sleep. When it starts, it reads the end
offset of every partition of its topics: the history so far. It has caught up when
its group's *committed* offset of each partition reached that end, that is, when every
event of the history is applied to the store and acknowledged. Events published later
do not move the mark, so a busy topic does not keep it from ever catching up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition

POLL_SECONDS = 0.2


async def history_end(
    consumer: AIOKafkaConsumer, topics: Sequence[str]
) -> dict[TopicPartition, int]:
    """The end offset of every partition of ``topics`` now (where the next event will go)."""
    await consumer.topics()  # the cluster's metadata, so that the partitions are known
    partitions = [
        TopicPartition(topic, partition)
        for topic in topics
        for partition in sorted(consumer.partitions_for_topic(topic) or ())
    ]
    ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
    return ends


async def reached(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    """Whether the consumer's group has committed every partition up to ``ends``."""
    for partition, end in ends.items():
        committed = await consumer.committed(partition)
        if end > 0 and (committed is None or committed < end):
            return False
    return True


async def wait_until_reached(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> None:
    while not await reached(consumer, ends):
        await asyncio.sleep(POLL_SECONDS)
