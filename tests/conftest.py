"""Session-wide fixtures: the real Kafka and PostgreSQL, fresh databases and topics."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError

from shared.kafka.connection import KafkaConnection
from shared.kafka.topics import create_topics
from tests.support.databases import fresh_database
from tests.support.infrastructure import Infrastructure, infrastructure

# The suite runs the services with the development secret, as ``make up`` does; the
# services trust it only with this said explicitly (tests of the refusal monkeypatch it).
os.environ.setdefault("BAPAS_ENVIRONMENT", "development")


@pytest.fixture(scope="session")
def infra() -> Iterator[Infrastructure]:
    """The broker and server of the session, with the contract's topics created."""
    with infrastructure() as found:
        asyncio.run(create_topics(KafkaConnection.to(found.kafka_bootstrap_servers)))
        yield found


@pytest.fixture(scope="session")
def kafka_bootstrap(infra: Infrastructure) -> str:
    return infra.kafka_bootstrap_servers


@pytest.fixture
async def database_url(infra: Infrastructure) -> AsyncIterator[str]:
    """A new, empty database for one test, dropped afterwards."""
    async with fresh_database(infra.database_admin_url) as url:
        yield url


async def create_topic(bootstrap: str, partitions: int = 12, prefix: str = "test") -> str:
    """A new topic with a unique name, so tests never see each other's messages."""
    name = f"{prefix}.{uuid.uuid4().hex[:12]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(name=name, num_partitions=partitions, replication_factor=1)]
        )
    finally:
        await admin.close()
    return name


async def recreate_topics(bootstrap: str, topics: list[str], partitions: int = 12) -> None:
    """Delete ``topics`` and create them again under the same names (new topic ids), as
    an operator restoring or replacing them would; within a minute."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.delete_topics(topics)
        async with asyncio.timeout(60.0):
            while True:  # the deletion completes in the background
                with contextlib.suppress(KafkaError):
                    response = await admin.create_topics(
                        [
                            NewTopic(name=t, num_partitions=partitions, replication_factor=1)
                            for t in topics
                        ]
                    )
                    if all(code == 0 for _, code, *_ in response.topic_errors):
                        return
                await asyncio.sleep(0.5)
    finally:
        await admin.close()


@pytest.fixture
async def topic(kafka_bootstrap: str) -> str:
    return await create_topic(kafka_bootstrap)
