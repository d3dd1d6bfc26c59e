"""Every error is an RFC 9457 problem document, and only a bug answers 500."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg.exceptions
import httpx
import pytest
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel, ConfigDict

from shared.http import PROBLEM_RESPONSES, Conflict, NotFound, install_problem_handlers


class Contact(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str
    phone: str


class NewPokmas(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    capacity: int
    contact: Contact


UNAVAILABLE = {
    "refused": ConnectionRefusedError(111, "Connection refused"),
    "os": OSError("Multiple exceptions: [Errno 111] Connect call failed"),
    "pool-timeout": TimeoutError(),
    "starting-up": asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
    "shutdown": asyncpg.exceptions.AdminShutdownError("terminating connection"),
    "closed": asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"),
    "too-many": asyncpg.exceptions.TooManyConnectionsError("too many clients already"),
}


def build_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    router = APIRouter(responses=PROBLEM_RESPONSES)

    @router.get("/pokmas/{pokmas_id}")
    async def read_pokmas(pokmas_id: int) -> dict[str, int]:
        raise NotFound(f"pokmas {pokmas_id} not found")

    @router.post("/pokmas")
    async def register_pokmas(body: NewPokmas) -> dict[str, str]:
        raise Conflict("the programme is full: 20 of 20 seats are taken")

    @router.get("/down/{cause}")
    async def backing_service_down(cause: str) -> None:
        raise UNAVAILABLE[cause]

    @router.get("/bug")
    async def bug() -> None:
        raise RuntimeError("secret internals")

    app.include_router(router)
    return app


APP = build_app()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=APP)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


VALID_BODY: dict[str, Any] = {
    "name": "Pokmas Maju Bersama",
    "capacity": 20,
    "contact": {"email": "ketua@example.org", "phone": "+62811"},
}


def fields_of(response: httpx.Response) -> list[str]:
    return [error["field"] for error in response.json()["errors"]]


async def test_not_found_is_a_problem_document(client: httpx.AsyncClient) -> None:
    response = await client.get("/pokmas/7")

    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json() == {
        "type": "https://bapas.example/problems/not-found",
        "title": "Not found",
        "status": 404,
        "detail": "pokmas 7 not found",
        "instance": "/pokmas/7",
    }


async def test_conflict_detail_says_which_rule(client: httpx.AsyncClient) -> None:
    response = await client.post("/pokmas", json=VALID_BODY)

    assert response.status_code == 409
    assert response.json()["detail"] == "the programme is full: 20 of 20 seats are taken"


async def test_validation_error_names_each_bad_field(client: httpx.AsyncClient) -> None:
    body = {"name": "x", "capacity": "many", "contact": {"phone": "+62811"}}

    response = await client.post("/pokmas", json=body)

    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    assert sorted(fields_of(response)) == ["body.capacity", "body.contact.email"]


async def test_validation_error_has_type_title_and_status(client: httpx.AsyncClient) -> None:
    response = await client.post("/pokmas", json={**VALID_BODY, "capacity": "many"})

    problem = response.json()
    assert problem["type"] == "https://bapas.example/problems/validation-error"
    assert problem["status"] == 422
    assert problem["title"]


async def test_unknown_body_field_is_named(client: httpx.AsyncClient) -> None:
    body = {**VALID_BODY, "contact": {**VALID_BODY["contact"], "fax": "1"}}

    response = await client.post("/pokmas", json=body)

    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "body.contact.fax", "message": "unknown field"}]


async def test_malformed_json_body_is_422_naming_body(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/pokmas", content=b'{"name": ', headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 422
    assert fields_of(response) == ["body"]


async def test_missing_body_is_422_naming_body(client: httpx.AsyncClient) -> None:
    response = await client.post("/pokmas")

    assert response.status_code == 422
    assert fields_of(response) == ["body"]


async def test_invalid_path_parameter_is_named(client: httpx.AsyncClient) -> None:
    response = await client.get("/pokmas/seven")

    assert response.status_code == 422
    assert fields_of(response) == ["path.pokmas_id"]


async def test_validation_error_does_not_echo_the_input(client: httpx.AsyncClient) -> None:
    response = await client.post("/pokmas", json={**VALID_BODY, "capacity": "3201234567890123"})

    assert "3201234567890123" not in response.text


async def test_unknown_route_is_a_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/no/such/route")

    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == "about:blank"
    assert response.json()["title"] == "Not Found"


async def test_wrong_method_is_a_405_problem_with_allow(client: httpx.AsyncClient) -> None:
    response = await client.delete("/pokmas")

    assert response.status_code == 405
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.headers["Allow"] == "POST"


@pytest.mark.parametrize("cause", sorted(UNAVAILABLE))
async def test_unreachable_backing_service_is_503_with_retry_after(
    client: httpx.AsyncClient, cause: str
) -> None:
    response = await client.get(f"/down/{cause}")

    assert response.status_code == 503
    assert response.headers["Content-Type"] == "application/problem+json"
    assert int(response.headers["Retry-After"]) > 0


async def test_bug_is_a_500_problem_without_trace(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    response = await client.get("/bug")

    assert response.status_code == 500
    assert response.headers["Content-Type"] == "application/problem+json"
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text
    assert "secret internals" in caplog.text


def test_openapi_documents_422_as_a_problem_document() -> None:
    operation = APP.openapi()["paths"]["/pokmas"]["post"]

    assert list(operation["responses"]["422"]["content"]) == ["application/problem+json"]
