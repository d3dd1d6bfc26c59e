"""The employment service's own projection of the enrolment and pokmas events: the klien
it may place and the trainings they completed.

A placement needs a klien under supervision at the employer's Bapas, and a vacancy's
candidates are the klien of its Bapas with a training in its skill assessed
``competent``. Klien and their trainings belong to the enrolment service, programmes
and their skills to the pokmas service; this service learns them from their topics
and never asks either service. It keeps only what those rules read: where a klien is
supervised, its register number and whether the supervision ended (ClientReleased,
SupervisionEnded), the office a transfer moves the klien to (ClientTransferredOut,
ClientTransferredIn), the completions (TrainingCompleted), and each programme's skill
(ProgrammeOpened). Never a name: the events carry none.

A klien transferred out belongs to the new office from the ClientTransferredOut on:
the old office's officers place the klien no more even before the ClientTransferredIn
is applied, and the new office's from then on. The consumer hands a klien's events in
order, across the transfer too.

The same ``apply`` runs the reactions to a klien leaving an office's supervision (a
revocation, a transfer out), which end the klien's open placement
(:mod:`services.employment.reactions`): after the batch's changes to the klien, in the
same transaction, so they are exactly-once in effect with the projection.

The two topics are read side by side, so a completion may arrive before its
programme's ProgrammeOpened; the skill is therefore joined when candidates are asked
for, not copied onto the completion.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from uuid import UUID

import asyncpg

from services.employment.domain import ClientStatus
from services.employment.reactions import Departure, departure_of, end_placements_of_departures
from services.employment.read_models import OWN_READ_MODELS
from shared.events.enrolment import (
    ClientReleased,
    ClientTransferredIn,
    ClientTransferredOut,
    SupervisionEnded,
    TrainingCompleted,
)
from shared.events.envelope import Envelope, EventPayload
from shared.events.pokmas import ProgrammeOpened
from shared.eventstore.store import EventStore
from shared.kafka.topics import EMPLOYMENT_EVENTS, ENROLMENT_EVENTS, POKMAS_EVENTS
from shared.projections import EventRejected, Projection
from shared.reference import is_known_bapas


class KlienProjection:
    """Projection ``employment.klien``: klien, their completions, programmes' skills; and
    the reactions that end a departing klien's placement, which record their events on
    the consumer's connection (the store needs no pool)."""

    name = "employment.klien"
    topics = (ENROLMENT_EVENTS, POKMAS_EVENTS)
    event_types = frozenset(
        {
            ClientReleased.event_type,
            SupervisionEnded.event_type,
            ClientTransferredOut.event_type,
            ClientTransferredIn.event_type,
            TrainingCompleted.event_type,
            ProgrammeOpened.event_type,
        }
    )
    """The only events it reads; the consumer skips the rest unparsed."""

    def __init__(self) -> None:
        self._event_store = EventStore(None, topic=EMPLOYMENT_EVENTS, read_models=OWN_READ_MODELS)

    async def apply(
        self, connection: asyncpg.Connection, events: Sequence[Envelope[EventPayload]]
    ) -> None:
        released: list[ClientReleased] = []
        ended: list[SupervisionEnded] = []
        completed: list[TrainingCompleted] = []
        opened: list[ProgrammeOpened] = []
        bapas_of: dict[UUID, str] = {}
        moved_to: dict[UUID, str] = {}  # the office of each klien moved, after the batch
        departures: list[Departure] = []
        for event in events:
            if not is_known_bapas(event.bapas_code):
                raise EventRejected(event, f"unknown bapas_code {event.bapas_code!r}")
            departure = departure_of(event)
            if departure is not None:
                departures.append(departure)
            match event.payload:
                case ClientReleased() as client:
                    released.append(client)
                    bapas_of[client.client_id] = event.bapas_code
                case SupervisionEnded() as end:
                    ended.append(end)
                case ClientTransferredOut() as out:
                    moved_to[out.client_id] = out.to_bapas_code
                case ClientTransferredIn() as transferred_in:
                    moved_to[transferred_in.client_id] = event.bapas_code
                case TrainingCompleted() as completion:
                    completed.append(completion)
                case ProgrammeOpened() as programme:
                    opened.append(programme)
        # One statement per kind of event, however many the batch holds. A klien's
        # events come in order, so the batch's releases are written before its moves and
        # the ends of supervision, and the reactions come last.
        if released:
            await connection.execute(
                "INSERT INTO clients (client_id, bapas_code, register_number, released_on,"
                " status) SELECT *, $5 FROM unnest($1::uuid[], $2::text[], $3::text[],"
                " $4::date[]) ON CONFLICT (client_id) DO NOTHING",
                [c.client_id for c in released],
                [bapas_of[c.client_id] for c in released],
                [c.register_number for c in released],
                [c.released_on for c in released],
                ClientStatus.UNDER_SUPERVISION.value,
            )
        if moved_to:
            await connection.execute(
                "UPDATE clients SET bapas_code = moved.bapas_code"
                " FROM unnest($1::uuid[], $2::text[]) AS moved (client_id, bapas_code)"
                " WHERE clients.client_id = moved.client_id",
                list(moved_to),
                list(moved_to.values()),
            )
        if ended:
            await connection.execute(
                "UPDATE clients SET status = $3, supervision_ended_on = ended.ended_on"
                " FROM unnest($1::uuid[], $2::date[]) AS ended (client_id, ended_on)"
                " WHERE clients.client_id = ended.client_id",
                [e.client_id for e in ended],
                [e.ended_on for e in ended],
                ClientStatus.SUPERVISION_ENDED.value,
            )
        if completed:
            await connection.execute(
                "INSERT INTO completions (enrolment_id, client_id, programme_id, assessment,"
                " completed_on) SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[],"
                " $4::text[], $5::date[]) ON CONFLICT (enrolment_id) DO NOTHING",
                [c.enrolment_id for c in completed],
                [c.client_id for c in completed],
                [c.programme_id for c in completed],
                [c.assessment.value for c in completed],
                [c.completed_on for c in completed],
            )
        if opened:
            await connection.execute(
                "INSERT INTO programme_skills (programme_id, skill)"
                " SELECT * FROM unnest($1::uuid[], $2::text[])"
                " ON CONFLICT (programme_id) DO NOTHING",
                [p.programme_id for p in opened],
                [p.skill for p in opened],
            )
        if departures:
            await end_placements_of_departures(connection, self._event_store, departures)

    async def reset(self, connection: asyncpg.Connection) -> None:
        await connection.execute("TRUNCATE clients, completions, programme_skills")


PROJECTIONS: Mapping[str, Projection] = {"klien": KlienProjection()}
"""The service's projections by name, for ``bapas projection rebuild employment NAME``."""
