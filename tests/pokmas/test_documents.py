"""The service describes itself: its OpenAPI document lists every endpoint of the
pokmas table of the API contract, its AsyncAPI document the topic it publishes; and no
endpoint answers without a token."""

from __future__ import annotations

import json
import re
from uuid import uuid4

import httpx
import pytest

ENDPOINTS = {
    ("post", "/api/v1/pokmas"),
    ("get", "/api/v1/pokmas"),
    ("get", "/api/v1/pokmas/{pokmas_id}"),
    ("put", "/api/v1/pokmas/{pokmas_id}/contact"),
    ("post", "/api/v1/pokmas/{pokmas_id}/mous"),
    ("get", "/api/v1/mous"),
    ("get", "/api/v1/mous/{mou_id}"),
    ("post", "/api/v1/mous/{mou_id}/renewal"),
    ("post", "/api/v1/mous/{mou_id}/termination"),
    ("post", "/api/v1/pokmas/{pokmas_id}/programmes"),
    ("get", "/api/v1/programmes"),
    ("get", "/api/v1/programmes/{programme_id}"),
    ("post", "/api/v1/programmes/{programme_id}/closure"),
}

EVENT_TYPES = (
    "PokmasRegistered",
    "PokmasContactChanged",
    "MoUSigned",
    "MoURenewed",
    "MoUTerminated",
    "MoUExpired",
    "ProgrammeOpened",
    "ProgrammeClosed",
)


async def test_openapi_document_lists_every_pokmas_endpoint(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()

    listed = {
        (method, path)
        for path, operations in document["paths"].items()
        if path.startswith("/api/v1/")
        for method in operations
    }
    assert listed == ENDPOINTS


async def test_asyncapi_document_names_the_pokmas_topic_and_its_events(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/asyncapi.json")).json()

    channels = document["channels"]
    sent = [
        channels[operation["channel"]["$ref"].rsplit("/", 1)[-1]]["address"]
        for operation in document["operations"].values()
        if operation["action"] == "send"
    ]
    assert sent == ["pokmas.events.v1"]
    assert sorted(channel["address"] for channel in channels.values()) == [
        "enrolment.events.v1",  # what its projection of programme seats reads
        "pokmas.events.v1",
    ]
    schemas = json.dumps(document["components"])
    for event_type in EVENT_TYPES:
        assert event_type in schemas


@pytest.mark.parametrize(("method", "path"), sorted(ENDPOINTS))
async def test_endpoint_without_a_token_answers_401(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    concrete = re.sub(r"\{[a-z_]+\}", str(uuid4()), path)

    response = await client.request(method, concrete, json={})

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
