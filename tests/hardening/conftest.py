"""The services the hardening tests attack, each running in the test process against
the session's Kafka and a database of its own, shared by the whole package.

Each test makes its own Pokmas, MoUs and klien (with a unique marker in a text) and
asserts only on those, so the tests can share one instance of each service.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer

from services.enrolment.app import create_app as create_enrolment_app
from tests.enrolment.helpers import PokmasFeed, Programme
from tests.notifications.conftest import (
    RECENT_EVENTS_ONLY,
    Notifications,
    running_notifications,
)
from tests.pokmas.conftest import PokmasInstance, pokmas_instance
from tests.support.databases import fresh_database
from tests.support.infrastructure import Infrastructure
from tests.support.service_app import running_service


@pytest.fixture(scope="package")
async def pokmas_database_url(infra: Infrastructure) -> AsyncIterator[str]:
    async with fresh_database(infra.database_admin_url, prefix="hardening_pokmas") as url:
        yield url


@pytest.fixture(scope="package")
async def pokmas(pokmas_database_url: str, kafka_bootstrap: str) -> AsyncIterator[PokmasInstance]:
    async with pokmas_instance(pokmas_database_url, kafka_bootstrap) as instance:
        yield instance


@pytest.fixture
async def pokmas_db(pokmas_database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A direct connection to the pokmas service's database, to see what it stored."""
    connection = await asyncpg.connect(pokmas_database_url)
    try:
        yield connection
    finally:
        await connection.close()


@pytest.fixture(scope="package")
async def enrolment_database_url(infra: Infrastructure) -> AsyncIterator[str]:
    async with fresh_database(infra.database_admin_url, prefix="hardening_enrolment") as url:
        yield url


@pytest.fixture(scope="package")
async def enrolment_api(
    enrolment_database_url: str, kafka_bootstrap: str
) -> AsyncIterator[httpx.AsyncClient]:
    async with running_service(
        create_enrolment_app,
        service="enrolment",
        database_url=enrolment_database_url,
        kafka_bootstrap=kafka_bootstrap,
    ) as client:
        yield client


@pytest.fixture
async def enrolment_db(enrolment_database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A direct connection to the enrolment service's database, to see what it stored."""
    connection = await asyncpg.connect(enrolment_database_url)
    try:
        yield connection
    finally:
        await connection.close()


@pytest.fixture(scope="package")
async def feed(kafka_bootstrap: str, enrolment_api: httpx.AsyncClient) -> AsyncIterator[PokmasFeed]:
    """Publishes pokmas events for the enrolment service's projection of programmes."""
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka_bootstrap, acks="all", enable_idempotence=True
    )
    await producer.start()
    try:
        yield PokmasFeed(producer, enrolment_api)
    finally:
        await producer.stop()


@pytest.fixture(scope="package")
async def programme(feed: PokmasFeed) -> Programme:
    """An open programme the enrolment service knows, for tests that need an enrolment."""
    return await feed.open_programme(capacity=500, sessions_planned=100)


@pytest.fixture(scope="package")
async def notifications(
    infra: Infrastructure, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Notifications]:
    async with running_notifications(
        infra,
        kafka_bootstrap,
        tmp_path_factory.mktemp("hardening-mail"),
        environment=RECENT_EVENTS_ONLY,
    ) as service:
        yield service
