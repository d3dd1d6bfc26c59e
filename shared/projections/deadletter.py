"""Sending the messages a consumer cannot process to ``deadletter.v1``, so it can go on.

As the event contract asks, the dead letter keeps the original key and value, and its headers name
the original topic, partition, offset, the consumer group and the error. The original
headers are kept as well (they name the event type and id).

The producer is idempotent with ``acks="all"``: aiokafka's defaults (``acks=1``, no
idempotence) could lose a dead letter when the partition leader fails (a known
pitfall). The consumer awaits the sends *before* committing the transaction that moves
its offset past the message, so a crash never loses a dead letter; it can at worst
send one twice, which is acceptable for a dead letter.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer

from shared.events.registry import EVENT_ID_HEADER
from shared.kafka.connection import KafkaConnection
from shared.kafka.topics import DEAD_LETTERS
from shared.observability.logs import log_context
from shared.projections.parsing import KafkaMessage

ORIGINAL_TOPIC = "x-original-topic"
ORIGINAL_PARTITION = "x-original-partition"
ORIGINAL_OFFSET = "x-original-offset"
CONSUMER_GROUP = "x-consumer-group"
PROJECTION = "x-projection"
ERROR = "x-error"
REPLAY_OF = "x-replay-of"
"""On a replayed message: ``<topic>:<partition>:<offset>`` of the message it replays."""
REPLAY_FOR = "x-replay-for"
"""On a replayed message: the projection whose dead letter it was."""

_DEAD_LETTER_HEADERS = frozenset(
    {
        ORIGINAL_TOPIC,
        ORIGINAL_PARTITION,
        ORIGINAL_OFFSET,
        CONSUMER_GROUP,
        PROJECTION,
        ERROR,
        REPLAY_OF,
        REPLAY_FOR,
    }
)
MAX_ERROR_BYTES = 4_000
"""Validation errors name every bad field; a long list is cut so headers stay small."""


def dead_letter_headers(
    message: KafkaMessage, *, consumer_group: str, projection: str, error: str
) -> list[tuple[str, bytes]]:
    """The original headers followed by the ones that say where the message came from.

    Error texts never contain the message's values (the contract models hide the input
    in their errors), so no personal data ends up in a header.
    """
    kept = [(k, v) for k, v in (message.headers or ()) if k not in _DEAD_LETTER_HEADERS]
    return [
        *kept,
        (ORIGINAL_TOPIC, message.topic.encode()),
        (ORIGINAL_PARTITION, str(message.partition).encode()),
        (ORIGINAL_OFFSET, str(message.offset).encode()),
        (CONSUMER_GROUP, consumer_group.encode()),
        (PROJECTION, projection.encode()),
        (ERROR, error.encode()[:MAX_ERROR_BYTES].decode(errors="ignore").encode()),
    ]


def replay_headers(dead_letter: Sequence[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """The headers of a dead letter's replay on its original topic: the original headers,
    and where the replayed message was first published and which projection failed it.

    The consumer of that projection applies a replay once, even when later events of
    the same aggregate were applied meanwhile; every other consumer sees a duplicate.
    """
    found = dict(dead_letter)
    missing = [h for h in (ORIGINAL_TOPIC, ORIGINAL_PARTITION, ORIGINAL_OFFSET) if h not in found]
    if missing:
        raise ValueError(f"not a dead letter: no {', '.join(missing)} header")
    origin = b":".join(found[h] for h in (ORIGINAL_TOPIC, ORIGINAL_PARTITION, ORIGINAL_OFFSET))
    kept = [(k, v) for k, v in dead_letter if k not in _DEAD_LETTER_HEADERS]
    return [*kept, (REPLAY_OF, origin), (REPLAY_FOR, found.get(PROJECTION, b""))]


def is_replay(message: KafkaMessage) -> bool:
    """Whether ``message`` replays a dead letter (of whichever projection)."""
    return any(key == REPLAY_OF for key, _ in message.headers or ())


def replay_origin(message: KafkaMessage, projection: str) -> tuple[str, int, int] | None:
    """Where the message a replay replays was read, if ``message`` is a replay of one of
    ``projection``'s dead letters; ``None`` otherwise (or if its headers are garbled)."""
    found = dict(message.headers or ())
    if found.get(REPLAY_FOR) != projection.encode() or REPLAY_OF not in found:
        return None
    topic, _, rest = found[REPLAY_OF].decode(errors="replace").rpartition(":")
    topic, _, partition = topic.rpartition(":")
    if not topic or not partition.isdigit() or not rest.isdigit():
        return None
    return topic, int(partition), int(rest)


log = logging.getLogger(__name__)


class DeadLetterPublisher:
    """Publishes dead letters of one consumer; :meth:`send` returns the delivery to await."""

    def __init__(
        self,
        kafka: KafkaConnection,
        *,
        consumer_group: str,
        projection: str,
        topic: str = DEAD_LETTERS,
    ) -> None:
        self.topic = topic
        self._consumer_group = consumer_group
        self._projection = projection
        self._producer = AIOKafkaProducer(
            **kafka.client_options(),
            acks="all",
            enable_idempotence=True,
            client_id=f"{projection}-dead-letters",
        )

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def send(self, message: KafkaMessage, error: str) -> asyncio.Future[object]:
        """Queue a dead letter; await the returned future to know the broker has it.

        Sends of one batch are queued first and awaited together: awaiting each costs a
        round trip (a known pitfall). Each is logged, with the event's id and office.
        """
        headers = dict(message.headers or ())
        with log_context(
            event_id=headers.get(EVENT_ID_HEADER, b"").decode(errors="replace") or None,
            bapas_code=(message.key or b"").decode(errors="replace") or None,
        ):
            log.warning(
                "projection %s: dead letter %s[%s]@%s: %s",
                self._projection,
                message.topic,
                message.partition,
                message.offset,
                error,
            )
        delivery: asyncio.Future[object] = await self._producer.send(
            self.topic,
            key=message.key,
            value=message.value,
            headers=dead_letter_headers(
                message,
                consumer_group=self._consumer_group,
                projection=self._projection,
                error=error,
            ),
        )
        # If the batch fails before awaiting it, the error is retrieved anyway.
        delivery.add_done_callback(lambda done: done.cancelled() or done.exception())
        return delivery
