"""Which model reads which event, and the one way a consumer turns bytes into an event.

The registry maps ``(event_type, schema_version)`` to a payload model. A new version
of an event is a new payload model registered beside the old one, never a change to
it: events are kept forever and old ones must still be read.

Consumers treat two failures differently (the event contract, the quality bars):

* :class:`UnknownEventType`: an event type or version this code does not know. The
  consumer skips it (forward compatibility: a newer producer may publish it).
* :class:`InvalidEvent`: malformed JSON, or an envelope or payload that fails
  validation. The consumer sends it to ``deadletter.v1`` and goes on.

Parsing goes straight from bytes with pydantic's ``model_validate_json`` (no
``json.loads`` first). With the Kafka headers, which repeat the event type and
version, the body is parsed once; without them a small model reads the type and
version from the body first, and the body is parsed a second time by the right model.
A consumer that handles only some event types reads the route alone (headers, else
:func:`route_from_body`) and parses only the events it handles.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeAlias
from uuid import UUID

from pydantic import BaseModel, ConfigDict, ValidationError

from shared.events.employment import (
    ClientPlaced,
    EmployerPledged,
    EmployerRegistered,
    PlacementChecked,
    PlacementEnded,
    VacancyClosed,
    VacancyPosted,
)
from shared.events.enrolment import (
    AttendanceRecorded,
    ClientEmployed,
    ClientEnrolled,
    ClientProfileErased,
    ClientReleased,
    ClientReoffended,
    ClientTransferredIn,
    ClientTransferredOut,
    EnrolmentResumed,
    EnrolmentSuspended,
    ReportingScheduled,
    ReportMissed,
    ReportRecorded,
    RevocationRecommended,
    SupervisionEnded,
    TrainingCompleted,
    TrainingWithdrawn,
)
from shared.events.envelope import Envelope, EventPayload, envelope_type
from shared.events.notifications import NotificationFailed, NotificationSent
from shared.events.pokmas import (
    MoUExpired,
    MoURenewed,
    MoUSigned,
    MoUTerminated,
    PokmasContactChanged,
    PokmasRegistered,
    ProgrammeClosed,
    ProgrammeOpened,
)

Event: TypeAlias = "Envelope[EventPayload]"
"""Any event: narrow it with ``match event.payload: case MoUSigned(): …``."""

EVENT_ID_HEADER = "event_id"
EVENT_TYPE_HEADER = "event_type"
SCHEMA_VERSION_HEADER = "schema_version"

PAYLOAD_TYPES: tuple[type[EventPayload], ...] = (
    PokmasRegistered,
    PokmasContactChanged,
    MoUSigned,
    MoURenewed,
    MoUTerminated,
    MoUExpired,
    ProgrammeOpened,
    ProgrammeClosed,
    ClientReleased,
    ClientEnrolled,
    AttendanceRecorded,
    TrainingCompleted,
    TrainingWithdrawn,
    EnrolmentSuspended,
    EnrolmentResumed,
    ClientEmployed,
    ClientReoffended,
    SupervisionEnded,
    ClientProfileErased,
    ReportingScheduled,
    ReportRecorded,
    ReportMissed,
    RevocationRecommended,
    ClientTransferredOut,
    ClientTransferredIn,
    NotificationSent,
    NotificationFailed,
    EmployerRegistered,
    EmployerPledged,
    VacancyPosted,
    VacancyClosed,
    ClientPlaced,
    PlacementChecked,
    PlacementEnded,
)
"""Every published event version; a new version is added here beside the old ones."""


class UnknownEventType(LookupError):
    """No model is registered for this event type and version: skip the message."""

    def __init__(self, event_type: str, schema_version: int) -> None:
        super().__init__(f"unknown event type {event_type!r} version {schema_version}")
        self.event_type = event_type
        self.schema_version = schema_version


class InvalidEvent(ValueError):
    """The message is not a valid event: dead-letter it. The message names each bad field."""


def _payload_types_by_key() -> dict[tuple[str, int], type[EventPayload]]:
    by_key: dict[tuple[str, int], type[EventPayload]] = {}
    for payload in PAYLOAD_TYPES:
        key = (payload.event_type, payload.schema_version)
        if key in by_key:
            raise RuntimeError(f"{key[0]} v{key[1]} is registered twice")
        by_key[key] = payload
    return by_key


_PAYLOAD_TYPES = _payload_types_by_key()
_ENVELOPE_TYPES = {key: envelope_type(payload) for key, payload in _PAYLOAD_TYPES.items()}


class _Route(BaseModel):
    """The two envelope fields that choose the model, read when no headers name them."""

    model_config = ConfigDict(strict=True, extra="ignore", hide_input_in_errors=True)

    event_type: str
    schema_version: int


def payload_type(event_type: str, schema_version: int) -> type[EventPayload]:
    """The payload model of this event version; :class:`UnknownEventType` if none."""
    try:
        return _PAYLOAD_TYPES[(event_type, schema_version)]
    except KeyError:
        raise UnknownEventType(event_type, schema_version) from None


def _envelope_model(event_type: str, schema_version: int) -> type[Event]:
    try:
        return _ENVELOPE_TYPES[(event_type, schema_version)]
    except KeyError:
        raise UnknownEventType(event_type, schema_version) from None


def _describe(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in detail['loc']) or 'message'}: {detail['msg']}"
        for detail in error.errors(include_url=False, include_input=False)
    )


def route_from_body(raw: bytes | str) -> tuple[str, int]:
    """The event type and version a message's body names, read without the rest of it.

    For messages whose headers do not name them; :class:`InvalidEvent` if the body is
    not an envelope.
    """
    try:
        route = _Route.model_validate_json(raw)
    except ValidationError as error:
        raise InvalidEvent(f"not an event envelope: {_describe(error)}") from error
    return route.event_type, route.schema_version


def parse_event(
    raw: bytes | str,
    *,
    event_type: str | None = None,
    schema_version: int | None = None,
) -> Event:
    """Read one envelope with its typed payload from a message value.

    Pass ``event_type`` and ``schema_version`` when the Kafka headers carry them (see
    :func:`route_from_headers`): an unknown type is then skipped without reading the
    body, and a known one is parsed in a single pass. Fields this code does not know
    are ignored.

    Raises :class:`UnknownEventType` (skip) or :class:`InvalidEvent` (dead-letter).
    """
    if event_type is None or schema_version is None:
        event_type, schema_version = route_from_body(raw)
    model = _envelope_model(event_type, schema_version)
    try:
        return model.model_validate_json(raw, extra="ignore")
    except ValidationError as error:
        raise InvalidEvent(f"invalid {event_type} v{schema_version}: {_describe(error)}") from error


def kafka_headers(
    *, event_id: UUID, event_type: str, schema_version: int
) -> list[tuple[str, bytes]]:
    """The headers a producer puts on an event's Kafka record."""
    return [
        (EVENT_ID_HEADER, str(event_id).encode()),
        (EVENT_TYPE_HEADER, event_type.encode()),
        (SCHEMA_VERSION_HEADER, str(schema_version).encode()),
    ]


def route_from_headers(headers: Iterable[tuple[str, bytes]]) -> tuple[str, int] | None:
    """The event type and version named by a record's headers, or ``None`` if they do not.

    ``None`` (headers missing or unreadable) means: let :func:`parse_event` read them
    from the body. Runs once per message a consumer reads, so it scans the few headers
    rather than building a dict of them.
    """
    event_type: bytes | None = None
    schema_version: bytes | None = None
    for name, value in headers:
        if name == EVENT_TYPE_HEADER:
            event_type = value
        elif name == SCHEMA_VERSION_HEADER:
            schema_version = value
    if event_type is None or schema_version is None:
        return None
    try:
        return event_type.decode(), int(schema_version)
    except (UnicodeDecodeError, ValueError):
        return None
