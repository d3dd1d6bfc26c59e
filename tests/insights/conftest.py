"""The insights service running in the test process, reading two private topics that
the tests publish events to, so that its figures hold only what a test put there."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from services.insights.app import create_app
from shared.events.envelope import Envelope, EventPayload, Source
from shared.events.registry import kafka_headers
from shared.http import Role
from tests.conftest import create_topic
from tests.insights.oracle import Oracle, Period
from tests.support.databases import fresh_database
from tests.support.infrastructure import Infrastructure
from tests.support.service_app import bearer, running_service

WAIT_SECONDS = 60.0


@dataclass(frozen=True)
class InsightsTopics:
    pokmas: str
    enrolment: str

    def of(self, event: Envelope[EventPayload]) -> str:
        return self.pokmas if event.source is Source.POKMAS else self.enrolment


async def publish(
    bootstrap: str, topics: InsightsTopics, events: Sequence[Envelope[EventPayload]]
) -> None:
    """Publish events as the services' relays do: keyed by office, typed by headers."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for event in events:
            await producer.send_and_wait(
                topics.of(event),
                event.model_dump_json().encode(),
                key=event.bapas_code.encode(),
                headers=kafka_headers(
                    event_id=event.event_id,
                    event_type=event.event_type,
                    schema_version=event.schema_version,
                ),
            )
    finally:
        await producer.stop()


async def wait_until_applied(api: httpx.AsyncClient, recorded_at: datetime) -> None:
    """Wait until the figures are as of ``recorded_at`` (bounded)."""
    headers = bearer(Role.MINISTRY)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    while loop.time() < deadline:
        answer = (await api.get("/api/v1/as-of", headers=headers)).json()
        if answer["as_of"] and datetime.fromisoformat(answer["as_of"]) >= recorded_at:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"the figures did not reach {recorded_at} within {WAIT_SECONDS} s")


@pytest.fixture(scope="module")
async def insights_topics(kafka_bootstrap: str) -> InsightsTopics:
    return InsightsTopics(
        pokmas=await create_topic(kafka_bootstrap, prefix="insights-pokmas"),
        enrolment=await create_topic(kafka_bootstrap, prefix="insights-enrolment"),
    )


async def national_totals(api: httpx.AsyncClient) -> dict[str, Any]:
    """The national totals the API answers the ministry."""
    response = await api.get("/api/v1/figures", headers=bearer(Role.MINISTRY))
    assert response.status_code == 200, response.text
    totals: dict[str, Any] = response.json()["totals"]
    return totals


def expected_totals(oracle: Oracle) -> dict[str, Any]:
    """The national totals the events make, by the oracle."""
    totals: dict[str, Any] = oracle.answer("national", None, Period(), datetime.now(UTC))["totals"]
    return totals


@asynccontextmanager
async def insights_service(
    infra: Infrastructure, kafka_bootstrap: str, topics: InsightsTopics
) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    """The service on a database of its own (its URL, and a client of the service),
    reading ``topics``."""
    async with (
        fresh_database(infra.database_admin_url, prefix="insights") as url,
        running_service(
            create_app,
            service="insights",
            database_url=url,
            kafka_bootstrap=kafka_bootstrap,
            extra_environment={"INSIGHTS_TOPICS": f"{topics.pokmas},{topics.enrolment}"},
        ) as client,
    ):
        yield url, client


@pytest.fixture(scope="module")
async def insights_api(
    infra: Infrastructure, kafka_bootstrap: str, insights_topics: InsightsTopics
) -> AsyncIterator[httpx.AsyncClient]:
    """The service reading the module's private topics (one instance at a time:
    instances of one projection share a consumer group)."""
    async with insights_service(infra, kafka_bootstrap, insights_topics) as (_, client):
        yield client
