"""Prometheus metrics: the ``/metrics`` endpoint and a cheap per-request histogram.

The API contract asks each service for ``GET /metrics`` in Prometheus text format. The
request histogram is labelled by route template (``/api/v1/pokmas/{pokmas_id}``, not
the concrete path), method and status, so its cardinality stays bounded; it costs a
couple of microseconds per request against B2's 1,000 commands/s on two cores.
Services register their own metrics in the default registry and they appear here too.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import REGISTRY, Histogram
from prometheus_client.exposition import choose_encoder

REQUEST_DURATION = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request, by method, route template and status.",
    ("method", "route", "status"),
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)

_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED_ROUTE = "unmatched"


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    """Count one answered request in :data:`REQUEST_DURATION` (the request-log middleware
    calls it for every request, probes and scrapes included). Unknown methods share a
    label, as unmatched paths share ``route``, so probing cannot grow the metric."""
    label = method if method in _KNOWN_METHODS else "OTHER"
    REQUEST_DURATION.labels(label, route, str(status)).observe(seconds)


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
