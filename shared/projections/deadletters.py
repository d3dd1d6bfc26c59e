"""Reading the dead letters back and replaying them once their cause is fixed.

A consumer sends what it cannot process to the dead-letter topic and goes on
(:mod:`shared.projections.deadletter`); nothing would ever look at those messages
again. Here an operator's tools find them: every dead letter is read into a
:class:`DeadLetter` (where it came from, which projection refused it, why, and which
event it carries), chosen by original topic, projection or age, and replayed to its
original topic with its original key and value.

Reading joins no consumer group and commits nothing: it assigns itself every partition
of the dead-letter topic, reads from the beginning to the end offsets it found when it
started, and stops. A dead letter is named by its place on that topic,
``<partition>:<offset>``.

A replay carries headers naming the message it replays and the projection that failed
it (:func:`shared.projections.deadletter.replay_headers`): that projection applies it
once, every other consumer of the topic sees a duplicate of an event it already has.
Only the platform's event topics take replays; a dead letter from anywhere else is
refused before anything is published.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Collection, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from shared.events.registry import EVENT_ID_HEADER, EVENT_TYPE_HEADER, route_from_headers
from shared.kafka.admin import topic_partitions
from shared.kafka.connection import KafkaConnection
from shared.kafka.topics import DEAD_LETTERS, EVENT_TOPICS
from shared.projections.deadletter import (
    CONSUMER_GROUP,
    ERROR,
    ORIGINAL_OFFSET,
    ORIGINAL_PARTITION,
    ORIGINAL_TOPIC,
    PROJECTION,
    replay_headers,
)
from shared.projections.parsing import KafkaMessage

READ_TIMEOUT = 60.0
"""Seconds a read of the dead-letter topic may take before Kafka is deemed away."""
_POLL_MS = 500


@dataclass(frozen=True, order=True)
class DeadLetterId:
    """The place of a dead letter on the dead-letter topic: what the commands take."""

    partition: int
    offset: int

    def __str__(self) -> str:
        return f"{self.partition}:{self.offset}"


_SHORT_ID = re.compile(r"^(\d+):(\d+)$")
_LONG_ID = re.compile(r"^(.+)\[(\d+)\]@(\d+)$")


def parse_dead_letter_id(text: str, *, topic: str = DEAD_LETTERS) -> DeadLetterId:
    """``3:17``, or ``deadletter.v1[3]@17`` as messages and logs write it.

    The long form must name ``topic``: an id of another topic would name another message.
    """
    text = text.strip()
    if short := _SHORT_ID.match(text):
        return DeadLetterId(int(short[1]), int(short[2]))
    if long := _LONG_ID.match(text):
        if long[1] != topic:
            raise ValueError(f"{text!r} is a message of {long[1]}, not of {topic}")
        return DeadLetterId(int(long[2]), int(long[3]))
    raise ValueError(f"{text!r} does not name a dead letter: write <partition>:<offset>, e.g. 3:17")


class DeadLetterRecord(KafkaMessage, Protocol):
    """A record of the dead-letter topic as aiokafka's consumer returns it."""

    @property
    def timestamp(self) -> int: ...


def _header(headers: Sequence[tuple[str, bytes]], name: str) -> str | None:
    for key, value in headers:
        if key == name:
            return value.decode(errors="replace")
    return None


def _number(text: str | None) -> int | None:
    return int(text) if text is not None and text.isdigit() else None


@dataclass(frozen=True)
class DeadLetter:
    """One message a consumer could not process, and what its headers say about it.

    Every field read from a header is ``None`` when the header is missing (a message
    published to the dead-letter topic by something other than a consumer).
    """

    topic: str
    """The dead-letter topic it was read from."""
    partition: int
    offset: int
    timestamp: datetime
    """When it was dead-lettered (the record's timestamp)."""
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]
    original_topic: str | None
    original_partition: int | None
    original_offset: int | None
    consumer_group: str | None
    projection: str | None
    error: str | None
    event_type: str | None
    schema_version: int | None
    event_id: str | None

    @property
    def id(self) -> DeadLetterId:
        return DeadLetterId(self.partition, self.offset)

    @property
    def origin(self) -> str:
        """Where the message was first published: ``topic[partition]@offset``."""
        return (
            f"{self.original_topic or '?'}[{_or_unknown(self.original_partition)}]"
            f"@{_or_unknown(self.original_offset)}"
        )

    @property
    def reason(self) -> str:
        """The first line of the error: enough to tell dead letters apart in a list."""
        return (self.error or "").strip().partition("\n")[0]


