"""What every request body goes through before its model reads it: texts without
control characters, trimmed and not blank, and no nesting deeper than a body needs.

One walk over the parsed JSON, with a stack of its own rather than recursion, so that a
body nested a thousand levels deep is refused with a 422 instead of exhausting Python's
stack. A NUL is worse than odd: PostgreSQL refuses it in a text, so a NUL let through
turns into a 500 at the database. Dates get their own plausible ranges here too
(:data:`PlausibleDate`, :data:`SupervisionEndDate`): a release in year 1 or a
supervision until 9999 is a typing mistake, not a fact.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator

MAX_DEPTH = 32
"""No body of the platform nests deeper than a few levels; 32 leaves room."""

FIRST_PLAUSIBLE_DAY = date(2000, 1, 1)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
"""Control characters: C0 but tab, newline and carriage return; DEL; C1."""


class TextRefused(Exception):
    """A body's text (or its shape) that no command accepts; ``field`` says where."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def clean_texts(body: Any) -> Any:
    """``body`` with every text trimmed; :class:`TextRefused` for a control character, a
    blank text or nesting deeper than :data:`MAX_DEPTH`. Keys are checked like texts."""
    root: list[Any] = [body]
    stack: list[tuple[list[Any] | dict[str, Any], Any, str, int]] = [(root, 0, "body", 0)]
    while stack:
        parent, key, where, depth = stack.pop()
        value = parent[key]
        if isinstance(value, str):
            parent[key] = _clean(value, where)
        elif isinstance(value, dict | list):
            if depth >= MAX_DEPTH:
                raise TextRefused(where, f"is nested deeper than {MAX_DEPTH} levels")
            if isinstance(value, dict):
                copy: dict[str, Any] = {}
                for name, item in value.items():
                    if _CONTROL.search(name):
                        raise TextRefused(where, "has a field name with a control character")
                    copy[name] = item
                    stack.append((copy, name, f"{where}.{name}", depth + 1))
            else:
                copy_list = list(value)
                stack.extend(
                    (copy_list, index, f"{where}.{index}", depth + 1)
                    for index in range(len(copy_list))
                )
            parent[key] = copy if isinstance(value, dict) else copy_list
    return root[0]


def _clean(text: str, where: str) -> str:
    if _CONTROL.search(text):
        raise TextRefused(where, "must not contain control characters (such as NUL)")
    trimmed = text.strip()
    if not trimmed:
        raise TextRefused(where, "must not be blank")
    return trimmed


def _plausible(day: date) -> date:
    last = datetime.now(UTC).date() + timedelta(days=366)
    if not FIRST_PLAUSIBLE_DAY <= day <= last:
        raise ValueError(f"must lie between {FIRST_PLAUSIBLE_DAY} and a year from today")
    return day


def _within_twenty_years(day: date) -> date:
    last = datetime.now(UTC).date() + timedelta(days=20 * 365 + 5)
    if not FIRST_PLAUSIBLE_DAY <= day <= last:
        raise ValueError(f"must lie between {FIRST_PLAUSIBLE_DAY} and twenty years from today")
    return day


PlausibleDate = Annotated[date, AfterValidator(_plausible)]
"""A release, an enrolment, a session, an outcome: since 2000, and not over a year ahead."""

SupervisionEndDate = Annotated[date, AfterValidator(_within_twenty_years)]
"""The end of a klien's supervision: no more than twenty years ahead."""
