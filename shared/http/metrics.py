"""Prometheus metrics: the ``/metrics`` endpoint and a cheap per-request histogram.

The API contract asks each service for ``GET /metrics`` in Prometheus text format. The
request histogram is labelled by route template (``/api/v1/pokmas/{pokmas_id}``, not
the concrete path), method and status, so its cardinality stays bounded; it costs a
couple of microseconds per request against B2's 1,000 commands/s on two cores.
Services register their own metrics in the default registry and they appear here too.
"""

from __future__ import annotations

from time import perf_counter

from fastapi import APIRouter, Request, Response
from prometheus_client import REGISTRY, Histogram
from prometheus_client.exposition import choose_encoder
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_DURATION = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request, by method, route template and status.",
    ("method", "route", "status"),
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)

_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED_ROUTE = "unmatched"


class RequestMetricsMiddleware:
    """Observes each HTTP request's duration in :data:`REQUEST_DURATION`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        status = 500  # what the server answers if the app raises before responding

        async def status_recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, status_recording_send)
        finally:
            # The router puts the matched route in the scope; unmatched paths share a
            # label so that probing random URLs cannot grow the metric without bound.
            route = getattr(scope.get("route"), "path", UNMATCHED_ROUTE)
            method = scope["method"] if scope["method"] in _KNOWN_METHODS else "OTHER"
            REQUEST_DURATION.labels(method, route, str(status)).observe(perf_counter() - started)


def metrics_router() -> APIRouter:
    """``GET /metrics``: the default Prometheus registry, in the format the scraper accepts.

    Without an ``Accept`` header that asks for another, that is the classic text format
    0.0.4, which every Prometheus server reads.
    """
    router = APIRouter(tags=["health"])

    @router.get("/metrics", response_class=Response)
    async def metrics(request: Request) -> Response:
        encode, content_type = choose_encoder(request.headers.get("accept", ""))
        return Response(encode(REGISTRY), media_type=content_type)

    return router
