"""What the employment service does when a klien leaves an office's supervision.

A supervision revoked (SupervisionEnded, outcome ``revoked``) ends the klien's open
placement (PlacementEnded, reason ``revoked``, on the day the supervision ended); a
klien transferred to another Bapas (ClientTransferredOut) ends an open placement at the
office left (reason ``moved``, on the day of the transfer). No officer is asked: the
placement's events name the service as their actor and the enrolment event as their
cause.

It runs inside the klien projection's ``apply``, after the batch's changes to the klien
and in the same transaction, on the consumer's connection, and records the events with
the event store on that connection: the consumer's tracking commits with them, so each
cause is reacted to once however often it is delivered. ``placement_reactions`` keeps
every cause reacted to, whether it found a placement or not, so that a rebuild of the
projection (which replays old causes) ends no placement made since.

Locks: the projection's updates of the klien rows come first, so a placement command,
which locks its klien's row (:mod:`services.employment.records`), either committed
before the reaction looks or waits and then finds the klien gone. The open placements
are locked before they are loaded, in id order, so an officer ending or checking one
meanwhile finds it changed (409) rather than ending it a second time; should both have
begun writing, PostgreSQL undoes one of them as a deadlock, and a batch undone so is
retried by the consumer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from services.employment.domain import Placement, PlacementStatus
from shared.events.employment import PlacementEndReason
from shared.events.enrolment import ClientTransferredOut, SupervisionEnded, SupervisionOutcome
from shared.events.envelope import Actor, Envelope, EventPayload
from shared.eventstore.reactions import not_yet_reacted
from shared.eventstore.store import CommandContext, EventStore
from shared.eventstore.unit_of_work import unit_of_work_within
from shared.postgres.pool import Connection

REACTING_ACTOR = Actor(role="service", sub="employment")


@dataclass(frozen=True)
class Departure:
    """An enrolment event by which a klien leaves an office's supervision."""

    cause: Envelope[EventPayload]
    client_id: UUID
    left_on: date
    reason: PlacementEndReason
    office: str | None
    """Only a placement at this Bapas ends; ``None``: the klien's placement wherever."""

    def ends(self, placement_office: str) -> bool:
        return self.office is None or self.office == placement_office


def departure_of(event: Envelope[EventPayload]) -> Departure | None:
    """The departure ``event`` is, if it is one: a revocation or a transfer out."""
    match event.payload:
        case SupervisionEnded(outcome=SupervisionOutcome.REVOKED) as revoked:
            return Departure(
                cause=event,
                client_id=revoked.client_id,
                left_on=revoked.ended_on,
                reason=PlacementEndReason.REVOKED,
                office=None,
            )
        case ClientTransferredOut() as moved:
            return Departure(
                cause=event,
                client_id=moved.client_id,
                left_on=moved.transferred_on,
                reason=PlacementEndReason.MOVED,
                office=event.bapas_code,
            )
    return None


@dataclass(frozen=True)
class _OpenPlacement:
    placement_id: UUID
    bapas_code: str


async def end_placements_of_departures(
    connection: Connection, store: EventStore, departures: Sequence[Departure]
) -> None:
    """End the open placement each departure reaches, cause by cause, in order."""
    fresh = await not_yet_reacted(connection, "placement_reactions", departures)
    if not fresh:
        return
    rows = await connection.fetch(
        "SELECT placement_id, client_id, bapas_code FROM placements"
        " WHERE client_id = ANY($1::uuid[]) AND status = $2"
        " ORDER BY placement_id FOR UPDATE",
        sorted({departure.client_id for departure in fresh}),
        PlacementStatus.ACTIVE.value,
    )
    # One open placement per klien (the placements' unique index).
    open_placement = {
        row["client_id"]: _OpenPlacement(row["placement_id"], row["bapas_code"]) for row in rows
    }
    for departure in fresh:
        found = open_placement.get(departure.client_id)
        if found is None or not departure.ends(found.bapas_code):
            continue
        del open_placement[departure.client_id]
        work = unit_of_work_within(
            store,
            connection,
            CommandContext(
                actor=REACTING_ACTOR,
                correlation_id=departure.cause.correlation_id,
                causation_id=departure.cause.event_id,
            ),
        )
        placement = await work.load(Placement, found.placement_id)
        placement.end_as_the_klien_leaves(left_on=departure.left_on, reason=departure.reason)
        await work.save(placement)
