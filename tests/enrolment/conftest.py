"""The enrolment service running in the test process against the session's Kafka, and
a feed of pokmas events for its projection.

The tests share one instance on one database for the whole package (each test makes
its own klien, Pokmas, MoUs and programmes, and asserts only on those), because
starting a service costs about two seconds. Tests of the check of wajib lapor, which
acts on every klien of its database, start instances of their own on a fresh database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer

from services.enrolment.app import create_app
from tests.enrolment.helpers import PokmasFeed
from tests.support.databases import fresh_database
from tests.support.infrastructure import Infrastructure
from tests.support.service_app import ServiceInstance, running_service, service_instance

EnrolmentInstance = ServiceInstance


def enrolment_instance(
    database_url: str, kafka_bootstrap: str
) -> AbstractAsyncContextManager[ServiceInstance]:
    """An instance on ``database_url`` (one of its own for the tests of a periodic job,
    which acts on everything in its database)."""
    return service_instance(
        create_app, service="enrolment", database_url=database_url, kafka_bootstrap=kafka_bootstrap
    )


def enrolment_with(
    database_url: str, kafka_bootstrap: str, environment: Mapping[str, str] | None = None
) -> AbstractAsyncContextManager[httpx.AsyncClient]:
    """An instance of its own on ``database_url``, with ``environment`` besides (its keys,
    say): the client to call it."""
    return running_service(
        create_app,
        service="enrolment",
        database_url=database_url,
        kafka_bootstrap=kafka_bootstrap,
        extra_environment=dict(environment or {}),
    )


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
