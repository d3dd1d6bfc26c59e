"""What every command endpoint shares: the caller's context for the envelope, and the
``201`` answer with ``{"id", "version", "event_id"}`` and a ``Location`` header (the
API contract). Commands refuse with the application's refusals,
which :mod:`shared.http.refusals` answers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Header, Request, Response
from pydantic import BaseModel

from shared.events.envelope import Actor, Envelope, EventPayload
from shared.eventstore.store import CommandContext
from shared.http.auth import current_principal
from shared.http.request_log import CORRELATION_HEADER, request_correlation_id
from shared.scope import Principal


class CommandAccepted(BaseModel):
    """The answer to a command: the entity, its new version, the event recorded last."""

    id: UUID
    version: int
    event_id: UUID


async def command_context(
    request: Request,
    caller: Annotated[Principal, Depends(current_principal)],
    # Declared so the API documents the header and refuses one that is not a UUID; the
    # id recorded is the request's, the very one its log line carries (the same UUID).
    correlation_id: Annotated[UUID | None, Header(alias=CORRELATION_HEADER)] = None,
) -> CommandContext:
    """Who acts, and the request's correlation id (the client's, or a new one)."""
    return CommandContext(
        actor=Actor(role=caller.role.value, sub=caller.sub),
        correlation_id=request_correlation_id(request),
    )


Context = Annotated[CommandContext, Depends(command_context)]


def accepted(
    response: Response,
    events: Sequence[Envelope[EventPayload]],
    *,
    location: str,
    status_code: int = 201,
) -> CommandAccepted:
    """Fill in the answer for the events a command stored: 201 for a POST, 200 for a PUT."""
    last = events[-1]
    response.status_code = status_code
    response.headers["Location"] = location
    return CommandAccepted(
        id=last.aggregate_id, version=last.aggregate_version, event_id=last.event_id
    )
