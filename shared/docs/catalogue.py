"""The event catalogue, ``docs/events.md``: every published event, generated from its model.

Subscribers outside the platform read the catalogue first: what each event means, its
fields with their types and meaning, and a whole example envelope. Writing it by hand
would let it drift from the models, so it is rendered from the same pydantic models the
services use (their JSON Schema, docstrings and field descriptions), the examples of
:mod:`shared.events.examples`, and the topics of :mod:`shared.kafka.topics`.

Where a model gives a field no description, :data:`FIELD_MEANINGS` does (the contract
modules belong to their services; the words that explain them to outsiders live here).
A test fails when a field has a meaning from neither, so a new field is documented
before it is published.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter

from shared.events.envelope import Email, EventPayload, Phone, Source, envelope_type
from shared.events.examples import example_envelope, example_payload
from shared.events.registry import (
    EVENT_ID_HEADER,
    EVENT_TYPE_HEADER,
    PAYLOAD_TYPES,
    SCHEMA_VERSION_HEADER,
)
from shared.events.schemas import schema_file_name
from shared.kafka.topics import DEAD_LETTERS, DEFAULT_PARTITIONS, TOPIC_OF_SERVICE
from shared.reference.offices import SLUG_PATTERN
from shared.reference.skills import skills

EXPORT_COMMAND = "uv run bapas docs export"

FIELD_MEANINGS: Mapping[str, str] = {
    # Envelope.
    "actor.role": "The caller's role, e.g. `bapas_officer`, `pokmas_partner` or `service`.",
    "actor.sub": "The caller's identity (the subject of its token).",
    # Ids.
    "pokmas_id": "The Pokmas.",
    "mou_id": "The MoU.",
    "programme_id": "The training programme.",
    "client_id": "The klien, pseudonymous: the only way events name a klien.",
    "enrolment_id": "The enrolment of one klien in one programme.",
    "notification_id": "The notification (one recipient, one channel).",
    "cause_event_id": "The `event_id` of the event the notification announced.",
    # Pokmas.
    "PokmasRegistered.name": "The Pokmas's name.",
    "kind": "Whether the Pokmas is an organisation or an individual.",
    "registration_number": "The organisation's legal registration number, if it has one.",
    "contact": "The person the Bapas and the notifications reach at the Pokmas.",
    "contact.name": "The contact person's name.",
    "contact.phone": "The contact person's phone number.",
    "contact.email": "The contact person's e-mail address.",
    "address": "The Pokmas's address.",
    "skills": "The skills the Pokmas can train klien in.",
    # MoUs.
    "number": "The MoU's number as printed on the signed document.",
    "signed_on": "The day it was signed.",
    "valid_from": "The first day of its validity.",
    "valid_until": "The last day of its validity.",
    "MoURenewed.valid_until": "The new last day of its validity.",
    "scope": "The skills programmes under this MoU may train.",
    "renewed_on": "The day the renewal was agreed.",
    "effective_on": "The first day the MoU no longer applies.",
    "MoUTerminated.reason": "Why the MoU was terminated, in words.",
    "expired_on": "The day after its last day of validity.",
    # Programmes.
    "skill": "The skill the programme trains.",
    "ClientEmployed.skill": "The skill the work uses, if it is one of the catalogue's.",
    "title": "The programme's title, as the Pokmas announces it.",
    "starts_on": "The programme's first day.",
    "ends_on": "The programme's last day.",
    "sessions_planned": "Sessions planned; completion needs attendance at 75 % of them.",
    "location": "Where the sessions take place.",
    "closed_on": "The day the programme closed.",
    "ProgrammeClosed.reason": "Why the programme closed, in words.",
    # Klien.
    "register_number": "The klien's case register number at the Bapas.",
    "integration_type": "The community integration the klien was released into.",
    "released_on": "The day the klien was released into community integration.",
    "supervision_ends_on": "The last day of supervision, as planned at release.",
    "pk_officer": "The supervising PK officer, with the officer's work contact.",
    "pk_officer.name": "The officer's name.",
    "pk_officer.email": "The officer's work e-mail address.",
    "pk_officer.phone": "The officer's work phone number.",
    "employment_kind": "Employed by someone else, or self-employed.",
    "employer_name": "The employer's name, when employed.",
    "started_on": "The first day of work.",
    "ClientReoffended.recorded_on": "The day the re-offence was recorded.",
    "ended_on": "The day supervision ended.",
    "outcome": "Completed, or revoked (the klien went back to prison).",
    "erased_on": "The day the profile was erased.",
    # Wajib lapor and transfers.
    "first_due_on": "The first due date of the schedule.",
    "every_days": "Days between two due dates.",
    "due_on": "The due date this is about.",
    "reported_on": "The day the klien reported (or was excused).",
    "ReportRecorded.status": "Reported on time, late, or excused.",
    "ReportRecorded.channel": "In person at the Bapas, or by video call.",
    "missed_in_a_row": "Due dates missed since the klien's last report, this one included.",
    "recommended_on": "The day of the recommendation, at the klien's Bapas.",
    "missed_due_dates": "The missed due dates of the streak.",
    "to_bapas_code": "The office the klien moves to.",
    "from_bapas_code": "The office the klien comes from.",
    "transferred_on": "The day the new office takes over the supervision.",
    "ClientTransferredOut.reason": "Why the klien moves, in words.",
    # Enrolments.
    "enrolled_on": "The day the klien took the seat.",
    "session_no": "The session's number in the programme, from 1.",
    "session_date": "The day of the session.",
    "status": "Present, late or absent.",
    "concern": "Something the PK officer should know, if any.",
    "completed_on": "The day the training was completed.",
    "assessment": "The Pokmas's assessment of the klien's competence.",
    "certificate_number": "The number of the certificate issued, if any.",
    "withdrawn_on": "The day the klien left the programme.",
    "reason_code": "Why the klien left, as a code.",
    "note": "A remark in words, if any.",
    "EnrolmentSuspended.reason": "Why the enrolment was suspended, in words.",
    # Notifications.
    "channel": "How it was (or was to be) delivered.",
    "template": "The name of the message template used.",
    "recipient_kind": "Who it was for.",
    "error": "The last delivery error.",
    "attempts": "How many deliveries were tried.",
}
"""The meaning of fields whose model has no description: ``field``, ``parent.field`` for
a nested field, or ``EventType.field`` where an event gives a field a meaning of its own."""

_SERVICE_TITLES = {
    Source.POKMAS: "Pokmas, their MoUs and their training programmes",
    Source.ENROLMENT: "klien, their enrolments in training and outcomes",
    Source.NOTIFICATIONS: "the outcome of each notification",
    Source.EMPLOYMENT: "employers, their vacancies and klien placed in work",
}


@dataclass(frozen=True)
class FieldRow:
    """One row of a field table: a (possibly nested, dotted) field of a model."""

    path: str
    type: str
    required: str
    meaning: str


class _Schema:
    """A model's JSON Schema with its ``$defs``, and the words for the types in it."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.root = schema
        self.defs: dict[str, Any] = schema.get("$defs", {})
        self.skill_codes = [skill.code for skill in skills()]
        self.email_pattern = TypeAdapter(Email).json_schema()["pattern"]
        self.phone_pattern = TypeAdapter(Phone).json_schema()["pattern"]

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        ref = node.get("$ref")
        if ref is None:
            return node
        resolved: dict[str, Any] = self.defs[ref.rsplit("/", 1)[-1]]
        return resolved

    def without_null(self, node: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """The schema of a value that may be null, and whether null is allowed."""
        options = node.get("anyOf")
        if options is None:
            return node, False
        kept = [option for option in options if option.get("type") != "null"]
        if len(kept) == 1:
            return kept[0], len(kept) < len(options)
        return node, len(kept) < len(options)

    def words(self, node: dict[str, Any]) -> str:
        node = self.resolve(node)
        if "anyOf" in node:
            return " or ".join(self.words(option) for option in node["anyOf"])
        if "enum" in node:
            if list(node["enum"]) == self.skill_codes:
                return "skill code (see [Skill codes](#skill-codes))"
            return "one of " + ", ".join(f"`{value}`" for value in node["enum"])
        if "const" in node:
            return f"`{node['const']}`"
        kind = node.get("type")
        if kind == "object":
            return f"object ({node.get('title', 'object')})"
        if kind == "array":
            words = f"list of {self.words(node.get('items', {}))}"
            if node.get("minItems"):
                words += f", at least {node['minItems']}"
            return words
        if kind == "integer":
            return "integer" + (f" ≥ {node['minimum']}" if "minimum" in node else "")
        if kind == "null":
            return "null"
        if kind == "string":
            return self._string_words(node)
        return str(kind or "any value")

    def _string_words(self, node: dict[str, Any]) -> str:
        match node.get("format"):
            case "uuid":
                return "UUID"
            case "date":
                return "date (`YYYY-MM-DD`)"
            case "date-time":
                return "timestamp (RFC 3339, UTC)"
        pattern = node.get("pattern")
        if pattern == self.email_pattern:
            return "e-mail address"
        if pattern == self.phone_pattern:
            return "phone number"
        if pattern == SLUG_PATTERN:
            return "office code (lowercase slug)"
        if "maxLength" in node:
            return f"text, up to {node['maxLength']} characters"
        return "text"


def _meaning(event_type: str | None, path: str, node: dict[str, Any], schema: _Schema) -> str:
    if node.get("description"):
        return _one_paragraph(node["description"])
    name = path.rsplit(".", 1)[-1]
    for key in (f"{event_type}.{path}" if event_type else None, path, name):
        if key is not None and key in FIELD_MEANINGS:
            return FIELD_MEANINGS[key]
    target = schema.resolve(schema.without_null(node)[0])
    if target is not node and target.get("description"):
        return _one_paragraph(target["description"])
    return ""


def _one_paragraph(text: str) -> str:
    first = inspect.cleandoc(text).split("\n\n", 1)[0]
    return " ".join(first.split())


def field_rows(
    model_schema: dict[str, Any],
    *,
    event_type: str | None = None,
    skip: frozenset[str] = frozenset(),
) -> list[FieldRow]:
    """The rows of a model's field table, nested objects expanded as ``parent.field``."""
    schema = _Schema(model_schema)
    return list(_rows(schema, schema.root, prefix="", event_type=event_type, skip=skip))


def _rows(
    schema: _Schema,
    model: dict[str, Any],
    *,
    prefix: str,
    event_type: str | None,
    skip: frozenset[str],
) -> Iterator[FieldRow]:
    required = set(model.get("required", ()))
    for name, node in model.get("properties", {}).items():
        if name in skip:
            continue
        path = f"{prefix}{name}"
        value, nullable = schema.without_null(node)
        if name not in required:
            presence = "no"
        elif nullable:
            presence = "yes (may be null)"
        else:
            presence = "yes"
        yield FieldRow(
            path=path,
            type=schema.words(value) + (", or null" if nullable else ""),
            required=presence,
            meaning=_meaning(event_type, path, node, schema),
        )
        target = schema.resolve(value)
        if target.get("type") == "object" and "properties" in target:
            yield from _rows(schema, target, prefix=f"{path}.", event_type=event_type, skip=skip)


def payload_field_rows(payload: type[EventPayload]) -> list[FieldRow]:
    """The rows of one event version's payload table."""
    envelope = envelope_type(payload).model_json_schema()
    payload_schema = dict(_Schema(envelope).resolve(envelope["properties"]["payload"]))
    payload_schema["$defs"] = envelope.get("$defs", {})
    return field_rows(payload_schema, event_type=payload.event_type)


def envelope_field_rows() -> list[FieldRow]:
    """The rows of the envelope table (every field but the payload)."""
    envelope = envelope_type(PAYLOAD_TYPES[0]).model_json_schema()
    return field_rows(envelope, skip=frozenset({"payload"}))


def _table(rows: list[FieldRow]) -> list[str]:
    lines = ["| field | type | required | meaning |", "|---|---|---|---|"]
    for row in rows:
        cells = (f"`{row.path}`", row.type, row.required, row.meaning or "—")
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return lines


def _anchor(payload: type[EventPayload]) -> str:
    """The anchor Markdown renderers give the event's heading (``### Type vN``)."""
    return f"{payload.event_type}-v{payload.schema_version}".lower()


def _aggregate_id_field(payload: type[EventPayload]) -> str:
    """The payload field that holds the aggregate's id (found from the example)."""
    example = example_payload(payload)
    for name in type(example).model_fields:
        if getattr(example, name) == example.aggregate_id:
            return name
    return "aggregate_id"


def render_event_catalogue() -> str:
    """The whole of ``docs/events.md``."""
    lines: list[str] = [
        "<!-- Generated from the event models by `uv run bapas docs export`: do not edit. -->",
        "",
        "# Event catalogue",
        "",
        "Every event the platform publishes, version by version: what it means, its "
        "payload and an example of the whole message. Events are the public interface "
        "of the platform; a published version never changes incompatibly, and a change "
        "is a new version published beside the old one. How to consume them: "
        "[subscribing.md](subscribing.md). The machine-readable forms, generated from the "
        "same models: one JSON Schema per event version in [events/](events/) and one "
        "AsyncAPI document per service in [asyncapi/](asyncapi/).",
        "",
        "## Topics",
        "",
        "| topic | written by | key | events |",
        "|---|---|---|---|",
    ]
    for service, topic in TOPIC_OF_SERVICE.items():
        names = ", ".join(
            f"[{p.event_type} v{p.schema_version}](#{_anchor(p)})"
            for p in PAYLOAD_TYPES
            if p.source.value == service
        )
        lines.append(f"| `{topic}` | {service} | `bapas_code` | {names} |")
    lines += [
        f"| `{DEAD_LETTERS}` | any consumer | the original key | messages a consumer "
        "could not process, with headers naming where they came from and the error |",
        "",
        f"Event topics have {DEFAULT_PARTITIONS} partitions and keep their events forever "
        "(`retention.ms=-1`): a new subscriber reads them from the beginning. The key is "
        "the office code, so all events of one Bapas keep their order in one partition.",
        "",
        "## Envelope",
        "",
        "The message value is a JSON object (UTF-8): the envelope below, with the event's "
        "payload in `payload`.",
        "",
        *_table(envelope_field_rows()),
        "",
        f"The Kafka headers repeat `{EVENT_TYPE_HEADER}`, `{SCHEMA_VERSION_HEADER}` and "
        f"`{EVENT_ID_HEADER}` (UTF-8 text), so a consumer can route or skip a message "
        "without parsing its value. Consumers ignore fields and event types they do not "
        "know: a newer producer may add an optional field or publish a new event type.",
        "",
        "Dates are ISO dates in the Bapas's own time zone (WIB UTC+7, WITA UTC+8, WIT "
        "UTC+9); timestamps are UTC. The examples are from Bapas Kelas II Balikpapan "
        "(WITA).",
        "",
    ]
    for source in Source:
        payloads = [p for p in PAYLOAD_TYPES if p.source is source]
        topic = TOPIC_OF_SERVICE[source.value]
        lines += [f"## {source.value} service: {_SERVICE_TITLES[source]}", ""]
        lines += [f"Published on `{topic}`.", ""]
        for payload in payloads:
            lines += _event_section(payload)
    lines += [
        "## Skill codes",
        "",
        "| code | name (Indonesian) | name (English) |",
        "|---|---|---|",
        *(f"| `{skill.code}` | {skill.name_id} | {skill.name_en} |" for skill in skills()),
        "",
    ]
    return "\n".join(lines)


def _event_section(payload: type[EventPayload]) -> list[str]:
    example = example_envelope(payload).model_dump(mode="json")
    return [
        f"### {payload.event_type} v{payload.schema_version}",
        "",
        inspect.cleandoc(payload.__doc__ or ""),
        "",
        f"Aggregate: `{payload.aggregate_type.value}` (its id is `{_aggregate_id_field(payload)}`)."
        f" JSON Schema: [{schema_file_name(payload)}](events/{schema_file_name(payload)}).",
        "",
        *_table(payload_field_rows(payload)),
        "",
        "Example:",
        "",
        "```json",
        json.dumps(example, indent=2, ensure_ascii=False),
        "```",
        "",
    ]
