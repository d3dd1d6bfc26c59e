"""Runs a service's real ASGI app in the test process, with its lifespan (pool,
migrations, relay, projection consumers) against the session's Kafka and a fresh
database, and an HTTP client that speaks to it; plus tokens for each role."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from uuid import UUID

import httpx
from fastapi import FastAPI

from shared.http import Role, issue_token
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
