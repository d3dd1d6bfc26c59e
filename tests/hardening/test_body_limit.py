"""The body limit of the API contract (issue 14): an 8 MiB body was read and parsed in full.

A body over the limit (1 MiB by default, ``BAPAS_MAX_BODY_BYTES``) is answered 413 as a
problem document before it is parsed, whether it declares its length or arrives in
chunks without one. The oversized bodies here are valid commands padded with JSON
whitespace, so a service without the limit would accept and store them: each test
checks that no event holds the body's marker. Positive controls: a body of exactly
the limit, and a small chunked one, are accepted.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx

from services.pokmas.app import create_app as create_pokmas_app
from tests.enrolment.helpers import OFFICER as ENROLMENT_OFFICER
from tests.enrolment.helpers import client_body
from tests.hardening.probes import (
    JSON_HEADERS,
    assert_problem,
    events_holding,
    json_bytes,
    marker,
    padded,
)
from tests.pokmas.conftest import PokmasInstance
from tests.pokmas.helpers import OFFICER, pokmas_body
from tests.support.service_app import running_service

MIB = 1024 * 1024
DEFAULT_LIMIT = MIB
CHUNK = 64 * 1024


async def in_chunks(content: bytes) -> AsyncIterator[bytes]:
    """``content`` as a stream: httpx sends it chunked, without ``Content-Length``."""
    for start in range(0, len(content), CHUNK):
        yield content[start : start + CHUNK]


def pokmas_with_marker() -> tuple[str, dict[str, Any]]:
    name = marker()
    return name, pokmas_body(name=name)


async def post_pokmas(client: httpx.AsyncClient, content: bytes) -> httpx.Response:
    return await client.post("/api/v1/pokmas", content=content, headers={**OFFICER, **JSON_HEADERS})


async def test_an_8_mib_pokmas_body_is_refused_413_and_not_stored(
    pokmas: PokmasInstance, pokmas_db: asyncpg.Connection
) -> None:
    name, body = pokmas_with_marker()

    response = await post_pokmas(pokmas.client, padded(body, 8 * MIB))

    assert_problem(response, 413)
    assert await events_holding(pokmas_db, name) == 0


async def test_an_8_mib_klien_body_is_refused_413_and_not_stored(
    enrolment_api: httpx.AsyncClient, enrolment_db: asyncpg.Connection
) -> None:
    register = marker()

    response = await enrolment_api.post(
        "/api/v1/clients",
        content=padded(client_body(register_number=register), 8 * MIB),
        headers={**ENROLMENT_OFFICER, **JSON_HEADERS},
    )

    assert_problem(response, 413)
    assert await events_holding(enrolment_db, register) == 0


async def test_a_chunked_2_mib_pokmas_body_without_content_length_is_refused_413(
    pokmas: PokmasInstance, pokmas_db: asyncpg.Connection
) -> None:
    name, body = pokmas_with_marker()

    response = await pokmas.client.post(
        "/api/v1/pokmas",
        content=in_chunks(padded(body, 2 * MIB)),
        headers={**OFFICER, **JSON_HEADERS},
    )

    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert_problem(response, 413)
    assert await events_holding(pokmas_db, name) == 0


async def test_a_chunked_2_mib_klien_body_without_content_length_is_refused_413(
    enrolment_api: httpx.AsyncClient, enrolment_db: asyncpg.Connection
) -> None:
    register = marker()

    response = await enrolment_api.post(
        "/api/v1/clients",
        content=in_chunks(padded(client_body(register_number=register), 2 * MIB)),
        headers={**ENROLMENT_OFFICER, **JSON_HEADERS},
    )

    assert "content-length" not in response.request.headers
    assert_problem(response, 413)
    assert await events_holding(enrolment_db, register) == 0


async def test_an_oversized_body_that_is_not_json_is_refused_413_before_parsing(
    pokmas: PokmasInstance,
) -> None:
    response = await post_pokmas(pokmas.client, b"{" * (2 * MIB))

    assert_problem(response, 413)


async def test_a_body_one_byte_over_1_mib_is_refused_413_and_not_stored(
    pokmas: PokmasInstance, pokmas_db: asyncpg.Connection
) -> None:
    name, body = pokmas_with_marker()

    response = await post_pokmas(pokmas.client, padded(body, DEFAULT_LIMIT + 1))

    assert_problem(response, 413)
    assert await events_holding(pokmas_db, name) == 0


async def test_a_body_of_exactly_1_mib_is_accepted(
    pokmas: PokmasInstance, pokmas_db: asyncpg.Connection
) -> None:
    name, body = pokmas_with_marker()

    response = await post_pokmas(pokmas.client, padded(body, DEFAULT_LIMIT))

    assert response.status_code == 201, response.text
    assert await events_holding(pokmas_db, name) == 1


async def test_a_small_chunked_body_is_accepted(
    pokmas: PokmasInstance, pokmas_db: asyncpg.Connection
) -> None:
    name, body = pokmas_with_marker()

    response = await pokmas.client.post(
        "/api/v1/pokmas",
        content=in_chunks(padded(body, 3 * CHUNK + 17)),
        headers={**OFFICER, **JSON_HEADERS},
    )

    assert "content-length" not in response.request.headers
    assert response.status_code == 201, response.text
    assert await events_holding(pokmas_db, name) == 1


async def test_the_limit_is_the_setting_bapas_max_body_bytes(
    database_url: str, kafka_bootstrap: str
) -> None:
    limit = 4096
    async with running_service(
        create_pokmas_app,
        service="pokmas",
        database_url=database_url,
        kafka_bootstrap=kafka_bootstrap,
        extra_environment={"BAPAS_MAX_BODY_BYTES": str(limit)},
    ) as client:
        over_name, over = pokmas_with_marker()
        refused = await post_pokmas(client, padded(over, limit + 1))
        refused_chunked = await client.post(
            "/api/v1/pokmas",
            content=in_chunks(padded(over, 2 * limit)),
            headers={**OFFICER, **JSON_HEADERS},
        )
        _, within = pokmas_with_marker()
        accepted = await post_pokmas(client, padded(within, limit))

        assert_problem(refused, 413)
        assert_problem(refused_chunked, 413)
        assert accepted.status_code == 201, accepted.text
        assert len(json_bytes(over)) < limit
        database = await asyncpg.connect(database_url)
        try:
            assert await events_holding(database, over_name) == 0
        finally:
            await database.close()
