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

from aiokafka import AIOKafkaProducer

from shared.kafka.connection import KafkaConnection
from shared.kafka.topics import DEAD_LETTERS
from shared.projections.parsing import KafkaMessage

ORIGINAL_TOPIC = "x-original-topic"
ORIGINAL_PARTITION = "x-original-partition"
ORIGINAL_OFFSET = "x-original-offset"
CONSUMER_GROUP = "x-consumer-group"
PROJECTION = "x-projection"
ERROR = "x-error"

_DEAD_LETTER_HEADERS = frozenset(
    {ORIGINAL_TOPIC, ORIGINAL_PARTITION, ORIGINAL_OFFSET, CONSUMER_GROUP, PROJECTION, ERROR}
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
        round trip (a known pitfall).
        """
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
        return delivery
