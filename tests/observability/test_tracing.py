"""One trace from a command's HTTP request to the projection that applies its event.

A Pokmas registered over HTTP on the pokmas service is applied by the enrolment
service's projection of Pokmas; with a tracer provider recording into memory (as an
OTLP endpoint would receive them), the projection's span for that event belongs to
the request's trace, as a descendant of the request's span: the trace context went
through the outbox row and the Kafka header.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from services.enrolment.app import create_app as create_enrolment
from services.pokmas.app import create_app as create_pokmas
from shared.observability.tracing import install_tracer_provider, stop_tracing
from tests.pokmas.helpers import register_pokmas
from tests.support.databases import fresh_database
from tests.support.infrastructure import Infrastructure
from tests.support.service_app import running_service

WAIT_SECONDS = 60.0


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    install_tracer_provider(provider)
    try:
        yield exporter
    finally:
        stop_tracing()


def _ancestors(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> list[ReadableSpan]:
    chain: list[ReadableSpan] = []
    parent = span.parent
    while parent is not None and parent.span_id in by_id:
        chain.append(by_id[parent.span_id])
        parent = by_id[parent.span_id].parent
    return chain


async def test_the_projection_span_of_an_event_joins_the_trace_of_its_command(
    infra: Infrastructure, kafka_bootstrap: str, spans: InMemorySpanExporter
) -> None:
    async with (
        fresh_database(infra.database_admin_url, prefix="traced_pokmas") as pokmas_url,
        fresh_database(infra.database_admin_url, prefix="traced_enrolment") as enrolment_url,
        running_service(
            create_pokmas,
            service="pokmas",
            database_url=pokmas_url,
            kafka_bootstrap=kafka_bootstrap,
        ) as pokmas,
        running_service(
            create_enrolment,
            service="enrolment",
            database_url=enrolment_url,
            kafka_bootstrap=kafka_bootstrap,
        ),
    ):
        pokmas_id = await register_pokmas(pokmas)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT_SECONDS
        applied: list[ReadableSpan] = []
        while not applied:
            assert loop.time() < deadline, "no span of the projection applying the event"
            await asyncio.sleep(0.2)
            applied = [
                span
                for span in spans.get_finished_spans()
                if span.name == "enrolment.pokmas apply PokmasRegistered"
                and span.attributes is not None
                and span.attributes.get("bapas.projection") == "enrolment.pokmas"
                and any(
                    s.context is not None
                    and span.context is not None
                    and s.context.trace_id == span.context.trace_id
                    and s.kind is SpanKind.SERVER
                    and s.attributes is not None
                    and s.attributes.get("http.route") == "/api/v1/pokmas"
                    for s in spans.get_finished_spans()
                )
            ]

    finished = spans.get_finished_spans()
    by_id = {span.context.span_id: span for span in finished if span.context is not None}
    [consumer] = applied
    assert consumer.kind is SpanKind.CONSUMER
    chain = _ancestors(consumer, by_id)
    request = [s for s in chain if s.kind is SpanKind.SERVER]
    assert request, "the request's span is an ancestor of the projection's span"
    assert request[0].attributes is not None
    assert (
        request[0].attributes.get("http.request.method", request[0].attributes.get("http.method"))
        == "POST"
    )
    assert str(pokmas_id)  # the command was accepted (201) before the trace was followed
