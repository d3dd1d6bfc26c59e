"""Runs a service's real ASGI app in the test process, with its lifespan (pool,
migrations, relay, projection consumers) against the session's Kafka and a fresh
database, and an HTTP client that speaks to it (with its runtime, for the tests of a
periodic job that call the job themselves); plus tokens for each role."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from uuid import UUID

import httpx
from fastapi import FastAPI

from shared.eventstore.store import EventStore
from shared.http import Role, issue_token
from shared.runtime import ServiceRuntime
from shared.settings import AuthSettings
from shared.stack.services import environment_overrides


@asynccontextmanager
async def running_service(
    create_app: Callable[[], FastAPI],
    *,
    service: str,
    database_url: str,
    kafka_bootstrap: str,
    extra_environment: dict[str, str] | None = None,
) -> AsyncIterator[httpx.AsyncClient]:
    """The service's app, started as uvicorn would start it, and a client for it."""
    values = {
        f"{service.upper()}_DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        **(extra_environment or {}),
    }
    with environment_overrides(values):
        app = create_app()
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://service.test"
        ) as client,
    ):
        yield client


@dataclass(frozen=True)
class ServiceInstance:
    """One running instance: its HTTP client and its runtime (for a periodic job)."""

    client: httpx.AsyncClient
    runtime: ServiceRuntime

    @property
    def store(self) -> EventStore:
        return self.runtime.event_store


@asynccontextmanager
async def service_instance(
    create_app: Callable[[], FastAPI], *, service: str, database_url: str, kafka_bootstrap: str
) -> AsyncIterator[ServiceInstance]:
    """:func:`running_service`, with the instance's runtime."""
    apps: list[FastAPI] = []

    def create_and_keep() -> FastAPI:
        app = create_app()
        apps.append(app)
        return app

    async with running_service(
        create_and_keep,
        service=service,
        database_url=database_url,
        kafka_bootstrap=kafka_bootstrap,
    ) as client:
        yield ServiceInstance(client, apps[0].state.runtime)


def bearer(
    role: Role,
    *,
    bapas: str | None = None,
    province: str | None = None,
    pokmas_id: UUID | None = None,
    sub: str = "tester",
) -> dict[str, str]:
    """Authorization headers for a caller of that role, signed as the services expect."""
    token = issue_token(
        AuthSettings(), role=role, sub=sub, bapas=bapas, province=province, pokmas_id=pokmas_id
    )
    return {"Authorization": f"Bearer {token}"}
