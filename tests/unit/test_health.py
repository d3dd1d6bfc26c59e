"""Liveness, readiness with a check per dependency, and Prometheus metrics."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI

from shared.http import (
    ReadinessCheck,
    create_service_app,
    health_router,
    install_problem_handlers,
)
from shared.http.health import NotReady
from shared.settings import AuthSettings, Environment


async def passes() -> None:
    return None


async def fails() -> None:
    raise ConnectionRefusedError(111, "Connection refused")


async def hangs() -> None:
    await asyncio.sleep(60)


def build_app(checks: dict[str, ReadinessCheck]) -> FastAPI:
    app = create_service_app(
        title="health test",
        version="0",
        auth=AuthSettings(environment=Environment.TEST),
        bapas_provinces={},
        readiness_checks=checks,
    )

    @app.get("/api/v1/pokmas/{pokmas_id}")
    async def read_pokmas(pokmas_id: str) -> dict[str, str]:
        return {"id": pokmas_id}

    return app


async def get(app: FastAPI, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get(path)


@pytest.fixture
def healthy() -> FastAPI:
    return build_app({"database": passes, "kafka": passes})


async def test_live_answers_200_even_when_a_dependency_is_down() -> None:
    response = await get(build_app({"database": fails}), "/health/live")

    assert response.status_code == 200


async def test_ready_answers_200_when_every_check_passes(healthy: FastAPI) -> None:
    response = await get(healthy, "/health/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "kafka": "ok"}}


async def test_a_check_that_says_why_has_its_reason_in_the_answer() -> None:
    async def halted() -> None:
        raise NotReady("topic pokmas.events.v1 was created anew: run `bapas projection rebuild`")

    response = await get(build_app({"projections": halted}), "/health/ready")

    assert response.status_code == 503
    assert response.json()["detail"] == (
        "not ready: projections failed: topic pokmas.events.v1 was created anew: "
        "run `bapas projection rebuild`"
    )


async def test_ready_answers_503_naming_the_failed_check() -> None:
    response = await get(build_app({"database": passes, "kafka": fails}), "/health/ready")

    assert response.status_code == 503
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "not ready: kafka failed: ConnectionRefusedError"
    assert response.json()["checks"] == {
        "database": "ok",
        "kafka": "failed: ConnectionRefusedError",
    }


async def test_ready_answers_503_when_a_check_hangs() -> None:
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(health_router({"database": hangs}, timeout=0.05))

    response = await get(app, "/health/ready")

    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "timed out after 0.05 s"}


async def test_metrics_serves_prometheus_text_format(healthy: FastAPI) -> None:
    response = await get(healthy, "/metrics")

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert "# TYPE http_request_duration_seconds histogram" in response.text


async def test_metrics_count_requests_by_route_template(healthy: FastAPI) -> None:
    await get(healthy, "/api/v1/pokmas/abc")

    response = await get(healthy, "/metrics")

    assert (
        'http_request_duration_seconds_count{method="GET",route="/api/v1/pokmas/{pokmas_id}",'
        'status="200"}'
    ) in response.text
