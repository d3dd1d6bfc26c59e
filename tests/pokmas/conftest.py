"""The pokmas service running in the test process against the session's Kafka.

Most tests share one instance on one database for the whole package (each test makes
its own Pokmas, MoUs and programmes, and asserts only on those), because starting and
stopping a service costs about two seconds. Tests of the daily expiry job, which acts
on every MoU of its database, start instances of their own on a fresh database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI

from services.pokmas.app import create_app
from shared.eventstore.store import EventStore
from shared.runtime import ServiceRuntime
from tests.support.databases import fresh_database
from tests.support.infrastructure import Infrastructure
from tests.support.service_app import running_service


@dataclass
class PokmasInstance:
    """One running instance: its HTTP client and its runtime (for the daily job)."""

    client: httpx.AsyncClient
    runtime: ServiceRuntime

    @property
    def store(self) -> EventStore:
        return self.runtime.event_store


@asynccontextmanager
async def pokmas_instance(database_url: str, kafka_bootstrap: str) -> AsyncIterator[PokmasInstance]:
    apps: list[FastAPI] = []

    def create_and_keep() -> FastAPI:
        app = create_app()
        apps.append(app)
        return app

    async with running_service(
        create_and_keep,
        service="pokmas",
        database_url=database_url,
        kafka_bootstrap=kafka_bootstrap,
    ) as client:
        yield PokmasInstance(client, apps[0].state.runtime)


@pytest.fixture(scope="package")
async def package_database_url(infra: Infrastructure) -> AsyncIterator[str]:
    """A database shared by the package's tests (``database_url`` is one per test)."""
    async with fresh_database(infra.database_admin_url, prefix="pokmas") as url:
        yield url


@pytest.fixture(scope="package")
async def pokmas(package_database_url: str, kafka_bootstrap: str) -> AsyncIterator[PokmasInstance]:
    async with pokmas_instance(package_database_url, kafka_bootstrap) as instance:
        yield instance


@pytest.fixture
def client(pokmas: PokmasInstance) -> httpx.AsyncClient:
    return pokmas.client
