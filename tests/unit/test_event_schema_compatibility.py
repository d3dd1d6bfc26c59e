"""Published event versions never break: the models against ``docs/events``.

The committed JSON Schema files are the published contract. A model may change only
compatibly with its file (see :mod:`shared.events.compatibility`), and the files must
be what the models generate, so the documentation is never stale.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shared.events.compatibility import breaking_changes
from shared.events.schemas import SCHEMA_DIRECTORY, event_schemas, render_schema

EXPORT_COMMAND = "uv run bapas contracts export"
PUBLISHED_FILES = sorted(SCHEMA_DIRECTORY.glob("*.json"))
GENERATED = event_schemas()


def how_to_publish_a_new_version(file_name: str) -> str:
    event_type, version, _ = file_name.rsplit(".", 2)
    next_version = int(version.removeprefix("v")) + 1
    return (
        f"A published event version never changes incompatibly: restore the {event_type} "
        f"{version} model as it was, and publish the change as a new version instead. Add "
        f"a payload model (e.g. {event_type}V{next_version}) with the same event_type and "
        f"schema_version = {next_version}, register it in PAYLOAD_TYPES "
        f"(shared/events/registry.py) beside {version}, and regenerate the schemas with "
        f"`{EXPORT_COMMAND}`."
    )


def published(path: Path) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema


def test_event_schemas_are_published() -> None:
    assert PUBLISHED_FILES, f"no schemas in {SCHEMA_DIRECTORY}; run `{EXPORT_COMMAND}`"


@pytest.mark.parametrize("path", PUBLISHED_FILES, ids=lambda path: path.name)
def test_published_event_version_is_still_registered(path: Path) -> None:
    assert path.name in GENERATED, (
        f"{path.name} is published but no model is registered for it any more. "
        + how_to_publish_a_new_version(path.name)
    )


@pytest.mark.parametrize(
    "path",
    # A published version no model reads any more fails the test above.
    [path for path in PUBLISHED_FILES if path.name in GENERATED],
    ids=lambda path: path.name,
)
def test_model_still_reads_every_event_of_its_published_schema(path: Path) -> None:
    problems = breaking_changes(published(path), GENERATED[path.name])

    assert not problems, (
        f"the model of {path.name} changed incompatibly with the published schema:\n"
        + "".join(f"  - {problem}\n" for problem in problems)
        + how_to_publish_a_new_version(path.name)
    )


@pytest.mark.parametrize("file_name", sorted(GENERATED))
def test_committed_schema_is_what_the_model_generates(file_name: str) -> None:
    path = SCHEMA_DIRECTORY / file_name
    stale = (
        f"docs/events/{file_name} is not what the model generates; if the change is "
        f"compatible, run `{EXPORT_COMMAND}` and commit the result"
    )

    assert path.exists(), stale
    assert path.read_text(encoding="utf-8") == render_schema(GENERATED[file_name]), stale


# The checker itself, on small schemas shaped like pydantic's.


def event_with(payload_fields: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "$defs": {
            "Payload": {"type": "object", "properties": payload_fields, "required": required}
        },
        "type": "object",
        "properties": {
            "event_type": {"const": "Sample", "type": "string"},
            "payload": {"$ref": "#/$defs/Payload"},
        },
        "required": ["event_type", "payload"],
    }


TEXT = {"type": "string", "maxLength": 200, "minLength": 1}
COUNT = {"type": "integer", "minimum": 1}
OPTIONAL_TEXT = {"anyOf": [TEXT, {"type": "null"}], "default": None}
STATUS = {"type": "string", "enum": ["present", "late", "absent"]}
BASE = event_with({"title": TEXT, "capacity": COUNT, "note": OPTIONAL_TEXT}, ["title", "capacity"])


def test_unchanged_schema_has_no_breaking_change() -> None:
    assert breaking_changes(BASE, BASE) == []


def test_added_optional_field_is_compatible() -> None:
    current = event_with(
        {"title": TEXT, "capacity": COUNT, "note": OPTIONAL_TEXT, "room": OPTIONAL_TEXT},
        ["title", "capacity"],
    )

    assert breaking_changes(BASE, current) == []


def test_removed_field_breaks() -> None:
    current = event_with({"title": TEXT, "note": OPTIONAL_TEXT}, ["title"])

    assert breaking_changes(BASE, current) == ["payload.capacity: field removed"]


def test_removed_optional_field_breaks() -> None:
    current = event_with({"title": TEXT, "capacity": COUNT}, ["title", "capacity"])

    assert breaking_changes(BASE, current) == ["payload.note: field removed"]


def test_renamed_field_breaks() -> None:
    current = event_with(
        {"name": TEXT, "capacity": COUNT, "note": OPTIONAL_TEXT}, ["name", "capacity"]
    )

    assert breaking_changes(BASE, current) == [
        "payload.title: field removed",
        "payload.name: new required field without a default",
    ]


def test_new_required_field_breaks() -> None:
    current = event_with(
        {"title": TEXT, "capacity": COUNT, "note": OPTIONAL_TEXT, "room": TEXT},
        ["title", "capacity", "room"],
    )

    assert breaking_changes(BASE, current) == ["payload.room: new required field without a default"]


def test_optional_field_made_required_breaks() -> None:
    current = event_with(
        {"title": TEXT, "capacity": COUNT, "note": OPTIONAL_TEXT}, ["title", "capacity", "note"]
    )

    assert breaking_changes(BASE, current) == ["payload.note: optional field became required"]


def test_changed_type_breaks() -> None:
    current = event_with(
        {"title": TEXT, "capacity": TEXT, "note": OPTIONAL_TEXT}, ["title", "capacity"]
    )

    assert breaking_changes(BASE, current) == [
        "payload.capacity: type changed, integer is no longer accepted"
    ]


def test_field_no_longer_nullable_breaks() -> None:
    current = event_with({"title": TEXT, "capacity": COUNT, "note": TEXT}, ["title", "capacity"])

    assert breaking_changes(BASE, current) == [
        "payload.note: type changed, null is no longer accepted"
    ]


def test_field_made_nullable_is_compatible() -> None:
    current = event_with(
        {"title": OPTIONAL_TEXT, "capacity": COUNT, "note": OPTIONAL_TEXT}, ["title", "capacity"]
    )

    assert breaking_changes(BASE, current) == []


def test_tighter_maximum_length_breaks() -> None:
    current = event_with(
        {"title": TEXT | {"maxLength": 100}, "capacity": COUNT, "note": OPTIONAL_TEXT},
        ["title", "capacity"],
    )

    assert breaking_changes(BASE, current) == ["payload.title: maxLength lowered from 200 to 100"]


def test_raised_minimum_breaks() -> None:
    current = event_with(
        {"title": TEXT, "capacity": COUNT | {"minimum": 2}, "note": OPTIONAL_TEXT},
        ["title", "capacity"],
    )

    assert breaking_changes(BASE, current) == ["payload.capacity: minimum raised from 1 to 2"]


def test_looser_constraint_is_compatible() -> None:
    current = event_with(
        {
            "title": TEXT | {"maxLength": 500},
            "capacity": {"type": "integer"},
            "note": OPTIONAL_TEXT,
        },
        ["title", "capacity"],
    )

    assert breaking_changes(BASE, current) == []


def test_added_pattern_breaks() -> None:
    current = event_with(
        {"title": TEXT | {"pattern": "^[A-Z]"}, "capacity": COUNT, "note": OPTIONAL_TEXT},
        ["title", "capacity"],
    )

    assert breaking_changes(BASE, current) == [
        "payload.title: pattern changed from None to '^[A-Z]'"
    ]


def test_removed_enum_value_breaks() -> None:
    published_schema = event_with({"status": STATUS}, ["status"])
    current = event_with({"status": STATUS | {"enum": ["present", "absent"]}}, ["status"])

    assert breaking_changes(published_schema, current) == [
        "payload.status: enum values removed: ['late']"
    ]


def test_added_enum_value_is_compatible() -> None:
    published_schema = event_with({"status": STATUS}, ["status"])
    current = event_with(
        {"status": STATUS | {"enum": ["present", "late", "absent", "excused"]}}, ["status"]
    )

    assert breaking_changes(published_schema, current) == []


def test_changed_event_type_constant_breaks() -> None:
    current = BASE | {
        "properties": BASE["properties"] | {"event_type": {"const": "Other", "type": "string"}}
    }

    assert breaking_changes(BASE, current) == ["event_type: value fixed to 'Other'"]


def test_changed_type_of_list_items_breaks() -> None:
    published_schema = event_with({"skills": {"type": "array", "items": TEXT}}, ["skills"])
    current = event_with({"skills": {"type": "array", "items": COUNT}}, ["skills"])

    assert breaking_changes(published_schema, current) == [
        "payload.skills[]: type changed, string is no longer accepted"
    ]
