"""OpenTelemetry tracing: off unless an OTLP endpoint is configured, and then one trace
from a command's HTTP request to the projections that apply its events.

``OTEL_EXPORTER_OTLP_ENDPOINT`` (and the other standard ``OTEL_*`` variables the OTLP
exporter reads) turns it on: :func:`configure_tracing` installs a tracer provider that
exports in batches, and the service's app is instrumented (FastAPI, asyncpg). Without
it nothing is instrumented and nothing is exported; a test installs its own provider
with an in-memory exporter (:func:`install_tracer_provider`) instead of an endpoint.

The context crosses Kafka as the W3C ``traceparent`` header: the event store keeps the
request's context with each outbox row (:func:`current_traceparent`), the relay sends it
as a header, and a projection consumer records each applied event's span as a child of
it (:func:`record_applied`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

TRACEPARENT = "traceparent"
_propagator = TraceContextTextMapPropagator()
_tracer = trace.get_tracer("bapas")
_provider: TracerProvider | None = None
_instrumented_asyncpg = False


def tracing_enabled() -> bool:
    """Whether spans are recorded: a provider was installed and not stopped."""
    return _provider is not None


def install_tracer_provider(provider: TracerProvider) -> None:
    """Record spans with ``provider`` (OpenTelemetry takes one global provider per
    process: a second one is used by this module's spans only)."""
    global _provider, _tracer
    _provider = provider
    trace.set_tracer_provider(provider)
    _tracer = provider.get_tracer("bapas")


def stop_tracing() -> None:
    """Record nothing from now on (apps instrumented before keep their middleware, and
    spans go nowhere): what a test that installed a provider does at its end."""
    global _provider, _instrumented_asyncpg
    if _instrumented_asyncpg:
        from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor

        AsyncPGInstrumentor().uninstrument()  # type: ignore[no-untyped-call]
        _instrumented_asyncpg = False
    if _provider is not None:
        _provider.shutdown()
        _provider = None


def configure_tracing(service: str) -> None:
    """Export spans to the OTLP endpoint when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set."""
    if tracing_enabled() or not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    install_tracer_provider(provider)


def instrument_app(app: FastAPI) -> None:
    """Spans for the app's requests and its database calls, when tracing is on."""
    global _instrumented_asyncpg
    if not tracing_enabled():
        return
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=_provider, excluded_urls="/health/.*,/metrics"
    )
    if not _instrumented_asyncpg:
        AsyncPGInstrumentor().instrument(tracer_provider=_provider)  # type: ignore[no-untyped-call]
        _instrumented_asyncpg = True


def current_traceparent() -> str | None:
    """The ``traceparent`` of the span in progress, if one is being recorded."""
    if not trace.get_current_span().is_recording():
        return None
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get(TRACEPARENT)


def record_applied(
    projection: str,
    applied: Iterable[tuple[Sequence[tuple[str, bytes]], str, str]],
    started_ns: int,
) -> None:
    """One consumer span per applied event that carries a ``traceparent`` header (its
    headers, type and id), child of the span the header names, from the batch's start
    to now: the events of a batch are applied together, in one transaction."""
    if not tracing_enabled():
        return
    for headers, event_type, event_id in applied:
        carrier = {k: v.decode(errors="replace") for k, v in headers if k == TRACEPARENT}
        if not carrier:
            continue
        span = _tracer.start_span(
            f"{projection} apply {event_type}",
            context=_propagator.extract(carrier),
            kind=trace.SpanKind.CONSUMER,
            start_time=started_ns,
            attributes={
                "messaging.system": "kafka",
                "messaging.operation.type": "process",
                "bapas.projection": projection,
                "bapas.event_type": event_type,
                "bapas.event_id": event_id,
            },
        )
        span.end()
