"""The enrolment service's own projection of ``pokmas.events.v1``: the MoUs (state,
validity, scope) and programmes (capacity, dates, sessions, open or closed) that rules
2–4 are checked against, and the names of the Pokmas and the skill and title of each
programme that a training certificate shows. The service never asks the pokmas
service (the API contract).

The same ``apply`` also runs the reactions to an MoU that ends or is renewed
(:mod:`services.enrolment.reactions`), after the batch's projection changes and in
the same transaction, so they are exactly-once in effect with the projection.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from uuid import UUID

import asyncpg

from services.enrolment.domain import MoUStatus, ProgrammeStatus
from services.enrolment.reactions import MoUChange, react_to_mou_changes
from services.enrolment.read_models import OWN_READ_MODELS
from shared.events.envelope import Envelope, EventPayload
from shared.events.pokmas import (
    MoUExpired,
    MoURenewed,
    MoUSigned,
    MoUTerminated,
    PokmasRegistered,
    ProgrammeClosed,
    ProgrammeOpened,
)
from shared.eventstore.store import EventStore
from shared.kafka.topics import ENROLMENT_EVENTS, POKMAS_EVENTS
from shared.projections import Projection


class PokmasProjection:
    """Pokmas names, MoUs and programmes as the pokmas events describe them, and the MoU
    reactions, which record their events on the consumer's connection (the store needs
    no pool)."""

    name = "enrolment.pokmas"
    topics = (POKMAS_EVENTS,)

    def __init__(self) -> None:
        self._event_store = EventStore(None, topic=ENROLMENT_EVENTS, read_models=OWN_READ_MODELS)

    async def apply(
        self, connection: asyncpg.Connection, events: Sequence[Envelope[EventPayload]]
    ) -> None:
        changes: list[MoUChange] = []
        for event in events:
            change = await _apply_one(connection, event)
            if change is not None:
                changes.append(change)
        if changes:
            await react_to_mou_changes(connection, self._event_store, changes)

    async def reset(self, connection: asyncpg.Connection) -> None:
        await connection.execute("TRUNCATE pokmas_programmes, pokmas_mous, pokmas_partners")


async def _apply_one(
    connection: asyncpg.Connection, event: Envelope[EventPayload]
) -> MoUChange | None:
    """Apply one event; the MoU change it causes, if any."""
    match event.payload:
        case PokmasRegistered() as registered:
            await connection.execute(
                "INSERT INTO pokmas_partners (pokmas_id, bapas_code, name) VALUES ($1, $2, $3)"
                " ON CONFLICT (pokmas_id) DO NOTHING",
                registered.pokmas_id,
                event.bapas_code,
                registered.name,
            )
        case MoUSigned() as signed:
            await connection.execute(
                "INSERT INTO pokmas_mous"
                " (mou_id, pokmas_id, bapas_code, status, valid_from, valid_until, scope)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (mou_id) DO NOTHING",
                signed.mou_id,
                signed.pokmas_id,
                event.bapas_code,
                MoUStatus.ACTIVE.value,
                signed.valid_from,
                signed.valid_until,
                list(signed.scope),
            )
        case MoURenewed() as renewed:
            await _set_mou(connection, renewed.mou_id, MoUStatus.ACTIVE, renewed.valid_until)
            return MoUChange(event, renewed.mou_id, suspension_reason=None)
        case MoUTerminated() as terminated:
            await _set_mou(connection, terminated.mou_id, MoUStatus.TERMINATED)
            return MoUChange(
                event,
                terminated.mou_id,
                suspension_reason=(
                    f"the MoU was terminated from {terminated.effective_on}: {terminated.reason}"
                ),
            )
        case MoUExpired() as expired:
            await _set_mou(connection, expired.mou_id, MoUStatus.EXPIRED)
            return MoUChange(
                event, expired.mou_id, suspension_reason=f"the MoU expired on {expired.expired_on}"
            )
        case ProgrammeOpened() as opened:
            await connection.execute(
                "INSERT INTO pokmas_programmes (programme_id, pokmas_id, mou_id, bapas_code,"
                " skill, title, capacity, starts_on, ends_on, sessions_planned, status)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
                " ON CONFLICT (programme_id) DO NOTHING",
                opened.programme_id,
                opened.pokmas_id,
                opened.mou_id,
                event.bapas_code,
                opened.skill,
                opened.title,
                opened.capacity,
                opened.starts_on,
                opened.ends_on,
                opened.sessions_planned,
                ProgrammeStatus.OPEN.value,
            )
        case ProgrammeClosed() as closed:
            await connection.execute(
                "UPDATE pokmas_programmes SET status = $2 WHERE programme_id = $1",
                closed.programme_id,
                ProgrammeStatus.CLOSED.value,
            )
    return None


async def _set_mou(
    connection: asyncpg.Connection,
    mou_id: UUID,
    status: MoUStatus,
    valid_until: date | None = None,
) -> None:
    await connection.execute(
        "UPDATE pokmas_mous SET status = $2, valid_until = coalesce($3, valid_until)"
        " WHERE mou_id = $1",
        mou_id,
        status.value,
        valid_until,
    )


PROJECTIONS: Mapping[str, Projection] = {"pokmas": PokmasProjection()}
"""The service's projections by name, for ``bapas projection rebuild enrolment NAME``."""