def _or_unknown(number: int | None) -> str:
    return "?" if number is None else str(number)


def dead_letter_of(record: DeadLetterRecord) -> DeadLetter:
    """Read a record of the dead-letter topic; never fails, whatever its headers hold."""
    headers = tuple(record.headers or ())
    route = route_from_headers(headers)
    return DeadLetter(
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        timestamp=datetime.fromtimestamp(record.timestamp / 1000, UTC),
        key=record.key,
        value=record.value,
        headers=headers,
        original_topic=_header(headers, ORIGINAL_TOPIC),
        original_partition=_number(_header(headers, ORIGINAL_PARTITION)),
        original_offset=_number(_header(headers, ORIGINAL_OFFSET)),
        consumer_group=_header(headers, CONSUMER_GROUP),
        projection=_header(headers, PROJECTION),
        error=_header(headers, ERROR),
        event_type=route[0] if route else _header(headers, EVENT_TYPE_HEADER),
        schema_version=route[1] if route else None,
        event_id=_header(headers, EVENT_ID_HEADER),
    )


_DURATION = re.compile(r"^(\d+)\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, *, now: datetime) -> datetime:
    """The instant ``--since`` names: a duration back from ``now`` (``30m``, ``2h``,
    ``7d``), a date (``2026-11-30``, its midnight) or a date and time; a date or time
    without an offset is in UTC."""
    text = text.strip()
    if duration := _DURATION.match(text):
        return now - timedelta(**{_UNITS[duration[2]]: int(duration[1])})
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"--since {text!r}: give a duration (30m, 2h, 7d), a date (2026-11-30) "
            "or a date and time (2026-11-30T08:00+07:00)"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class DeadLetterFilter:
    """Which dead letters an operator asks for; each criterion left ``None`` admits all."""

    topic: str | None = None
    """The original topic."""
    projection: str | None = None
    since: datetime | None = None
    """Dead-lettered at or after this instant."""

    def admits(self, letter: DeadLetter) -> bool:
        return (
            (self.topic is None or letter.original_topic == self.topic)
            and (self.projection is None or letter.projection == self.projection)
            and (self.since is None or letter.timestamp >= self.since)
        )

    @property
    def chooses(self) -> bool:
        """Whether any criterion is set."""
        return (self.topic, self.projection, self.since) != (None, None, None)


EVERY_DEAD_LETTER = DeadLetterFilter()


@asynccontextmanager
async def _reader(
    kafka: KafkaConnection, topic: str
) -> AsyncIterator[tuple[Any, list[TopicPartition]]]:
    """A consumer of no group, assigned every partition of ``topic``, committing nothing.

    ``UnknownTopicOrPartitionError`` if the topic does not exist.
    """
    partitions = await topic_partitions(kafka, [topic])
    consumer = AIOKafkaConsumer(
        **kafka.client_options(),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        client_id="bapas-deadletters",
    )
    try:
        await consumer.start()
        consumer.assign(partitions)
        yield consumer, partitions
    finally:
        await consumer.stop()


async def read_dead_letters(
    kafka: KafkaConnection,
    *,
    topic: str = DEAD_LETTERS,
    chosen: DeadLetterFilter = EVERY_DEAD_LETTER,
    timeout: float = READ_TIMEOUT,
) -> list[DeadLetter]:
    """Every dead letter on ``topic`` now that ``chosen`` admits, oldest first.

    ``TimeoutError`` if Kafka has not delivered them all within ``timeout`` seconds.
    """
    letters: list[DeadLetter] = []
    async with _reader(kafka, topic) as (consumer, partitions):
        ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
        await consumer.seek_to_beginning(*partitions)
        async with asyncio.timeout(timeout):
            while pending := [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
                fetched = await consumer.getmany(*pending, timeout_ms=_POLL_MS)
                for tp, records in fetched.items():
                    for record in records:
                        if record.offset < ends[tp]:
                            letter = dead_letter_of(record)
                            if chosen.admits(letter):
                                letters.append(letter)
    return sorted(letters, key=lambda letter: (letter.timestamp, letter.id))


async def read_dead_letters_by_id(
    kafka: KafkaConnection,
    ids: Iterable[DeadLetterId],
    *,
    topic: str = DEAD_LETTERS,
    timeout: float = READ_TIMEOUT,
) -> dict[DeadLetterId, DeadLetter]:
    """The dead letters at ``ids`` on ``topic``; an id that names no message is left out."""
    found: dict[DeadLetterId, DeadLetter] = {}
    async with _reader(kafka, topic) as (consumer, partitions):
        beginnings: dict[TopicPartition, int] = await consumer.beginning_offsets(partitions)
        ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
        async with asyncio.timeout(timeout):
            for wanted in sorted(set(ids)):
                tp = TopicPartition(topic, wanted.partition)
                if tp not in ends or not beginnings[tp] <= wanted.offset < ends[tp]:
                    continue
                consumer.seek(tp, wanted.offset)
                record = await _next_record(consumer, tp, ends[tp])
                if record is not None and record.offset == wanted.offset:
                    found[wanted] = dead_letter_of(record)
    return found


async def _next_record(consumer: Any, tp: TopicPartition, end: int) -> Any:
    """The first record at or after the position of ``tp``; ``None`` if ``end`` comes first."""
    while await consumer.position(tp) < end:
        fetched = await consumer.getmany(tp, timeout_ms=_POLL_MS, max_records=1)
        for record in fetched.get(tp, ()):
            return record
    return None


class NotReplayable(ValueError):
    """Some of the chosen dead letters cannot be replayed; nothing was published."""


def check_replayable(
    letters: Iterable[DeadLetter], *, event_topics: Collection[str] = EVENT_TOPICS
) -> None:
    """Refuse the whole replay if a dead letter did not come from an event topic of the
    platform (a replay there would publish to a topic no consumer of ours reads, or to
    a topic that must never carry events) or does not say where it came from."""
    anonymous: list[DeadLetterId] = []
    foreign: dict[str, list[DeadLetterId]] = defaultdict(list)
    for letter in letters:
        if letter.original_topic is None or None in (
            letter.original_partition,
            letter.original_offset,
        ):
            anonymous.append(letter.id)
        elif letter.original_topic not in event_topics:
            foreign[letter.original_topic].append(letter.id)
    refusals = [
        f"{_some(ids)} came from {topic}, which is not an event topic of the platform"
        for topic, ids in sorted(foreign.items())
    ]
    if anonymous:
        refusals.append(f"{_some(anonymous)}: no original topic and position in the headers")
    if refusals:
        raise NotReplayable(
            f"{'; '.join(refusals)} (event topics: {', '.join(sorted(event_topics))})"
        )


def _some(ids: Sequence[DeadLetterId], shown: int = 5) -> str:
    """``1:0, 1:1`` or, for many, ``1:0, 1:1, 1:2, 1:3, 1:4 and 7 more``."""
    named = ", ".join(str(i) for i in ids[:shown])
    return named if len(ids) <= shown else f"{named} and {len(ids) - shown} more"


async def replay(
    kafka: KafkaConnection,
    letters: Sequence[DeadLetter],
    *,
    event_topics: Collection[str] = EVENT_TOPICS,
) -> Counter[str]:
    """Publish each dead letter to its original topic with its original key and value;
    returns how many went to each topic.

    :class:`NotReplayable` before anything is published if one of them may not be
    replayed. Dead letters of one original partition are published in their original
    order, so events of one aggregate arrive in version order. The producer is
    idempotent with ``acks="all"``: a replay is acknowledged only once every in-sync
    replica has it.
    """
    check_replayable(letters, event_topics=event_topics)
    in_order = sorted(
        letters,
        key=lambda letter: (
            letter.original_topic or "",
            letter.original_partition or 0,
            letter.original_offset or 0,
        ),
    )
    producer = AIOKafkaProducer(
        **kafka.client_options(),
        acks="all",
        enable_idempotence=True,
        client_id="bapas-deadletters-replay",
    )
    try:
        await producer.start()
        deliveries = [
            await producer.send(
                letter.original_topic,
                key=letter.key,
                value=letter.value,
                headers=replay_headers(letter.headers),
            )
            for letter in in_order
        ]
        await asyncio.gather(*deliveries)
    finally:
        await producer.stop()
    return Counter(letter.original_topic for letter in in_order if letter.original_topic)
