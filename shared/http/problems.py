"""RFC 9457 problem details: the one shape every error of every service takes.

The API contract promises ``application/problem+json`` for every error and that no request
makes a service answer 500. Route code raises a :class:`Problem`; the handlers that
:func:`install_problem_handlers` puts on an app give the same shape to FastAPI's
validation errors, Starlette's routing errors (404, 405, 413) and a database that is
down (503 with ``Retry-After``, as the Postgres-restart fault test expects). Only a
genuine bug still answers 500, and even then the body is a problem document without
a stack trace; the traceback goes to the server log.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, ClassVar

import asyncpg.exceptions
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://bapas.example/problems/"
RETRY_AFTER_SECONDS = 5

logger = logging.getLogger(__name__)

# Errors that mean "a backing service is unreachable right now", not "this request is
# wrong" or "the code is wrong". On Python 3.11 ``asyncio.TimeoutError`` (a pool
# acquire that waited too long) and ``ConnectionError`` are both ``OSError``s; asyncpg
# raises a bare ``OSError`` when no address of the server answers. The operator
# intervention class (57xxx) covers admin and crash shutdowns and "the database
# system is starting up" (CannotConnectNowError), all of which a restart produces.
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    OSError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.TooManyConnectionsError,
    # A pooled connection the server closed (a restart) fails on its next use.
    asyncpg.exceptions.ConnectionDoesNotExistError,
)


@dataclass(frozen=True, slots=True)
class FieldError:
    """One bad field of a request: where it is (``body.contact.email``) and what is wrong."""

    field: str
    message: str


class Problem(Exception):
    """An error answered as a problem document; subclasses fix the status and type."""

    status: ClassVar[int]
    title: ClassVar[str]
    slug: ClassVar[str]

    def __init__(
        self,
        detail: str,
        *,
        errors: Sequence[FieldError] = (),
        extensions: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = tuple(errors)
        self.extensions = dict(extensions or {})
        self.headers = dict(headers or {})

    @property
    def type(self) -> str:
        return PROBLEM_TYPE_BASE + self.slug

    def to_response(self, instance: str) -> JSONResponse:
        return problem_response(
            status=self.status,
            title=self.title,
            type_=self.type,
            detail=self.detail,
            instance=instance,
            errors=self.errors,
            extensions=self.extensions,
            headers=self.headers,
        )


class Unauthorized(Problem):
    status = 401
    title = "Authentication required"
    slug = "unauthorized"

    def __init__(self, detail: str, *, invalid_token: bool = True) -> None:
        challenge = 'Bearer error="invalid_token"' if invalid_token else "Bearer"
        super().__init__(detail, headers={"WWW-Authenticate": challenge})


class Forbidden(Problem):
    status = 403
    title = "Not allowed"
    slug = "forbidden"


class NotFound(Problem):
    status = 404
    title = "Not found"
    slug = "not-found"


class NotAcceptable(Problem):
    """The ``Accept`` header names no representation the path offers."""

    status = 406
    title = "Not acceptable"
    slug = "not-acceptable"


class Conflict(Problem):
    """A business rule refused the command; ``detail`` says which rule."""

    status = 409
    title = "Business rule violated"
    slug = "conflict"


class Unprocessable(Problem):
    status = 422
    title = "Invalid input"
    slug = "validation-error"

    @classmethod
    def of_field(cls, field: str, message: str) -> Unprocessable:
        """The answer to one bad field (``body.name``): ``detail`` and ``errors`` name it."""
        return cls(f"invalid input: {field}", errors=[FieldError(field, message)])


class ServiceUnavailable(Problem):
    status = 503
    title = "Service unavailable"
    slug = "service-unavailable"

    def __init__(
        self,
        detail: str,
        *,
        extensions: Mapping[str, object] | None = None,
        retry_after: int = RETRY_AFTER_SECONDS,
    ) -> None:
        super().__init__(detail, extensions=extensions, headers={"Retry-After": str(retry_after)})


def problem_response(
    *,
    status: int,
    title: str,
    type_: str,
    detail: str | None,
    instance: str,
    errors: Sequence[FieldError] = (),
    extensions: Mapping[str, object] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, object] = {"type": type_, "title": title, "status": status}
    if detail is not None:
        body["detail"] = detail
    body["instance"] = instance
    if errors:
        body["errors"] = [{"field": e.field, "message": e.message} for e in errors]
    if extensions:
        body.update(extensions)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def field_errors(validation_errors: Sequence[Any]) -> list[FieldError]:
    """Name each bad field of a FastAPI validation error by its dotted location."""
    named = []
    for error in validation_errors:
        if error["type"] == "json_invalid":
            # FastAPI puts the character offset after "body"; the field is the body.
            field, message = "body", f"invalid JSON: {error['ctx']['error']}"
        else:
            field = ".".join(str(part) for part in error["loc"])
            message = "unknown field" if error["type"] == "extra_forbidden" else error["msg"]
        named.append(FieldError(field, message))
    return named


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return exc.to_response(request.url.path)


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = field_errors(exc.errors())
    detail = "invalid input: " + ", ".join(dict.fromkeys(e.field for e in errors))
    return Unprocessable(detail, errors=errors).to_response(request.url.path)


async def _on_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    phrase = HTTPStatus(exc.status_code).phrase
    return problem_response(
        status=exc.status_code,
        title=phrase,
        type_="about:blank",
        detail=exc.detail if exc.detail != phrase else None,
        instance=request.url.path,
        headers=exc.headers,
    )


async def _on_unavailable(request: Request, exc: Exception) -> JSONResponse:
    logger.warning(
        "answering 503 to %s %s: %s: %s", request.method, request.url.path, type(exc).__name__, exc
    )
    problem = ServiceUnavailable("a backing service is unreachable; retry shortly")
    return problem.to_response(request.url.path)


class _UnexpectedErrorMiddleware:
    """Answers a bug with a bare problem document and logs the traceback here.

    It sits inside Starlette's ServerErrorMiddleware, whose handler would re-raise the
    exception after answering (and the server would log it a second time).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            if started:
                raise
            logger.exception("unexpected error answering %s %s", scope["method"], scope["path"])
            response = problem_response(
                status=500,
                title="Internal error",
                type_=PROBLEM_TYPE_BASE + "internal-error",
                detail="the service failed unexpectedly; the error has been logged",
                instance=scope["path"],
            )
            await response(scope, receive, send)


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error ``app`` can answer a problem document; call before it starts."""
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(HTTPException, _on_http_exception)
    for error in UNAVAILABLE_ERRORS:
        app.add_exception_handler(error, _on_unavailable)
    app.add_middleware(_UnexpectedErrorMiddleware)


def _problem_schema() -> dict[str, object]:
    field_error = {
        "type": "object",
        "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
        "required": ["field", "message"],
    }
    return {
        "type": "object",
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "instance": {"type": "string"},
            "errors": {"type": "array", "items": field_error},
        },
        "required": ["type", "title", "status"],
    }


def _problem_response_doc(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": _problem_schema()}},
    }


# Documents the problem answers in the OpenAPI document (and replaces FastAPI's default
# 422 schema, which our bodies do not follow: a schema-driven test would otherwise flag
# every 422). A router names the answers every operation can give; each operation adds
# those of its kind, so a document lists only what an operation can answer.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _problem_response_doc("No token, or a bad one"),
    403: _problem_response_doc("Outside the caller's scope"),
    404: _problem_response_doc("Unknown id, or outside the caller's scope"),
    409: _problem_response_doc("A business rule refused the command"),
    413: _problem_response_doc("The body is over the size limit (1 MiB by default)"),
    422: _problem_response_doc("Invalid input; `errors` names each bad field"),
    503: _problem_response_doc("A backing service is unreachable; retry after `Retry-After`"),
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The documented problem answers of those statuses, for ``responses=``."""
    return {status: PROBLEM_RESPONSES[status] for status in statuses}


COMMON_RESPONSES = problem_responses(401, 422, 503)
"""What any authenticated operation may answer: for a router's ``responses=``."""
READ_RESPONSES = problem_responses(404)
"""What a read of one item adds: 404 for an unknown id or one outside the scope."""
COMMAND_RESPONSES = problem_responses(403, 404, 409, 413)
"""What a command adds: outside the scope, unknown id, a business rule, a body too large."""
