"""Each service's AsyncAPI document says what it publishes and what it reads, and
claims nothing the records do not carry: a reader of the document who relies on a
header or a channel finds it on the wire."""

from __future__ import annotations

import functools
import uuid
from typing import Any

import pytest

from shared.docs import SERVICES, service_asyncapi_document
from shared.events.envelope import Envelope
from shared.events.registry import kafka_headers
from shared.kafka.topics import TOPIC_OF_SERVICE
from shared.observability.tracing import TRACEPARENT
from tests.support.documented_apps import documented_app


@functools.cache
def asyncapi_of(service: str) -> dict[str, Any]:
    return service_asyncapi_document(documented_app(service))


SENT_ON_EVERY_RECORD = [
    name for name, _ in kafka_headers(event_id=uuid.uuid4(), event_type="X", schema_version=1)
]
SENT_WHEN_TRACED = [TRACEPARENT]


def addresses(document: dict[str, Any], action: str) -> set[str]:
    """The topics of the document's operations of ``action`` (``send`` or ``receive``)."""
    channels = document.get("channels", {})
    return {
        channels[operation["channel"]["$ref"].rsplit("/", 1)[-1]]["address"]
        for operation in document.get("operations", {}).values()
        if operation["action"] == action
    }


@pytest.mark.parametrize("service", SERVICES)
def test_the_document_lists_every_topic_the_service_projections_read(service: str) -> None:
    projections = documented_app(service).state.runtime.projections
    read = {topic for projection in projections for topic in projection.topics}

    assert read, f"{service} has no projection: nothing to check"
    assert addresses(asyncapi_of(service), "receive") == read


@pytest.mark.parametrize("service", SERVICES)
def test_the_document_lists_the_topic_the_service_writes_and_no_other(service: str) -> None:
    written = {TOPIC_OF_SERVICE[service]} if service in TOPIC_OF_SERVICE else set()

    assert addresses(asyncapi_of(service), "send") == written


@pytest.mark.parametrize("service", SERVICES)
def test_a_read_topic_documents_the_envelopes_of_its_events(service: str) -> None:
    document = asyncapi_of(service)
    schemas = document["components"]["schemas"]
    for channel in document["channels"].values():
        message_ref = next(iter(channel["messages"].values()))["$ref"]
        message = document["components"]["messages"][message_ref.rsplit("/", 1)[-1]]
        payload = schemas[message["payload"]["$ref"].rsplit("/", 1)[-1]]
        envelopes = [option["$ref"].rsplit("/", 1)[-1] for option in payload["anyOf"]]

        assert envelopes, f"{channel['address']} documents no event"
        assert all(name.startswith("Envelope_") for name in envelopes)


@pytest.mark.parametrize("service", SERVICES)
def test_no_message_declares_a_header_the_relay_does_not_send(service: str) -> None:
    messages = asyncapi_of(service)["components"]["messages"].values()

    for message in messages:
        declared = message["headers"]["properties"]
        assert set(declared) <= {*SENT_ON_EVERY_RECORD, *SENT_WHEN_TRACED}
        assert sorted(message["headers"]["required"]) == sorted(SENT_ON_EVERY_RECORD)
        location = message["correlationId"]["location"]
        where, _, field = location.partition("#/")
        if where == "$message.header":
            assert field in SENT_ON_EVERY_RECORD
        else:
            assert where == "$message.payload"
            assert field in Envelope.model_fields


@pytest.mark.parametrize("service", SERVICES)
def test_documenting_what_a_service_reads_opens_no_consumer_of_its_broker(service: str) -> None:
    broker = documented_app(service).state.runtime.broker

    assert list(broker.subscribers) == []
