"""Reactions to other services' events, reacted to once: the causes already reacted to.

A service reacts to some events of other services by recording events of its own (the
enrolment service suspends enrolments when an MoU ends; the employment service ends a
placement when its klien leaves an office). It does so inside the projection batch that
applies the cause, so the reaction commits with the consumer's tracking; but a rebuild
of that projection replays every old cause. Each reacting service therefore keeps a
table of the causes it reacted to (one ``cause_event_id`` column, its primary key,
never emptied by a rebuild), and reacts only to causes new to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from shared.events.envelope import Envelope, EventPayload
from shared.postgres.pool import Connection


class Reaction(Protocol):
    """Something to do because of an event: ``cause``."""

    @property
    def cause(self) -> Envelope[EventPayload]: ...


R = TypeVar("R", bound=Reaction)


async def not_yet_reacted(connection: Connection, table: str, reactions: Sequence[R]) -> list[R]:
    """Record the causes of ``reactions`` in ``table`` (the service's own, named in its
    code); the reactions whose cause was not recorded before, in order."""
    recorded = await connection.fetch(
        f"INSERT INTO {table} (cause_event_id) SELECT unnest($1::uuid[])"
        " ON CONFLICT DO NOTHING RETURNING cause_event_id",
        [reaction.cause.event_id for reaction in reactions],
    )
    new = {row["cause_event_id"] for row in recorded}
    return [reaction for reaction in reactions if reaction.cause.event_id in new]
