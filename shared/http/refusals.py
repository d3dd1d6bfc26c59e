"""The one place the application's refusals become problem documents.

Commands, queries and the scope rules refuse without knowing about HTTP; a command's
texts are refused as it is built; the event store reports a concurrent change or an
aggregate it never stored. Each of these is
answered here, so route code catches none of them and every service answers the same
refusal the same way.
"""

from __future__ import annotations

from fastapi import FastAPI, Request, Response

from shared.eventstore.refusals import InvalidValue, NotPermitted, NotVisible, Refusal, RuleViolated
from shared.eventstore.store import AggregateNotFound, ConcurrencyConflict
from shared.guards import TextRefused
from shared.http.problems import Conflict, Forbidden, NotFound, Problem, Unprocessable

REFUSALS: tuple[type[Exception], ...] = (
    Refusal,
    TextRefused,
    ConcurrencyConflict,
    AggregateNotFound,
)
"""What :func:`install_refusal_handlers` answers (each refusal is a :class:`Refusal`)."""


def problem_for(refusal: Exception) -> Problem:
    """The problem that answers ``refusal``: the status and title of its kind, its message."""
    match refusal:
        case InvalidValue(field=field, message=message):
            return Unprocessable.of_field(f"body.{field}", message)
        case TextRefused(field=field, message=message):
            # Its field is a path from the body already (``body.contact.name``).
            return Unprocessable.of_field(field, message)
        case RuleViolated() | ConcurrencyConflict():
            return Conflict(str(refusal))
        case NotPermitted():
            return Forbidden(str(refusal))
        case NotVisible():
            return NotFound(str(refusal))
        case AggregateNotFound():
            # Its message names the aggregate's type and id; an unknown id is told no more.
            return NotFound("not found")
    raise TypeError(f"no problem answers the refusal {type(refusal).__name__}")


async def _answer(request: Request, refusal: Exception) -> Response:
    return problem_for(refusal).to_response(request.url.path)


def install_refusal_handlers(app: FastAPI) -> None:
    """Answer every refusal ``app``'s routes raise with its problem document."""
    for refused in REFUSALS:
        app.add_exception_handler(refused, _answer)
