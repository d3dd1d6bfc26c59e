"""What a projection is: a named read model fed by the events of some topics.

A projection only knows how to fold a batch of events into its tables and how to
empty them. Everything that makes it exactly-once in effect (offsets and aggregate
versions tracked in the same transaction, dead letters, rebalances, rebuilds) lives
in :mod:`shared.projections.consumer`, so a service writes a projection as plain SQL
against one connection and gets those guarantees for free.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Protocol

import asyncpg

from shared.events.envelope import Envelope, EventPayload


class Projection(Protocol):
    """A read model built from events.

    ``name`` identifies the projection in the tracking tables and the metrics: two
    processes with the same name are two instances of one projection and share its
    position. It must not change once the projection has been deployed.

    A projection may also declare ``event_types``, the names of the event types its
    ``apply`` reads (see :func:`handled_event_types`); the consumer then skips the
    others without parsing them.
    """

    @property
    def name(self) -> str:
        """Stable identifier, e.g. ``"programme_capacity"``."""
        ...

    @property
    def topics(self) -> tuple[str, ...]:
        """The topics whose events feed the projection."""
        ...

    async def apply(
        self, connection: asyncpg.Connection, events: Sequence[Envelope[EventPayload]]
    ) -> None:
        """Fold ``events`` into the projection's tables.

        Runs inside the consumer's transaction: do not commit, do not open another
        connection. The events are new to the projection (redeliveries and duplicates
        are already removed) and in the order of their partition; events of one
        aggregate are in version order, and so are a klien's events across a transfer
        between offices (the consumer holds back those read before the transfer out is applied).
        Write few, large statements: fold the events of one row into one write (the
        quality bars, B1). Raise :class:`EventRejected` for an event that can never be
        applied; it goes to the dead letters and the rest of the batch is applied
        without it.
        """
        ...

    async def reset(self, connection: asyncpg.Connection) -> None:
        """Empty the projection's tables, before a rebuild replays every event."""
        ...


def handled_event_types(projection: Projection) -> frozenset[str] | None:
    """The event types ``projection`` declares in ``event_types``, or ``None``: all of them.

    A projection that reads few of its topics' events should declare them: the consumer
    then records the offsets of the others without parsing their bodies (it reads the
    type from the Kafka headers). The seats of a programme, for instance, need one
    enrolment event in nine; parsing the others cost most of the consumer's time.
    Events of other types are then not validated either, so a malformed one is skipped
    rather than dead-lettered: it is another projection's business. The consumer still
    reads ClientTransferredOut and ClientTransferredIn, which keep each klien's events
    in order, and hands them to ``apply`` only if they are declared.
    """
    declared: Collection[str] | None = getattr(projection, "event_types", None)
    return None if declared is None else frozenset(declared)


class EventRejected(Exception):
    """Raised by :meth:`Projection.apply`: this event can never be applied.

    The consumer rolls back to before the batch, applies the batch's events one at a
    time, sends each rejected one to the dead letters and goes on.
    """

    def __init__(self, event: Envelope[EventPayload], reason: str) -> None:
        super().__init__(f"{event.event_type} {event.event_id}: {reason}")
        self.event = event
        self.reason = reason
