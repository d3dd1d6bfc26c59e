"""The event contract of the platform: envelope, payloads, registry.

Producers build a payload model and wrap it with :func:`new_envelope`; consumers turn
message bytes into a typed event with :func:`parse_event`. One module per producing
service holds its payloads; :mod:`shared.events.schemas` publishes them as JSON Schema.
"""

from shared.events.envelope import (
    Actor,
    AggregateType,
    ContractModel,
    Envelope,
    EventPayload,
    Source,
    envelope_type,
    new_envelope,
)
from shared.events.registry import (
    EVENT_ID_HEADER,
    EVENT_TYPE_HEADER,
    PAYLOAD_TYPES,
    SCHEMA_VERSION_HEADER,
    Event,
    InvalidEvent,
    UnknownEventType,
    kafka_headers,
    parse_event,
    payload_type,
    route_from_headers,
)

__all__ = [
    "EVENT_ID_HEADER",
    "EVENT_TYPE_HEADER",
    "PAYLOAD_TYPES",
    "SCHEMA_VERSION_HEADER",
    "Actor",
    "AggregateType",
    "ContractModel",
    "Envelope",
    "Event",
    "EventPayload",
    "InvalidEvent",
    "Source",
    "UnknownEventType",
    "envelope_type",
    "kafka_headers",
    "new_envelope",
    "parse_event",
    "payload_type",
    "route_from_headers",
]
