"""One log line per HTTP request, and the correlation id that ties it to the events.

Every request has a correlation id: the client's ``X-Correlation-ID`` when it is a UUID,
else a new one. It is in the log context while the request is served, so every line
logged meanwhile carries it; commands record it in the events they store
(:func:`request_correlation_id`); and the answer returns it in ``X-Correlation-ID``, so
a client can quote it. Once the response is sent, one INFO line ``request`` says the
method, the route template, the status, how long it took and the caller's Bapas (when
authentication bound it) — the template, never the path or the query, which can carry
a NIK, and nothing of the headers or the body. Health probes and metrics scrapes get no
line: they would drown the others.

Pure ASGI rather than Starlette's ``BaseHTTPMiddleware``, which runs the app in a task
of its own and costs tens of microseconds per request.
"""

from __future__ import annotations

from time import perf_counter
from uuid import UUID, uuid4

import structlog
from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.http.metrics import UNMATCHED_ROUTE, observe_request
from shared.observability.logs import log_context

CORRELATION_HEADER = "X-Correlation-ID"
_CORRELATION_HEADER_KEY = CORRELATION_HEADER.lower().encode()
_STATE_KEY = "correlation_id"
UNLOGGED_PATHS = ("/health/", "/metrics")
"""Paths (prefixes) whose requests get no line."""

log = structlog.get_logger("shared.http.request")


def correlation_id_from(header: str | None) -> UUID:
    """The client's correlation id if ``header`` is a UUID, else a new one."""
    if header:
        try:
            return UUID(header)
        except ValueError:
            pass
    return uuid4()


def request_correlation_id(request: Request) -> UUID:
    """The correlation id of the request, the one its log line carries."""
    bound = request.scope.get("state", {}).get(_STATE_KEY)
    if isinstance(bound, UUID):
        return bound
    # An app without the middleware (a test's): the same rule.
    return correlation_id_from(request.headers.get(CORRELATION_HEADER))


class RequestLogMiddleware:
    """Gives each HTTP request its correlation id, and once it is answered logs it and
    counts it in the request metrics (one pass over the request for both)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        correlation_id = correlation_id_from(_header(scope, _CORRELATION_HEADER_KEY))
        scope.setdefault("state", {})[_STATE_KEY] = correlation_id
        answered_header = (_CORRELATION_HEADER_KEY, str(correlation_id).encode())
        status = 500  # what the server answers if the app raises before responding

        async def send_with_correlation_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), answered_header]}
            await send(message)

        with log_context(correlation_id=correlation_id):
            try:
                await self.app(scope, receive, send_with_correlation_id)
            finally:
                # The router puts the matched route in the scope; unmatched paths share one.
                route = getattr(scope.get("route"), "path", UNMATCHED_ROUTE)
                seconds = perf_counter() - started
                observe_request(scope["method"], route, status, seconds)
                if not scope["path"].startswith(UNLOGGED_PATHS):
                    log.info(
                        "request",
                        method=scope["method"],
                        route=route,
                        status=status,
                        duration_ms=round(seconds * 1000, 2),
                    )


def _header(scope: Scope, key: bytes) -> str | None:
    for name, value in scope["headers"]:
        if name == key:
            return str(value.decode("latin-1"))
    return None
