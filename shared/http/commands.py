"""What every command endpoint shares: closed request bodies, the caller's context for
the envelope, and the ``201`` answer with ``{"id", "version", "event_id"}`` and a
``Location`` header (``api.md``). Refusals and store errors become problems here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated
from uuid import UUID, uuid4

from fastapi import Depends, FastAPI, Header, Request, Response
from pydantic import BaseModel, ConfigDict

from shared.events.envelope import Actor, Envelope, EventPayload
from shared.eventstore.refusals import InvalidValue, RuleViolated
from shared.eventstore.store import AggregateNotFound, CommandContext, ConcurrencyConflict
from shared.http.auth import current_principal
from shared.http.problems import Conflict, FieldError, NotFound, Unprocessable
from shared.http.scope import Principal


class RequestBody(BaseModel):
    """Base of every command body: unknown fields are rejected (422 naming them)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class CommandAccepted(BaseModel):
    """The answer to a command: the entity, its new version, the event recorded last."""

    id: UUID
    version: int
    event_id: UUID


async def command_context(
    caller: Annotated[Principal, Depends(current_principal)],
    correlation_id: Annotated[UUID | None, Header(alias="X-Correlation-ID")] = None,
) -> CommandContext:
    """Who acts, and the request's correlation id (the client's, or a new one)."""
    return CommandContext(
        actor=Actor(role=caller.role.value, sub=caller.sub),
        correlation_id=correlation_id or uuid4(),
    )


Context = Annotated[CommandContext, Depends(command_context)]


def accepted(
    response: Response, events: Sequence[Envelope[EventPayload]], *, location: str
) -> CommandAccepted:
    """Fill in the 201 answer for the events a command stored."""
    last = events[-1]
    response.status_code = 201
    response.headers["Location"] = location
    return CommandAccepted(
        id=last.aggregate_id, version=last.aggregate_version, event_id=last.event_id
    )


def install_command_error_handlers(app: FastAPI) -> None:
    """Answer refusals and the event store's errors as problems, so commands need not
    catch them: a broken rule is a 409 saying which, a bad value a 422 naming its body
    field, a concurrent change a 409, an aggregate never stored a 404."""

    async def on_rule_violated(request: Request, error: Exception) -> Response:
        return Conflict(str(error)).to_response(request.url.path)

    async def on_invalid_value(request: Request, error: Exception) -> Response:
        assert isinstance(error, InvalidValue)
        field = f"body.{error.field}"
        return Unprocessable(
            f"invalid input: {field}", errors=[FieldError(field, error.message)]
        ).to_response(request.url.path)

    async def on_conflict(request: Request, error: Exception) -> Response:
        return Conflict(str(error)).to_response(request.url.path)

    async def on_not_found(request: Request, error: Exception) -> Response:
        return NotFound("not found").to_response(request.url.path)

    app.add_exception_handler(RuleViolated, on_rule_violated)
    app.add_exception_handler(InvalidValue, on_invalid_value)
    app.add_exception_handler(ConcurrencyConflict, on_conflict)
    app.add_exception_handler(AggregateNotFound, on_not_found)
