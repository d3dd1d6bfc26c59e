"""The four services, started as uvicorn processes with ``BAPAS_LOG_FORMAT=json``, write
one JSON object per line on stderr; a request sent with ``X-Correlation-ID`` has its
line carrying that id, and a command's event carries the same id on its topic."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest

from shared.http import Role
from shared.kafka.topics import ENROLMENT_EVENTS, POKMAS_EVENTS
from shared.postgres.urls import with_database
from shared.stack.services import ServiceProcess
from tests.enrolment.helpers import client_body
from tests.pokmas.helpers import OFFICER, pokmas_body, published_events
from tests.support.infrastructure import Infrastructure
from tests.support.ports import free_port
from tests.support.service_app import bearer

SERVICES = ("pokmas", "enrolment", "notifications", "insights")
MINISTRY = bearer(Role.MINISTRY)
REQUEST_LOGGER = "shared.http.request"


@dataclass
class LoggingService:
    name: str
    url: str
    database: str
    log_file: Path
    process: subprocess.Popen[bytes]

    def lines(self) -> list[dict[str, Any]]:
        """Every line the service wrote to stderr so far, each parsed as JSON."""
        return [json.loads(line) for line in self.log_file.read_text().splitlines()]

    async def line_of(self, correlation_id: UUID) -> dict[str, Any]:
        """The request line carrying ``correlation_id``, once written (after the answer)."""
        async with asyncio.timeout(10):
            while True:
                found = [
                    line
                    for line in self.lines()
                    if line.get("correlation_id") == str(correlation_id)
                    and line["logger"] == REQUEST_LOGGER
                ]
                if found:
                    [line] = found
                    return line
                await asyncio.sleep(0.1)


async def _databases(admin_url: str, statement: str, names: list[str]) -> None:
    admin = await asyncpg.connect(admin_url)
    try:
        for name in names:
            await admin.execute(statement.format(name=name))
    finally:
        await admin.close()


async def _wait_ready(service: LoggingService) -> None:
    async with httpx.AsyncClient(timeout=5) as client, asyncio.timeout(90):
        while True:
            assert service.process.poll() is None, f"{service.name} exited: {service.log_file}"
            try:
                if (await client.get(f"{service.url}/health/ready")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.3)


@pytest.fixture(scope="module")
def services(
    infra: Infrastructure, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, LoggingService]]:
    logs = tmp_path_factory.mktemp("service-logs")
    databases = [f"logs_{name}_{uuid.uuid4().hex[:8]}" for name in SERVICES]
    asyncio.run(_databases(infra.database_admin_url, 'CREATE DATABASE "{name}"', databases))
    started: dict[str, LoggingService] = {}
    try:
        for name, database in zip(SERVICES, databases, strict=True):
            port = free_port()
            env = {
                **os.environ,
                "BAPAS_LOG_FORMAT": "json",
                "BAPAS_LOG_LEVEL": "INFO",
                "KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap_servers,
                f"{name.upper()}_DATABASE_URL": with_database(infra.database_admin_url, database),
                f"{name.upper()}_PORT": str(port),
            }
            log_file = logs / f"{name}.log"
            with log_file.open("wb") as stderr:
                process = subprocess.Popen(
                    ServiceProcess(name, port).command,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=stderr,
                )
            started[name] = LoggingService(
                name, f"http://127.0.0.1:{port}", database, log_file, process
            )
        for service in started.values():
            asyncio.run(_wait_ready(service))
        yield started
    finally:
        for service in started.values():
            service.process.terminate()
        for service in started.values():
            service.process.wait(timeout=30)
        asyncio.run(
            _databases(
                infra.database_admin_url, 'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', databases
            )
        )


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as http:
        yield http


async def send(
    client: httpx.AsyncClient, service: LoggingService, correlation_id: UUID
) -> httpx.Response:
    """A command where the service has one, a read where it has none."""
    headers = {"X-Correlation-ID": str(correlation_id)}
    match service.name:
        case "pokmas":
            return await client.post(
                f"{service.url}/api/v1/pokmas", json=pokmas_body(), headers=OFFICER | headers
            )
        case "enrolment":
            return await client.post(
                f"{service.url}/api/v1/clients", json=client_body(), headers=OFFICER | headers
            )
        case "notifications":
            return await client.get(
                f"{service.url}/api/v1/notifications", headers=MINISTRY | headers
            )
        case _:
            return await client.get(f"{service.url}/api/v1/figures", headers=MINISTRY | headers)


EXPECTED_LINES = {
    "pokmas": ("POST", "/api/v1/pokmas", 201, "balikpapan"),
    "enrolment": ("POST", "/api/v1/clients", 201, "balikpapan"),
    "notifications": ("GET", "/api/v1/notifications", 200, None),
    "insights": ("GET", "/api/v1/figures", 200, None),
}


@pytest.mark.parametrize("name", SERVICES)
async def test_a_request_is_a_json_line_with_its_correlation_id(
    services: dict[str, LoggingService], client: httpx.AsyncClient, name: str
) -> None:
    service, correlation_id = services[name], uuid.uuid4()

    response = await send(client, service, correlation_id)
    line = await service.line_of(correlation_id)

    method, route, status, bapas_code = EXPECTED_LINES[name]
    assert response.status_code == status, response.text
    assert response.headers["X-Correlation-ID"] == str(correlation_id)
    assert (line["level"], line["message"], line["service"]) == ("info", "request", name)
    assert (line["method"], line["route"], line["status"]) == (method, route, status)
    assert line.get("bapas_code") == bapas_code
    assert datetime.fromisoformat(line["time"]).utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("name", "topic"), [("pokmas", POKMAS_EVENTS), ("enrolment", ENROLMENT_EVENTS)]
)
async def test_a_command_event_carries_the_correlation_id_of_its_log_line(
    services: dict[str, LoggingService],
    client: httpx.AsyncClient,
    kafka_bootstrap: str,
    name: str,
    topic: str,
) -> None:
    service = services[name]

    response = await send(client, service, uuid.uuid4())
    line = await service.line_of(UUID(response.headers["X-Correlation-ID"]))
    published = await published_events(
        kafka_bootstrap, {UUID(response.json()["id"])}, count=1, topic=topic
    )

    assert published  # a release records two events (the klien, its wajib lapor): both
    for _, event in published:
        assert str(event.correlation_id) == line["correlation_id"]


async def test_a_request_without_a_usable_correlation_id_gets_a_new_one(
    services: dict[str, LoggingService], client: httpx.AsyncClient
) -> None:
    service = services["insights"]

    response = await client.get(
        f"{service.url}/api/v1/figures", headers=MINISTRY | {"X-Correlation-ID": "12345"}
    )
    correlation_id = UUID(response.headers["X-Correlation-ID"])

    assert (await service.line_of(correlation_id))["status"] == 200


async def test_no_line_carries_the_klien_nik_or_name(
    services: dict[str, LoggingService], client: httpx.AsyncClient
) -> None:
    service = services["enrolment"]
    body = client_body()

    response = await client.post(f"{service.url}/api/v1/clients", json=body, headers=OFFICER)
    await service.line_of(UUID(response.headers["X-Correlation-ID"]))

    written = service.log_file.read_text()
    assert response.status_code == 201
    assert body["profile"]["nik"] not in written
    assert body["profile"]["full_name"] not in written


@pytest.mark.parametrize("name", SERVICES)
async def test_every_line_on_stderr_is_a_json_object_naming_the_service(
    services: dict[str, LoggingService], name: str
) -> None:
    lines = services[name].lines()

    assert lines, "the service wrote nothing"
    assert {line["service"] for line in lines} == {name}
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
