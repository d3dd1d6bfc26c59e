"""What the hardening tests share: the checks of a refusal (status, problem document,
the fields it names) and the look into a service's event store that shows nothing was
written."""

from __future__ import annotations

import json
import secrets
from typing import Any

import asyncpg
import httpx

PROBLEM_JSON = "application/problem+json"


def marker() -> str:
    """A unique text to put in a body and look for in the database afterwards."""
    return f"hardening-{secrets.token_hex(6)}"


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The problem document of a refusal with ``status``."""
    assert response.status_code == status, (response.status_code, response.text[:2000])
    assert response.headers["content-type"].split(";")[0] == PROBLEM_JSON, response.headers
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status, problem
    return problem


def assert_client_error(response: httpx.Response) -> dict[str, Any]:
    """A 4xx problem document (never a 500)."""
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:2000])
    return assert_problem(response, response.status_code)


def named_fields(problem: dict[str, Any]) -> list[str]:
    return [str(error["field"]) for error in problem.get("errors", [])]


def assert_refused(response: httpx.Response, *fields: str) -> dict[str, Any]:
    """A 422 problem document whose ``errors`` name each of ``fields``."""
    problem = assert_problem(response, 422)
    named = named_fields(problem)
    for field in fields:
        assert field in named, (field, problem)
    return problem


async def events_holding(database: asyncpg.Connection, text: str) -> int:
    """How many events of the service's store hold ``text`` anywhere in their envelope."""
    count: int = await database.fetchval(
        "SELECT count(*) FROM events WHERE strpos(envelope::text, $1) > 0", text
    )
    return count


async def event_count(database: asyncpg.Connection) -> int:
    count: int = await database.fetchval("SELECT count(*) FROM events")
    return count


def json_bytes(body: Any) -> bytes:
    return json.dumps(body).encode()


def padded(body: Any, size: int) -> bytes:
    """``body`` as JSON of exactly ``size`` bytes: valid JSON, padded with whitespace."""
    text = json_bytes(body)
    assert len(text) <= size
    return text + b" " * (size - len(text))


JSON_HEADERS = {"Content-Type": "application/json"}
