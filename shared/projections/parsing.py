"""From a raw Kafka record to one of three outcomes: an event, an unknown type, garbage.

A projection consumer reads raw bytes (no value deserializer) and parses them here
with pydantic's ``model_validate_json`` through the registry
(:func:`shared.events.registry.parse_event`), routing on the ``event_type`` and
``schema_version`` headers when the producer set them. That is one pass of compiled
validation per message; FastStream's default batch decoder cost about four times the
rest of the consumer on this hardware (``infra.md``: 25,000–28,000 events/s against
73,000 for ``model_validate_json``), which would make it B1's bottleneck.

The outcomes follow ``events.md``: an unknown event type is skipped (a newer
producer may publish it), a message that is not a valid event is dead-lettered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from shared.events.envelope import Envelope, EventPayload
from shared.events.registry import InvalidEvent, UnknownEventType, parse_event, route_from_headers


class KafkaMessage(Protocol):
    """The fields of aiokafka's ``ConsumerRecord`` a projection consumer uses."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...
    @property
    def headers(self) -> Sequence[tuple[str, bytes]]: ...


@dataclass(frozen=True, slots=True)
class ParsedEvent:
    message: KafkaMessage
    event: Envelope[EventPayload]


@dataclass(frozen=True, slots=True)
class UnknownEvent:
    message: KafkaMessage
    event_type: str
    schema_version: int


@dataclass(frozen=True, slots=True)
class InvalidMessage:
    message: KafkaMessage
    error: str


ReadMessage = ParsedEvent | UnknownEvent | InvalidMessage


def read_message(message: KafkaMessage) -> ReadMessage:
    """Parse one record's value into a typed event, or say why it is not one."""
    if message.value is None:
        return InvalidMessage(message, "the message has no value (a tombstone is not an event)")
    route = route_from_headers(message.headers or ())
    try:
        if route is None:
            event = parse_event(message.value)
        else:
            event = parse_event(message.value, event_type=route[0], schema_version=route[1])
    except UnknownEventType as unknown:
        return UnknownEvent(message, unknown.event_type, unknown.schema_version)
    except InvalidEvent as invalid:
        return InvalidMessage(message, str(invalid))
    return ParsedEvent(message, event)
