"""The employment service running in the test process against the session's Kafka, with
the enrolment service beside it (klien with real profiles, their enrolments and
completions) and a feed of pokmas events (programmes and their skills) for both.

The tests share one instance of each service on databases of the package for the whole
package (each test makes its own employers, vacancies and klien, and asserts only on
those), because starting a service costs about two seconds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer

from services.employment.app import create_app as create_employment_app
from services.enrolment.app import create_app as create_enrolment_app
from tests.employment.helpers import World
from tests.enrolment.helpers import PokmasFeed
from tests.support.databases import fresh_database
from tests.support.infrastructure import Infrastructure
from tests.support.service_app import running_service


@pytest.fixture(scope="package")
async def employment_database_url(infra: Infrastructure) -> AsyncIterator[str]:
    async with fresh_database(infra.database_admin_url, prefix="employment") as url:
        yield url


@pytest.fixture(scope="package")
async def enrolment_api(
    infra: Infrastructure, kafka_bootstrap: str
) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        fresh_database(infra.database_admin_url, prefix="employment_enrolment") as url,
        running_service(
            create_enrolment_app,
            service="enrolment",
            database_url=url,
            kafka_bootstrap=kafka_bootstrap,
        ) as client,
    ):
        yield client


@pytest.fixture(scope="package")
async def api(
    employment_database_url: str, kafka_bootstrap: str
) -> AsyncIterator[httpx.AsyncClient]:
    async with running_service(
        create_employment_app,
        service="employment",
        database_url=employment_database_url,
        kafka_bootstrap=kafka_bootstrap,
    ) as client:
        yield client


@pytest.fixture(scope="package")
async def world(
    api: httpx.AsyncClient,
    enrolment_api: httpx.AsyncClient,
    employment_database_url: str,
    kafka_bootstrap: str,
) -> AsyncIterator[World]:
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka_bootstrap, acks="all", enable_idempotence=True
    )
    await producer.start()
    try:
        yield World(
            api=api,
            enrolment=enrolment_api,
            feed=PokmasFeed(producer, enrolment_api),
            database_url=employment_database_url,
        )
    finally:
        await producer.stop()


@pytest.fixture
async def database(employment_database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A direct connection to the employment service's database, to look at what it stores."""
    connection = await asyncpg.connect(employment_database_url)
    try:
        yield connection
    finally:
        await connection.close()
