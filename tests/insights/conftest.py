"""The insights service running in the test process, reading three private topics (in
place of the pokmas, enrolment and employment topics) that the tests publish events
to, so that its figures hold only what a test put there."""

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
from services.insights.projections import figures_projection
from shared.events.envelope import Envelope, EventPayload, Source
from shared.events.registry import kafka_headers
from shared.http import Role
from tests.conftest import create_topic
from tests.insights.oracle import Oracle, Period, kept_events
from tests.support.databases import fresh_database
from tests.support.infrastructure import Infrastructure
from tests.support.service_app import bearer, running_service

WAIT_SECONDS = 60.0


@dataclass(frozen=True)
class InsightsTopics:
    pokmas: str
    enrolment: str
    employment: str

    @classmethod
    async def create(cls, bootstrap: str, prefix: str) -> InsightsTopics:
        """Three new topics, named ``<prefix>-pokmas-…`` and so on."""
        return cls(
            pokmas=await create_topic(bootstrap, prefix=f"{prefix}-pokmas"),
            enrolment=await create_topic(bootstrap, prefix=f"{prefix}-enrolment"),
            employment=await create_topic(bootstrap, prefix=f"{prefix}-employment"),
        )

    @property
    def names(self) -> list[str]:
        return [self.pokmas, self.enrolment, self.employment]

    @property
    def setting(self) -> str:
        """The service's ``INSIGHTS_TOPICS`` reading these topics."""
        return ",".join(self.names)

    def of(self, event: Envelope[EventPayload]) -> str:
        return {Source.POKMAS: self.pokmas, Source.EMPLOYMENT: self.employment}.get(
            event.source, self.enrolment
        )


async def publish(
    bootstrap: str, topics: InsightsTopics, events: Sequence[Envelope[EventPayload]]
) -> None:
    """Publish events in order as the services' relays do: value the envelope's JSON,
    key the office, headers the type; each office's events keep their order in its
    partition (sent together, acknowledged together)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        sent = [
            await producer.send(
                topics.of(event),
                event.model_dump_json().encode(),
                key=event.bapas_code.encode(),
                headers=kafka_headers(
                    event_id=event.event_id,
                    event_type=event.event_type,
                    schema_version=event.schema_version,
                ),
            )
            for event in events
        ]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def wait_until_counted(api: httpx.AsyncClient, events: int) -> None:
    """Wait (bounded) until the projection applied ``events`` events in all.

    The events of a history travel on several topics and partitions, so the newest
    ``as_of`` alone does not say that every one of them was applied.
    """
    headers = bearer(Role.MINISTRY)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    freshness: dict[str, Any] = {}
    while loop.time() < deadline:
        freshness = (await api.get("/api/v1/as-of", headers=headers)).json()
        if freshness["events_applied"] >= events:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(
        f"the projection did not apply {events} events in {WAIT_SECONDS} s: {freshness}"
    )


async def wait_until_all_applied(
    api: httpx.AsyncClient, events: Sequence[Envelope[EventPayload]]
) -> None:
    """Wait (bounded) until the projection applied every event of ``events`` it reads:
    each once, of the offices the reference data knows."""
    handled = figures_projection([]).event_types
    await wait_until_counted(api, sum(e.event_type in handled for e in kept_events(events)))


@pytest.fixture(scope="module")
async def insights_topics(kafka_bootstrap: str) -> InsightsTopics:
    return await InsightsTopics.create(kafka_bootstrap, "insights")


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
            extra_environment={"INSIGHTS_TOPICS": topics.setting},
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
