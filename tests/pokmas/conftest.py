"""The pokmas service running in the test process against the session's Kafka.

Most tests share one instance on one database for the whole package (each test makes
its own Pokmas, MoUs and programmes, and asserts only on those), because starting and
stopping a service costs about two seconds. Tests of the daily expiry job, which acts
on every MoU of its database, start instances of their own on a fresh database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager

import httpx
import pytest

from services.pokmas.app import create_app
from tests.support.databases import fresh_database
from tests.support.infrastructure import Infrastructure
from tests.support.service_app import ServiceInstance, service_instance

PokmasInstance = ServiceInstance


def pokmas_instance(
    database_url: str, kafka_bootstrap: str
) -> AbstractAsyncContextManager[ServiceInstance]:
    """An instance on ``database_url`` (one of its own for the tests of a periodic job,
    which acts on everything in its database)."""
    return service_instance(
        create_app, service="pokmas", database_url=database_url, kafka_bootstrap=kafka_bootstrap
    )


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
