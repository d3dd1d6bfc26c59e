"""A SQL statement with its arguments, so that code deciding *what* to write can hand it
to code deciding *how* (the event store folds a read model's statement into the one
that appends the events: one round trip for a command)."""

from __future__ import annotations

import re

_PARAMETER = re.compile(r"\$(\d+)")


class Statement:
    """``Statement("UPDATE … WHERE id = $1", some_id)``: parameters as asyncpg takes them."""

    __slots__ = ("args", "sql")

    def __init__(self, sql: str, *args: object) -> None:
        self.sql = sql
        self.args = args

    def shifted(self, by: int) -> str:
        """The SQL with its parameters renumbered to follow ``by`` others."""
        return _PARAMETER.sub(lambda match: f"${int(match.group(1)) + by}", self.sql)
