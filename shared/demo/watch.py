"""Counts the events arriving on the topics while the demo plays, so it can show
what each step published."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter

from aiokafka import AIOKafkaConsumer

from shared.events.registry import route_from_headers
from shared.kafka.admin import topic_partitions
from shared.kafka.connection import KafkaConnection
from shared.kafka.topics import EVENT_TOPICS


class EventWatcher:
    """Reads every event topic from its end at start; ``since_last()`` tells what came."""

    def __init__(self, kafka: KafkaConnection) -> None:
        self._kafka = kafka
        self._consumer = AIOKafkaConsumer(**kafka.client_options(), enable_auto_commit=False)
        self.seen: Counter[tuple[str, str]] = Counter()
        self._reported: Counter[tuple[str, str]] = Counter()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        partitions = await topic_partitions(self._kafka, EVENT_TOPICS)
        await self._consumer.start()
        self._consumer.assign(partitions)
        await self._consumer.seek_to_end(*partitions)
        for partition in partitions:
            await self._consumer.position(partition)
        self._task = asyncio.create_task(self._count())

    async def _count(self) -> None:
        async for record in self._consumer:
            route = route_from_headers(record.headers)
            self.seen[(record.topic, route[0] if route else "?")] += 1

    async def since_last(self, settle: float = 1.0) -> Counter[tuple[str, str]]:
        """The events counted since the previous call, once the relay has caught up."""
        await asyncio.sleep(settle)
        fresh = self.seen - self._reported
        self._reported = Counter(self.seen)
        return fresh

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._consumer.stop()
