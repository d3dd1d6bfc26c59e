"""The envelope every event travels in, and the building blocks all payloads share.

Events are the platform's public interface: other systems subscribe to
them and they are kept forever, so their models are strict, immutable and versioned.

Unknown fields, the one rule with two sides:

* **Writing forbids them.** Every contract model is configured with ``extra="forbid"``:
  constructing a payload or an envelope in code with a field the contract does not have
  is a ``ValidationError`` at run time, and a mypy error before that (the pydantic
  plugin types ``__init__`` from the fields). A producer cannot publish a typo.
* **Reading ignores them.** Consumers must accept events written by a newer producer
  (forward compatibility), so the reading path validates with pydantic's per-call
  override ``model_validate_json(raw, extra="ignore")``, which applies to the envelope
  and every nested model. :func:`shared.events.registry.parse_event` is that path; a
  consumer that validates a model itself must pass ``extra="ignore"`` too.

The models are strict: a JSON string is not an int, an int is not a date. Strict mode
still reads UUIDs, dates and timestamps from their ISO strings in JSON, and requires
the real types (``UUID``, ``date``, an enum member) when built in Python, as mypy does.
"""

from __future__ import annotations

import dataclasses
import functools
from abc import abstractmethod
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Generic, Self, TypeVar
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler, model_validator
from pydantic_core import core_schema

from shared.reference.offices import SLUG_PATTERN

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


class _UtcOffset:
    """Requires a UTC offset of zero, checked inside pydantic-core.

    Converting other offsets to UTC in a Python validator cost about 1.5 µs a
    timestamp, a third of the time to read a whole event; refusing them costs nothing.
    """

    def __get_pydantic_core_schema__(
        self, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.datetime_schema(tz_constraint=0)


UtcDatetime = Annotated[datetime, _UtcOffset()]
"""An instant in UTC, written ``…Z``; a naive time or another offset is refused."""

ShortText = Annotated[str, Field(min_length=1, max_length=200)]
"""A name, a title, a number printed on a document."""

Text = Annotated[str, Field(min_length=1, max_length=2000)]
"""An address, a reason, a note."""

Email = Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]

Phone = Annotated[str, Field(min_length=3, max_length=32, pattern=r"^\+?[0-9][0-9 ()-]*$")]


class ContractModel(BaseModel):
    """Base of every model that is part of the event contract: frozen, strict, closed.

    Validation errors name the field but never echo its value: a malformed message
    could carry personal data, and errors end up in logs and dead-letter headers.
    """

    model_config = ConfigDict(frozen=True, strict=True, extra="forbid", hide_input_in_errors=True)


class Source(StrEnum):
    """The service that produced an event."""

    POKMAS = "pokmas"
    ENROLMENT = "enrolment"
    NOTIFICATIONS = "notifications"
    EMPLOYMENT = "employment"


class AggregateType(StrEnum):
    """The kind of entity an event belongs to."""

    POKMAS = "pokmas"
    MOU = "mou"
    PROGRAMME = "programme"
    CLIENT = "client"
    ENROLMENT = "enrolment"
    NOTIFICATION = "notification"
    EMPLOYER = "employer"
    VACANCY = "vacancy"
    PLACEMENT = "placement"


class Actor(ContractModel):
    """Who caused the event, for the audit trail.

    ``role`` is a free string rather than an enum: a role added to the platform later
    must not make older readers reject events. ``sub`` is the subject of the caller's
    token, which may be up to 256 characters long (the API contract).
    """

    role: ShortText
    sub: Annotated[str, Field(min_length=1, max_length=256)]


class EventPayload(ContractModel):
    """Base of every event payload.

    Each concrete payload is one version of one event type and says, as class
    variables, which type and version it is and what it is about; :func:`new_envelope`
    reads them, so a producer cannot put a payload in the wrong envelope.
    """

    event_type: ClassVar[str]
    schema_version: ClassVar[int]
    source: ClassVar[Source]
    aggregate_type: ClassVar[AggregateType]

    @property
    @abstractmethod
    def aggregate_id(self) -> UUID:
        """The id of the entity this event belongs to (one of the payload's ids)."""

    @classmethod
    def built_from(cls, source: BaseModel | DataclassInstance, **values: Any) -> Self:
        """The event with ``values``, and every other field taken by name from
        ``source`` (a command, a delivery…) where it has one: what an event carries over
        as it is is not listed again where the event is built."""
        carried = {name: getattr(source, name) for name in _carried(cls, type(source))}
        return cls(**(carried | values))


