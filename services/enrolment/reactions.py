"""What the enrolment service does when an MoU ends or is renewed.

MoUTerminated and MoUExpired suspend every enrolment still ``enrolled`` in the MoU's
programmes (EnrolmentSuspended); MoURenewed resumes those it suspended
(EnrolmentResumed). It runs inside the pokmas projection's ``apply``, on the
consumer's connection and in its batch transaction, and records the events with the
event store on that connection: the consumer's tracking commits with them, so each
cause is reacted to once however often it is delivered. The aggregates refuse to
suspend twice or to resume what another MoU suspended, and ``mou_reactions`` keeps a
rebuild of the projection (which replays old causes) from reacting again.

Every lock is taken before the first save (the programmes, then the enrolments, in
id order), as the commands do: see :mod:`services.enrolment.records`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from services.enrolment.domain import REACHED_BY_MOU_CHANGES, Enrolment
from shared.events.envelope import Actor, Envelope, EventPayload
from shared.eventstore.reactions import not_yet_reacted
from shared.eventstore.store import CommandContext, EventStore
from shared.eventstore.unit_of_work import unit_of_work_within
from shared.postgres.pool import Connection

REACTING_ACTOR = Actor(role="service", sub="enrolment")
REASON_MAX_LENGTH = 2000


@dataclass(frozen=True)
class MoUChange:
    """An MoU event that changes the enrolments of the MoU's programmes."""

    cause: Envelope[EventPayload]
    mou_id: UUID
    suspension_reason: str | None
    """Why the enrolments are suspended; ``None`` when the MoU was renewed."""

    def act_on(self, enrolment: Enrolment) -> None:
        if self.suspension_reason is None:
            enrolment.resume(mou_id=self.mou_id)
        else:
            enrolment.suspend(mou_id=self.mou_id, reason=self.suspension_reason[:REASON_MAX_LENGTH])


async def react_to_mou_changes(
    connection: Connection, store: EventStore, changes: Sequence[MoUChange]
) -> None:
    """Suspend or resume the enrolments concerned, cause by cause, in order."""
    fresh = await not_yet_reacted(connection, "mou_reactions", changes)
    if not fresh:
        return
    mou_ids = sorted({change.mou_id for change in fresh})
    # New enrolments wait for these locks, so none slips in unsuspended.
    await connection.execute(
        "SELECT programme_id FROM pokmas_programmes WHERE mou_id = ANY($1::uuid[])"
        " ORDER BY programme_id FOR UPDATE",
        mou_ids,
    )
    rows = await connection.fetch(
        "SELECT enrolment_id, mou_id FROM enrolments"
        " WHERE mou_id = ANY($1::uuid[]) AND status = ANY($2::text[])"
        " ORDER BY enrolment_id FOR UPDATE",
        mou_ids,
        list(REACHED_BY_MOU_CHANGES),
    )
    enrolments_of: dict[UUID, list[UUID]] = defaultdict(list)
    for row in rows:
        enrolments_of[row["mou_id"]].append(row["enrolment_id"])
    loaded: dict[UUID, Enrolment] = {}
    for change in fresh:
        work = unit_of_work_within(
            store,
            connection,
            CommandContext(
                actor=REACTING_ACTOR,
                correlation_id=change.cause.correlation_id,
                causation_id=change.cause.event_id,
            ),
        )
        for enrolment_id in enrolments_of[change.mou_id]:
            enrolment = loaded.get(enrolment_id)
            if enrolment is None:
                enrolment = await work.load(Enrolment, enrolment_id)
                loaded[enrolment_id] = enrolment
            change.act_on(enrolment)
            if enrolment.pending_events:
                await work.save(enrolment)
