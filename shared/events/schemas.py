"""The JSON Schema files of the events, generated from the models the services use.

Subscribers outside the platform read these files (``docs/events/<Type>.v<N>.json``,
one per published event version: the whole envelope with its typed payload); the
compatibility test compares the models with the committed files. The files are
written by ``bapas contracts export``.

The schemas describe what a reader accepts (pydantic's validation mode). They leave
out ``additionalProperties: false``: readers ignore fields they do not know, so an
event from a newer producer with an extra optional field is still valid.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

from shared.events.envelope import EventPayload, envelope_type
from shared.events.registry import PAYLOAD_TYPES

SCHEMA_DIRECTORY = Path(__file__).resolve().parents[2] / "docs" / "events"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schema_file_name(payload: type[EventPayload]) -> str:
    return f"{payload.event_type}.v{payload.schema_version}.json"


def event_schema(payload: type[EventPayload]) -> dict[str, Any]:
    """The JSON Schema of one event version: its envelope with the typed payload."""
    schema: dict[str, Any] = _without_closed_objects(envelope_type(payload).model_json_schema())
    fixed = {
        "event_type": payload.event_type,
        "schema_version": payload.schema_version,
        "source": payload.source.value,
        "aggregate_type": payload.aggregate_type.value,
    }
    for field, value in fixed.items():
        schema["properties"][field]["const"] = value
    schema["$schema"] = JSON_SCHEMA_DIALECT
    schema["title"] = f"{payload.event_type} v{payload.schema_version}"
    schema["description"] = inspect.cleandoc(payload.__doc__ or "")
    return schema


def event_schemas() -> dict[str, dict[str, Any]]:
    """Every registered event version's schema, by file name."""
    return {schema_file_name(payload): event_schema(payload) for payload in PAYLOAD_TYPES}


def render_schema(schema: dict[str, Any]) -> str:
    """The file content: pretty, sorted keys, UTF-8 text, a trailing newline."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def export_schemas(directory: Path = SCHEMA_DIRECTORY) -> list[Path]:
    """Write every event's schema file into ``directory``; returns the paths written.

    Files of versions no longer registered are left alone: a published version stays
    published, and the compatibility test reports it as removed.
    """
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in event_schemas().items():
        path = directory / name
        path.write_text(render_schema(schema), encoding="utf-8")
        written.append(path)
    return written


def _without_closed_objects(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: _without_closed_objects(value)
            for key, value in node.items()
            if not (key == "additionalProperties" and value is False)
        }
    if isinstance(node, list):
        return [_without_closed_objects(item) for item in node]
    return node
