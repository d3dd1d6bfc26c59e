"""Every refusal of the application reaches the caller as its problem document."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI

from shared.eventstore.refusals import (
    InvalidValue,
    NotPermitted,
    NotVisible,
    Refusal,
    RuleViolated,
)
from shared.eventstore.store import AggregateNotFound, ConcurrencyConflict
from shared.http import install_problem_handlers
from shared.http.refusals import install_refusal_handlers
from shared.scope import Principal, Role

PROBLEMS = "https://bapas.example/problems/"
OFFICER = Principal(Role.BAPAS_OFFICER, "pk-1", bapas="balikpapan")

REFUSED: dict[str, Exception] = {
    "rule": RuleViolated("the programme is full: 20 of 20 seats are taken"),
    "value": InvalidValue("ends_on", "must not be before starts_on"),
    "permission": NotPermitted("role regional may not make this change"),
    "visibility": NotVisible("no klien with this id"),
    "concurrency": ConcurrencyConflict("pokmas 7 changed since it was loaded"),
    "aggregate": AggregateNotFound("no pokmas 00000000-0000-4000-8000-000000000009"),
}

EXPECTED: dict[str, dict[str, object]] = {
    "rule": {
        "type": PROBLEMS + "conflict",
        "title": "Business rule violated",
        "status": 409,
        "detail": "the programme is full: 20 of 20 seats are taken",
        "instance": "/refused/rule",
    },
    "value": {
        "type": PROBLEMS + "validation-error",
        "title": "Invalid input",
        "status": 422,
        "detail": "invalid input: body.ends_on",
        "instance": "/refused/value",
        "errors": [{"field": "body.ends_on", "message": "must not be before starts_on"}],
    },
    "permission": {
        "type": PROBLEMS + "forbidden",
        "title": "Not allowed",
        "status": 403,
        "detail": "role regional may not make this change",
        "instance": "/refused/permission",
    },
    "visibility": {
        "type": PROBLEMS + "not-found",
        "title": "Not found",
        "status": 404,
        "detail": "no klien with this id",
        "instance": "/refused/visibility",
    },
    "concurrency": {
        "type": PROBLEMS + "conflict",
        "title": "Business rule violated",
        "status": 409,
        "detail": "pokmas 7 changed since it was loaded",
        "instance": "/refused/concurrency",
    },
    # The store's message names the aggregate; the caller learns no more than "not found".
    "aggregate": {
        "type": PROBLEMS + "not-found",
        "title": "Not found",
        "status": 404,
        "detail": "not found",
        "instance": "/refused/aggregate",
    },
}


def build_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    install_refusal_handlers(app)

    @app.get("/refused/{kind}")
    async def refuse(kind: str) -> None:
        raise REFUSED[kind]

    @app.get("/klien/{klien_id}")
    async def read_klien(klien_id: UUID, bapas_code: str) -> dict[str, str]:
        OFFICER.require_read(bapas_code, detail="no klien with this id")
        return {"bapas_code": bapas_code}

    @app.post("/klien")
    async def register_klien(bapas_code: str) -> dict[str, str]:
        OFFICER.require_write(bapas_code)
        return {"bapas_code": bapas_code}

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.mark.parametrize("kind", list(EXPECTED))
async def test_each_refusal_is_answered_with_its_problem(
    client: httpx.AsyncClient, kind: str
) -> None:
    response = await client.get(f"/refused/{kind}")

    assert response.status_code == EXPECTED[kind]["status"]
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json() == EXPECTED[kind]


def test_every_kind_of_refusal_has_an_answer_above() -> None:
    answered = {type(refusal) for refusal in REFUSED.values()}

    assert set(Refusal.__subclasses__()) <= answered


async def test_an_item_outside_the_scope_answers_exactly_as_an_unknown_one(
    client: httpx.AsyncClient,
) -> None:
    klien = "00000000-0000-4000-8000-000000000003"

    outside = await client.get(f"/klien/{klien}", params={"bapas_code": "surabaya"})
    unknown = await client.get("/refused/visibility")

    assert outside.status_code == unknown.status_code == 404
    assert {**outside.json(), "instance": None} == {**unknown.json(), "instance": None}


async def test_a_write_outside_the_scope_answers_403(client: httpx.AsyncClient) -> None:
    response = await client.post("/klien", params={"bapas_code": "surabaya"})

    assert response.status_code == 403
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json() == {
        "type": PROBLEMS + "forbidden",
        "title": "Not allowed",
        "status": 403,
        "detail": "role bapas_officer may not make this change: it is outside its scope",
        "instance": "/klien",
    }


async def test_permitted_calls_pass(client: httpx.AsyncClient) -> None:
    klien = "00000000-0000-4000-8000-000000000003"

    read = await client.get(f"/klien/{klien}", params={"bapas_code": "balikpapan"})
    written = await client.post("/klien", params={"bapas_code": "balikpapan"})

    assert (read.status_code, written.status_code) == (200, 200)
