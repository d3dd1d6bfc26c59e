"""Keeps the Pokmas, MoU and programme tables in step with the service's own events.

Commands hand :func:`read_model_update` to the event store, which writes each event's
statement with the events (in the same statement when there is one event), so the
read model changes with them or not at all, and a GET right after a command's 201
already shows the change. Each event type maps to one statement here, and nowhere
else.
"""

from __future__ import annotations

from services.pokmas.domain import MoUStatus, ProgrammeStatus
from shared.events.envelope import Envelope, EventPayload
from shared.events.pokmas import (
    MoUExpired,
    MoURenewed,
    MoUSigned,
    MoUTerminated,
    PokmasContactChanged,
    PokmasRegistered,
    ProgrammeClosed,
    ProgrammeOpened,
)
from shared.eventstore.read_models import OwnReadModels
from shared.postgres.statements import Statement


def read_model_update(event: Envelope[EventPayload]) -> Statement:
    """The statement that brings the Pokmas, MoU or programme table up to ``event``."""
    version = event.aggregate_version
    match event.payload:
        case PokmasRegistered() as registered:
            return Statement(
                "INSERT INTO pokmas (pokmas_id, bapas_code, name, kind, registration_number,"
                " contact_name, contact_phone, contact_email, address, skills, version)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                registered.pokmas_id,
                event.bapas_code,
                registered.name,
                registered.kind.value,
                registered.registration_number,
                registered.contact.name,
                registered.contact.phone,
                registered.contact.email,
                registered.address,
                list(registered.skills),
                version,
            )
        case PokmasContactChanged(pokmas_id=pokmas_id, contact=contact):
            return Statement(
                "UPDATE pokmas SET contact_name = $2, contact_phone = $3, contact_email = $4,"
                " version = $5 WHERE pokmas_id = $1",
                pokmas_id,
                contact.name,
                contact.phone,
                contact.email,
                version,
            )
        case MoUSigned() as signed:
            return Statement(
                "INSERT INTO mous (mou_id, bapas_code, pokmas_id, number, signed_on, valid_from,"
                " valid_until, scope, status, version)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                signed.mou_id,
                event.bapas_code,
                signed.pokmas_id,
                signed.number,
                signed.signed_on,
                signed.valid_from,
                signed.valid_until,
                list(signed.scope),
                MoUStatus.ACTIVE.value,
                version,
            )
        case MoURenewed(mou_id=mou_id, valid_until=valid_until, renewed_on=renewed_on):
            return Statement(
                "UPDATE mous SET valid_until = $2, renewed_on = $3, version = $4, status = $5,"
                " terminated_on = NULL, termination_reason = NULL, expired_on = NULL"
                " WHERE mou_id = $1",
                mou_id,
                valid_until,
                renewed_on,
                version,
                MoUStatus.ACTIVE.value,
            )
        case MoUTerminated(mou_id=mou_id, effective_on=effective_on, reason=reason):
            return Statement(
                "UPDATE mous SET status = $2, terminated_on = $3, termination_reason = $4,"
                " version = $5 WHERE mou_id = $1",
                mou_id,
                MoUStatus.TERMINATED.value,
                effective_on,
                reason,
                version,
            )
        case MoUExpired(mou_id=mou_id, expired_on=expired_on):
            return Statement(
                "UPDATE mous SET status = $2, expired_on = $3, version = $4 WHERE mou_id = $1",
                mou_id,
                MoUStatus.EXPIRED.value,
                expired_on,
                version,
            )
        case ProgrammeOpened() as opened:
            return Statement(
                "INSERT INTO programmes (programme_id, bapas_code, pokmas_id, mou_id, skill,"
                " title, capacity, starts_on, ends_on, sessions_planned, location, status,"
                " version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                opened.programme_id,
                event.bapas_code,
                opened.pokmas_id,
                opened.mou_id,
                opened.skill,
                opened.title,
                opened.capacity,
                opened.starts_on,
                opened.ends_on,
                opened.sessions_planned,
                opened.location,
                ProgrammeStatus.OPEN.value,
                version,
            )
        case ProgrammeClosed(programme_id=programme_id, closed_on=closed_on, reason=reason):
            return Statement(
                "UPDATE programmes SET status = $2, closed_on = $3, closure_reason = $4,"
                " version = $5 WHERE programme_id = $1",
                programme_id,
                ProgrammeStatus.CLOSED.value,
                closed_on,
                reason,
                version,
            )
        case _:
            raise TypeError(f"the pokmas read models do not know {event.event_type}")


OWN_READ_MODELS = OwnReadModels(update=read_model_update, tables=("pokmas", "mous", "programmes"))
