"""The three services start as real processes on the real stack, apply their
migrations, and report readiness truthfully."""

from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import asyncpg
import httpx
import pytest

from shared.postgres.urls import with_database
from shared.stack.services import ServiceProcess
from tests.support.infrastructure import Infrastructure
from tests.support.ports import free_port

SERVICES = ("pokmas", "enrolment", "notifications")


@dataclass
class RunningService:
    name: str
    url: str
    database: str
    process: subprocess.Popen[bytes]


async def _wait_ready(client: httpx.AsyncClient, service: RunningService) -> httpx.Response:
    async with asyncio.timeout(60):
        while True:
            assert service.process.poll() is None, f"{service.name} exited"
            try:
                response = await client.get(f"{service.url}/health/ready")
                if response.status_code == 200:
                    return response
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.3)


@pytest.fixture(scope="module")
def services(infra: Infrastructure) -> Iterator[list[RunningService]]:
    started: list[RunningService] = []

    async def create(names: list[str]) -> None:
        admin = await asyncpg.connect(infra.database_admin_url)
        try:
            for name in names:
                await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()

    databases = [f"svc_{name}_{uuid.uuid4().hex[:8]}" for name in SERVICES]
    asyncio.run(create(databases))
    for name, database in zip(SERVICES, databases, strict=True):
        port = free_port()
        env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap_servers,
            f"{name.upper()}_DATABASE_URL": with_database(infra.database_admin_url, database),
            f"{name.upper()}_PORT": str(port),
        }
        process = subprocess.Popen(
            ServiceProcess(name, port).command,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started.append(RunningService(name, f"http://127.0.0.1:{port}", database, process))
    yield started
    for service in started:
        service.process.terminate()
        service.process.wait(timeout=20)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as http:
        yield http


@pytest.mark.parametrize("index", range(len(SERVICES)), ids=SERVICES)
async def test_service_becomes_ready_with_database_and_kafka_reachable(
    services: list[RunningService], client: httpx.AsyncClient, index: int
) -> None:
    response = await _wait_ready(client, services[index])

    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "kafka": "ok", "projections": "ok", "outbox": "ok"},
    }


async def test_service_applied_the_event_store_migrations(
    services: list[RunningService], client: httpx.AsyncClient, infra: Infrastructure
) -> None:
    pokmas = services[0]
    await _wait_ready(client, pokmas)
    connection = await asyncpg.connect(with_database(infra.database_admin_url, pokmas.database))
    try:
        tables = {
            row["tablename"]
            for row in await connection.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            )
        }
    finally:
        await connection.close()

    assert {"events", "outbox", "projection_offsets", "schema_migrations"} <= tables


async def test_service_is_not_ready_once_its_database_is_gone(
    services: list[RunningService], client: httpx.AsyncClient, infra: Infrastructure
) -> None:
    notifications = services[2]
    await _wait_ready(client, notifications)
    admin = await asyncpg.connect(infra.database_admin_url)
    try:
        await admin.execute(f'DROP DATABASE "{notifications.database}" WITH (FORCE)')
    finally:
        await admin.close()

    response = await client.get(f"{notifications.url}/health/ready")

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["checks"]["database"] != "ok"
    assert response.json()["checks"]["kafka"] == "ok"
