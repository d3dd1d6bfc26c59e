"""The enrolment service running in the test process against the session's Kafka, and
a feed of pokmas events for its projection.

The tests share one instance on one database for the whole package (each test makes
its own klien, Pokmas, MoUs and programmes, and asserts only on those), because
starting a service costs about two seconds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI

from services.enrolment.app import create_app
from shared.eventstore.store import EventStore
from shared.runtime import ServiceRuntime
from tests.enrolment.helpers import PokmasFeed
from tests.support.databases import fresh_database
from tests.support.infrastructure import Infrastructure
from tests.support.service_app import running_service


@dataclass(frozen=True)
class EnrolmentInstance:
    """One running instance: its HTTP client and its runtime (for the daily check)."""

    client: httpx.AsyncClient
    runtime: ServiceRuntime

    @property
    def store(self) -> EventStore:
        return self.runtime.event_store


@asynccontextmanager
async def enrolment_instance(
    database_url: str, kafka_bootstrap: str
) -> AsyncIterator[EnrolmentInstance]:
    """An instance on ``database_url`` of its own (the check acts on every klien of it)."""
    apps: list[FastAPI] = []

    def create_and_keep() -> FastAPI:
        app = create_app()
        apps.append(app)
        return app

    async with running_service(
        create_and_keep,
        service="enrolment",
        database_url=database_url,
        kafka_bootstrap=kafka_bootstrap,
    ) as client:
        yield EnrolmentInstance(client, apps[0].state.runtime)


@pytest.fixture(scope="package")
async def package_database_url(infra: Infrastructure) -> AsyncIterator[str]:
    """A database shared by the package's tests (``database_url`` is one per test)."""
    async with fresh_database(infra.database_admin_url, prefix="enrolment") as url:
        yield url


@pytest.fixture(scope="package")
async def api(package_database_url: str, kafka_bootstrap: str) -> AsyncIterator[httpx.AsyncClient]:
    async with running_service(
        create_app,
        service="enrolment",
        database_url=package_database_url,
        kafka_bootstrap=kafka_bootstrap,
    ) as client:
        yield client


@pytest.fixture(scope="package")
async def feed(kafka_bootstrap: str, api: httpx.AsyncClient) -> AsyncIterator[PokmasFeed]:
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka_bootstrap, acks="all", enable_idempotence=True
    )
    await producer.start()
    try:
        yield PokmasFeed(producer, api)
    finally:
        await producer.stop()


@pytest.fixture
async def database(package_database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A direct connection to the service's database, to look at what it stores."""
    connection = await asyncpg.connect(package_database_url)
    try:
        yield connection
    finally:
        await connection.close()
