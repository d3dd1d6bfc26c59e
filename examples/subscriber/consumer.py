"""The example subscriber: a FastStream Kafka broker whose one subscriber feeds the store.

What matters for a subscriber of the platform's topics (``docs/subscribing.md``):

* **Its own consumer group** (``group_id``): Kafka keeps the group's position, and no
  other team's consumer shares or disturbs it.
* **From the earliest offset**: Kafka clients start a new group at ``latest``, which
  would silently skip every event published before it started. Event topics are kept
  forever, so ``earliest`` reads the whole history.
* **Commit after handling**: acknowledgement is manual (``AckPolicy.MANUAL``, so no
  auto-commit); a message is acknowledged, which commits its offset, once the store
  committed what it changed. A crash in between re-delivers it, and the store's
  ``event_id`` check makes the second delivery change nothing.
* **Never stop the stream**: one handler reads the events it may know (routed on the
  ``event_type`` header); a catch-all handler skips every other message. Without it,
  FastStream would log an error with a traceback for each message no handler takes. A
  message it cannot read is reported and skipped.
* **The platform's topics are not its to create**: they are named with
  ``declare=False``, so FastStream only connects to them.
* **Order holds only within an office**: a klien who moves has its later events under
  the new office's key, in a partition that may be read first. The store deduplicates
  on ``event_id`` alone and keeps what changes by the highest ``aggregate_version``
  (:mod:`examples.subscriber.store`), so the order partitions are read in does not
  matter.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from aiokafka import ConsumerRecord, TopicPartition
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, Topic
from faststream.kafka.annotations import KafkaMessage
from faststream.security import BaseSecurity

from examples.subscriber.messages import is_wanted, parse_record
from examples.subscriber.progress import history_end, wait_until_reached
from examples.subscriber.reader import UnreadableMessage, read_event
from examples.subscriber.store import OutcomeStore

LOG = logging.getLogger("examples.subscriber")


@dataclass
class Counts:
    """What the subscriber did with the messages it received."""

    handled: int = 0
    duplicates: int = 0
    skipped: int = 0
    unreadable: int = 0

    @property
    def received(self) -> int:
        return self.handled + self.duplicates + self.skipped + self.unreadable


class Subscriber:
    """Reads ``topics`` as consumer group ``group_id`` and applies what it knows to ``store``."""

    def __init__(
        self,
        *,
        bootstrap_servers: Sequence[str],
        topics: Sequence[str],
        group_id: str,
        store: OutcomeStore,
        report: Callable[[str], None] = print,
        security: BaseSecurity | None = None,
    ) -> None:
        self.topics = tuple(topics)
        self.store = store
        self.report = report
        self.counts = Counts()
        self.broker = KafkaBroker(
            list(bootstrap_servers),
            security=security,
            client_id=group_id,
            logger=LOG,
            log_level=logging.DEBUG,  # one line per message: only when asked for
        )
        self._subscriber = self.broker.subscriber(
            *(Topic(topic, declare=False) for topic in self.topics),
            group_id=group_id,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.MANUAL,
            parser=parse_record,
        )
        self._subscriber(filter=is_wanted)(self._on_event)
        self._subscriber(self._on_other)
        self._history: dict[TopicPartition, int] = {}
        self._started = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop`` is set."""
        await self.broker.start()
        try:
            consumer = self._subscriber.consumer
            assert consumer is not None  # started with the broker
            self._history = await history_end(consumer, self.topics)
            self._started.set()
            await stop.wait()
        finally:
            await self.broker.stop()

    async def caught_up(self) -> None:
        """Wait until every event published before the subscriber started is applied and
        committed (see :mod:`examples.subscriber.progress`)."""
        await self._started.wait()
        consumer = self._subscriber.consumer
        assert consumer is not None
        await wait_until_reached(consumer, self._history)

    async def _on_event(self, message: KafkaMessage) -> None:
        record = message.raw_message
        assert isinstance(record, ConsumerRecord)
        self.handle(record, correlation_id=message.correlation_id)
        await message.ack()  # after the store's commit: commits the offset

    async def _on_other(self, message: KafkaMessage) -> None:
        self.counts.skipped += 1  # an event type or version it does not read
        await message.ack()

    def handle(self, record: ConsumerRecord[bytes, bytes], *, correlation_id: str) -> None:
        """Apply one Kafka record to the store, at most once."""
        where = f"{record.topic}/{record.partition}@{record.offset}"
        try:
            event = read_event(record.value, record.headers)
        except UnreadableMessage as error:
            # A production subscriber would also copy it to a dead-letter topic of its own.
            self.counts.unreadable += 1
            self.report(f"{where} unreadable, skipped: {error}")
            return
        if event is None:
            self.counts.skipped += 1  # a version it does not read, named only in the body
            return
        outcome = self.store.apply(event)
        if outcome is None:
            self.counts.duplicates += 1
            self.report(f"{where} {event.event_type} {event.event_id} already handled")
            return
        self.counts.handled += 1
        # bapas: the event's office; office: where the klien is supervised now, as far
        # as the events read so far say (a transfer read first is not undone by the
        # release read after it).
        self.report(
            f"{where} {event.event_type} v{event.schema_version} "
            f"bapas={event.bapas_code} client={event.client_id} "
            f"office={outcome.bapas_code or '?'} correlation={correlation_id}"
        )
