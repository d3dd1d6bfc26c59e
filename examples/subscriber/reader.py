"""A tolerant reader of the platform's events, with nothing but ``json``.

A subscriber outside the platform does not import its pydantic models. It reads the
few fields it needs and is tolerant of everything else, as the event contract asks:

* **Unknown event types and versions are skipped**, not errors: the platform may
  publish a new event type, or a version 2 of one this code reads as version 1.
  The Kafka headers ``event_type`` and ``schema_version`` let it skip without even
  parsing the value; without headers it reads them from the body.
* **Unknown fields are ignored**: a newer producer may add optional fields to the
  envelope or a payload. The reader picks the fields it knows and never checks that
  there are no others.
* **A message it cannot read** (not JSON, a known event without a field it needs) is
  reported as :class:`UnreadableMessage`; the consumer logs it and goes on.

This subscriber's interest is the outcome of training (a manpower office that helps
klien who completed a course find work): enrolments, completions and employment, and
which Bapas supervises each klien now (ClientReleased, then ClientTransferredIn when
the klien moves), so that it knows which office to talk to.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

KNOWN_EVENTS = frozenset(
    {
        ("ClientReleased", 1),
        ("ClientEnrolled", 1),
        ("TrainingCompleted", 1),
        ("ClientEmployed", 1),
        ("ClientTransferredIn", 1),
    }
)
"""The (event_type, schema_version) pairs this subscriber understands."""


class UnreadableMessage(ValueError):
    """The message is not JSON, or a known event lacks a field this subscriber needs."""


@dataclass(frozen=True)
class KlienEvent:
    """The fields of a known event that this subscriber uses, and nothing else."""

    event_id: str
    event_type: str
    schema_version: int
    bapas_code: str
    """The office the event belongs to (for ClientTransferredIn, the klien's new one)."""
    client_id: str
    aggregate_version: int
    """The event's place in its aggregate's history: the klien's own for ClientReleased,
    ClientEmployed and ClientTransferredIn (an enrolment's for the others)."""
    assessment: str | None
    """``competent`` or ``not_yet_competent`` for TrainingCompleted; else ``None``."""
    employer_name: str | None
    """Who hired the klien, for ClientEmployed (may be absent); else ``None``."""


def route_from_headers(headers: Iterable[tuple[str, bytes]]) -> tuple[str, int] | None:
    """The (event_type, schema_version) named by the headers, or ``None`` if they do not."""
    values = dict(headers)
    try:
        return values["event_type"].decode(), int(values["schema_version"])
    except (KeyError, UnicodeDecodeError, ValueError):
        return None


def wanted(headers: Iterable[tuple[str, bytes]]) -> bool:
    """Whether a message may be an event this subscriber reads: known by its headers, or
    without them (then only its body says)."""
    route = route_from_headers(headers)
    return route is None or route in KNOWN_EVENTS


def correlation_id_of(value: bytes | None) -> str | None:
    """The envelope's ``correlation_id`` (the request or workflow the event belongs to),
    or ``None`` if the value is not an envelope that has one."""
    try:
        envelope = json.loads(value or b"")
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    found = envelope.get("correlation_id") if isinstance(envelope, dict) else None
    return found if isinstance(found, str) and found else None


def read_event(value: bytes | None, headers: Iterable[tuple[str, bytes]] = ()) -> KlienEvent | None:
    """The event in a message value, or ``None`` when this subscriber does not handle it.

    Raises :class:`UnreadableMessage` for a message that is not a readable event.
    """
    if not wanted(headers):
        return None  # skipped on the headers alone: the value is not even parsed
    try:
        envelope = json.loads(value or b"")
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise UnreadableMessage(f"not JSON: {error}") from None
    if not isinstance(envelope, dict):
        raise UnreadableMessage("the value is not a JSON object")
    key = (envelope.get("event_type"), envelope.get("schema_version"))
    if key not in KNOWN_EVENTS:
        return None
    payload = envelope.get("payload")
    if not isinstance(payload, dict):
        raise UnreadableMessage(f"{key[0]} without a payload object")
    return KlienEvent(
        event_id=_text(envelope, "event_id"),
        event_type=_text(envelope, "event_type"),
        schema_version=int(envelope["schema_version"]),
        bapas_code=_text(envelope, "bapas_code"),
        client_id=_text(payload, "client_id"),
        aggregate_version=_version(envelope),
        assessment=_optional_text(payload, "assessment"),
        employer_name=_optional_text(payload, "employer_name"),
    )


def _text(container: dict[str, Any], field: str) -> str:
    value = container.get(field)
    if not isinstance(value, str) or not value:
        raise UnreadableMessage(f"missing or not a string: {field}")
    return value


def _version(envelope: dict[str, Any]) -> int:
    value = envelope.get("aggregate_version")
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise UnreadableMessage("missing or not a positive integer: aggregate_version")
    return value


def _optional_text(container: dict[str, Any], field: str) -> str | None:
    value = container.get(field)
    return value if isinstance(value, str) else None