@functools.cache
def _carried(event: type[EventPayload], source: type[Any]) -> tuple[str, ...]:
    """The fields of ``event`` that a ``source`` (a model or a dataclass) has too."""
    names = (
        source.model_fields
        if issubclass(source, BaseModel)
        else {field.name for field in dataclasses.fields(source)}
    )
    return tuple(name for name in event.model_fields if name in names)


PayloadT = TypeVar("PayloadT", bound=EventPayload, covariant=True)
P = TypeVar("P", bound=EventPayload)


class Envelope(ContractModel, Generic[PayloadT]):
    """The message value: metadata common to all events around a typed payload."""

    event_id: UUID = Field(
        description="Unique; the idempotency key every consumer deduplicates on."
    )
    event_type: str = Field(description="The name of the event type.")
    schema_version: int = Field(ge=1, description="Version of this event type's payload.")
    occurred_at: UtcDatetime = Field(description="When it happened in the business.")
    recorded_at: UtcDatetime = Field(description="When the producing service stored it.")
    source: Source = Field(description="The producing service.")
    bapas_code: str = Field(
        pattern=SLUG_PATTERN,
        description="The office the event belongs to; the Kafka key.",
    )
    aggregate_type: AggregateType
    aggregate_id: UUID = Field(description="The entity the event belongs to.")
    aggregate_version: int = Field(
        ge=1, description="Per-aggregate sequence: 1, 2, 3 … with no gaps."
    )
    correlation_id: UUID = Field(description="The request or workflow it belongs to.")
    causation_id: UUID | None = Field(description="The event that caused it, if any.")
    actor: Actor
    payload: PayloadT

    @model_validator(mode="after")
    def _describes_its_payload(self) -> Self:
        kind = type(self.payload)
        if (self.event_type, self.schema_version) != (kind.event_type, kind.schema_version):
            raise ValueError(
                f"the envelope says {self.event_type} v{self.schema_version} "
                f"but the payload is {kind.event_type} v{kind.schema_version}"
            )
        if self.source is not kind.source:
            raise ValueError(f"{kind.event_type} comes from {kind.source}, not {self.source}")
        if self.aggregate_type is not kind.aggregate_type:
            raise ValueError(
                f"{kind.event_type} belongs to a {kind.aggregate_type}, not a {self.aggregate_type}"
            )
        if self.aggregate_id != self.payload.aggregate_id:
            raise ValueError("aggregate_id differs from the payload's id of the aggregate")
        return self


@functools.cache
def envelope_type(payload_type: type[P]) -> type[Envelope[P]]:
    """The envelope model parametrised with one payload model (built once, then cached)."""
    return Envelope[payload_type]  # type: ignore[valid-type]


def new_envelope(
    payload: P,
    *,
    bapas_code: str,
    aggregate_version: int,
    correlation_id: UUID,
    actor: Actor,
    occurred_at: datetime,
    causation_id: UUID | None = None,
    recorded_at: datetime | None = None,
    event_id: UUID | None = None,
) -> Envelope[P]:
    """Wrap a payload in its envelope; type, version, source and aggregate come from it.

    ``recorded_at`` defaults to now and ``event_id`` to a new random UUID.
    """
    payload_type = type(payload)
    return envelope_type(payload_type)(
        event_id=event_id or uuid4(),
        event_type=payload_type.event_type,
        schema_version=payload_type.schema_version,
        occurred_at=occurred_at,
        recorded_at=recorded_at or datetime.now(UTC),
        source=payload_type.source,
        bapas_code=bapas_code,
        aggregate_type=payload_type.aggregate_type,
        aggregate_id=payload.aggregate_id,
        aggregate_version=aggregate_version,
        correlation_id=correlation_id,
        causation_id=causation_id,
        actor=actor,
        payload=payload,
    )
