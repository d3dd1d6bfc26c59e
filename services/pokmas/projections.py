"""The seats taken in each programme, learnt from the enrolment service's events.

A programme's detail shows ``enrolled`` beside its ``capacity``. Enrolments belong to
the enrolment service, so this service counts them from ``enrolment.events.v1`` as
domain rule 2 does: every enrolment that is not withdrawn takes a seat (ClientEnrolled
+1, TrainingWithdrawn −1; suspension and completion keep the seat).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from uuid import UUID

import asyncpg

from shared.events.enrolment import ClientEnrolled, TrainingWithdrawn
from shared.events.envelope import Envelope, EventPayload
from shared.kafka.topics import ENROLMENT_EVENTS
from shared.projections import Projection


class ProgrammeSeats:
    """Projection ``pokmas.programme_seats``: one row of seats taken per programme."""

    name = "pokmas.programme_seats"
    topics = (ENROLMENT_EVENTS,)
    event_types = frozenset({ClientEnrolled.event_type, TrainingWithdrawn.event_type})
    """The only events that move a seat; the consumer skips the rest unparsed (B1)."""

    async def apply(
        self, connection: asyncpg.Connection, events: Sequence[Envelope[EventPayload]]
    ) -> None:
        change: Counter[UUID] = Counter()
        for event in events:
            match event.payload:
                case ClientEnrolled(programme_id=programme_id):
                    change[programme_id] += 1
                case TrainingWithdrawn(programme_id=programme_id):
                    change[programme_id] -= 1
        if not change:
            return
        # One statement per batch, however many events it folds (the quality bars, B1).
        await connection.execute(
            "INSERT INTO programme_seats (programme_id, enrolled)"
            " SELECT * FROM unnest($1::uuid[], $2::int[])"
            " ON CONFLICT (programme_id)"
            " DO UPDATE SET enrolled = programme_seats.enrolled + EXCLUDED.enrolled",
            list(change),
            list(change.values()),
        )

    async def reset(self, connection: asyncpg.Connection) -> None:
        await connection.execute("TRUNCATE programme_seats")


PROJECTIONS: Mapping[str, Projection] = {"programme_seats": ProgrammeSeats()}
"""The service's projections by name, for ``bapas projection rebuild pokmas NAME``."""
