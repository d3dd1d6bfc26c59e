"""A service's read models of its own events: the one statement each event makes on
them, and the tables they fill.

A command writes them with its events: the unit of work hands :attr:`update` to the
event store, which folds the statement into the one that appends the events, so the
read models change with the events or not at all, and a GET right after the 201
already shows the change. A rebuild empties :attr:`tables` and replays the service's
own event store through the same :attr:`update`, so what a command writes and what a
rebuild writes cannot differ.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from shared.events.envelope import Envelope, EventPayload
from shared.postgres.statements import Statement

ReadModelChange = Statement | tuple[Statement, ...]
"""One statement, or several on different tables that do not read each other's rows
(they may run as parts of one statement)."""

ReadModelUpdate = Callable[[Envelope[EventPayload]], ReadModelChange]
"""What a service's read models do with one of its events."""


def statements_of(change: ReadModelChange) -> tuple[Statement, ...]:
    return change if isinstance(change, tuple) else (change,)


@dataclass(frozen=True)
class OwnReadModels:
    """The read models a service keeps of its own events."""

    update: ReadModelUpdate
    tables: tuple[str, ...]
    """The tables :attr:`update` fills, and nothing else: a rebuild empties them."""
