"""Whether a changed event model still reads every event its published schema allowed.

Events are kept forever, and subscribers outside the platform read them, so a
published version of an event may only change in ways that keep old events valid and
keep the fields old readers rely on:

* allowed: a new optional field, a new enum value, a wider type, a looser constraint;
* breaking: a field removed or renamed, a new required field or an optional one made
  required, a type changed or narrowed (e.g. no longer nullable), an enum value
  removed, a constant changed, a tighter constraint (length, bounds, pattern, format).

The comparison works on the JSON Schema files of ``docs/events`` (those pydantic
generates: ``$ref`` into ``$defs``, ``anyOf`` for unions and optionals).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

JsonSchema = Mapping[str, Any]

_LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
_UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
_EXACT = ("pattern", "format")
_ABSENT = object()
_JSON_TYPES: tuple[tuple[type, str], ...] = (
    (bool, "boolean"),
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (type(None), "null"),
    (list, "array"),
    (dict, "object"),
)


def breaking_changes(published: JsonSchema, current: JsonSchema) -> list[str]:
    """What ``current`` no longer accepts of ``published``, one line per problem.

    An empty list means every event valid under ``published`` is valid under
    ``current`` and no field was taken away.
    """
    return _Comparison(published, current).compare(published, current, "")


class _Comparison:
    def __init__(self, published: JsonSchema, current: JsonSchema) -> None:
        self._published = published
        self._current = current

    def compare(self, old: JsonSchema, new: JsonSchema, path: str) -> list[str]:
        old_variants = _variants(self._published, old)
        new_variants = _variants(self._current, new)
        problems: list[str] = []
        for old_variant in old_variants:
            candidates = [
                new_variant
                for new_variant in new_variants
                if _accepts_type(new_variant, old_variant)
            ]
            if not candidates:
                problems.append(
                    f"{_where(path)}: type changed, {_type_name(old_variant)} is no longer accepted"
                )
                continue
            attempts: list[list[str]] = [
                self._compare_variant(old_variant, candidate, path) for candidate in candidates
            ]
            closest = min(attempts, key=len)
            problems.extend(closest)
        return problems

    def _compare_variant(self, old: JsonSchema, new: JsonSchema, path: str) -> list[str]:
        problems = _value_changes(old, new, path)
        if "properties" in old or "properties" in new:
            problems.extend(self._compare_objects(old, new, path))
        if "items" in old or "items" in new:
            problems.extend(self.compare(old.get("items", {}), new.get("items", {}), f"{path}[]"))
        return problems

    def _compare_objects(self, old: JsonSchema, new: JsonSchema, path: str) -> list[str]:
        old_fields: Mapping[str, JsonSchema] = old.get("properties", {})
        new_fields: Mapping[str, JsonSchema] = new.get("properties", {})
        old_required = set(old.get("required", ()))
        problems: list[str] = []
        for name, old_field in old_fields.items():
            field_path = f"{path}.{name}" if path else name
            if name not in new_fields:
                problems.append(f"{field_path}: field removed")
            else:
                problems.extend(self.compare(old_field, new_fields[name], field_path))
        for name in sorted(set(new.get("required", ())) - old_required):
            field_path = f"{path}.{name}" if path else name
            if name in old_fields:
                problems.append(f"{field_path}: optional field became required")
            else:
                problems.append(f"{field_path}: new required field without a default")
        return problems


def _value_changes(old: JsonSchema, new: JsonSchema, path: str) -> list[str]:
    where = _where(path)
    problems: list[str] = []
    if "const" in new and old.get("const", _ABSENT) != new["const"]:
        problems.append(f"{where}: value fixed to {new['const']!r}")
    if "enum" in new:
        old_values = old.get("enum", [old["const"]] if "const" in old else None)
        if old_values is None:
            problems.append(f"{where}: now restricted to the values {new['enum']!r}")
        else:
            removed = [value for value in old_values if value not in new["enum"]]
            if removed:
                problems.append(f"{where}: enum values removed: {removed!r}")
    for key in _LOWER_BOUNDS:
        if key in new and (key not in old or new[key] > old[key]):
            problems.append(f"{where}: {key} raised from {old.get(key)} to {new[key]}")
    for key in _UPPER_BOUNDS:
        if key in new and (key not in old or new[key] < old[key]):
            problems.append(f"{where}: {key} lowered from {old.get(key)} to {new[key]}")
    for key in _EXACT:
        if key in new and old.get(key) != new[key]:
            problems.append(f"{where}: {key} changed from {old.get(key)!r} to {new[key]!r}")
    if new.get("uniqueItems") and not old.get("uniqueItems"):
        problems.append(f"{where}: items must now be unique")
    return problems


def _where(path: str) -> str:
    return path or "(event)"


def _resolve(root: JsonSchema, node: JsonSchema) -> JsonSchema:
    """``node`` with its ``$ref`` (if any) replaced by the definition, siblings kept."""
    while "$ref" in node:
        reference: str = node["$ref"]
        target: Any = root
        for part in reference.removeprefix("#/").split("/"):
            target = target[part]
        node = {**target, **{key: value for key, value in node.items() if key != "$ref"}}
    return node


def _variants(root: JsonSchema, node: JsonSchema) -> list[JsonSchema]:
    """The alternatives a schema accepts: the members of ``anyOf``/``oneOf``, or itself."""
    node = _resolve(root, node)
    alternatives = node.get("anyOf") or node.get("oneOf")
    if alternatives is None:
        return [node]
    return [variant for member in alternatives for variant in _variants(root, member)]


def _types(node: JsonSchema) -> frozenset[str] | None:
    """The JSON types a schema accepts; ``None`` for any type."""
    declared = node.get("type")
    if isinstance(declared, str):
        return frozenset({declared})
    if isinstance(declared, list):
        return frozenset(declared)
    values = [node["const"]] if "const" in node else node.get("enum")
    if values is None:
        return None
    return frozenset(_json_type(value) for value in values)


def _json_type(value: object) -> str:
    return next(name for kind, name in _JSON_TYPES if isinstance(value, kind))


def _accepts_type(new: JsonSchema, old: JsonSchema) -> bool:
    new_types, old_types = _types(new), _types(old)
    if new_types is None:
        return True
    if old_types is None:
        return False
    if "number" in new_types:
        new_types |= {"integer"}
    return old_types <= new_types


def _type_name(node: JsonSchema) -> str:
    types = _types(node)
    return "any value" if types is None else " or ".join(sorted(types))
