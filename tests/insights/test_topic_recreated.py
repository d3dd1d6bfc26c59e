"""A topic created anew under a running projection: the service says so and skips nothing.

The insights service reads two private topics. Once it has applied one history, both
topics are deleted and created again under the same names, and another history (with
more events than the first, so that the old offsets lie *inside* the new topics and only
the topics' ids tell them apart) is published. Readiness must turn 503 naming the topic
and the rebuild to run, nothing of the new history may be applied on top of the old
one, and once rebuilt, the figures are those of the new history, every event counted.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx

from services.insights.app import create_app
from services.insights.projections import figures_projection
from shared.http import Role
from shared.kafka.connection import KafkaConnection
from shared.projections import rebuild_projection
from tests.conftest import create_topic, recreate_topics
from tests.insights.conftest import InsightsTopics, publish, wait_until_applied
from tests.insights.oracle import Oracle, Period
from tests.insights.scenario import build_scenario
from tests.support.databases import fresh_database
from tests.support.infrastructure import Infrastructure
from tests.support.service_app import bearer, running_service

MINISTRY = bearer(Role.MINISTRY)
WAIT_SECONDS = 60.0


async def _readiness(api: httpx.AsyncClient) -> httpx.Response:
    return await api.get("/health/ready")


async def _until(api: httpx.AsyncClient, status: int) -> httpx.Response:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    while True:
        response = await _readiness(api)
        if response.status_code == status:
            return response
        assert loop.time() < deadline, f"readiness stayed {response.status_code}: {response.text}"
        await asyncio.sleep(0.2)


async def _national_totals(api: httpx.AsyncClient) -> dict[str, Any]:
    response = await api.get("/api/v1/figures", headers=MINISTRY)
    assert response.status_code == 200, response.text
    totals: dict[str, Any] = response.json()["totals"]
    return totals


def _expected_totals(oracle: Oracle) -> dict[str, Any]:
    totals: dict[str, Any] = oracle.answer("national", None, Period(), datetime.now(UTC))["totals"]
    return totals


async def test_a_topic_created_anew_stops_the_projection_until_it_is_rebuilt(
    infra: Infrastructure, kafka_bootstrap: str
) -> None:
    now = datetime.now(UTC)
    first = build_scenario(seed=11, now=now)
    second = build_scenario(seed=12, now=now) + build_scenario(seed=13, now=now)
    assert len(second) > len(first)
    topics = InsightsTopics(
        pokmas=await create_topic(kafka_bootstrap, prefix="recreated-pokmas"),
        enrolment=await create_topic(kafka_bootstrap, prefix="recreated-enrolment"),
    )
    names = [topics.pokmas, topics.enrolment]
    await publish(kafka_bootstrap, topics, first)

    async with (
        fresh_database(infra.database_admin_url, prefix="insights") as database_url,
        running_service(
            create_app,
            service="insights",
            database_url=database_url,
            kafka_bootstrap=kafka_bootstrap,
            extra_environment={"INSIGHTS_TOPICS": ",".join(names)},
        ) as api,
    ):
        await wait_until_applied(api, max(e.recorded_at for e in first))
        assert (await _readiness(api)).status_code == 200
        applied_first = await _national_totals(api)
        assert applied_first == _expected_totals(Oracle(first))

        await recreate_topics(kafka_bootstrap, names)
        await publish(kafka_bootstrap, topics, second)

        refused = await _until(api, 503)
        detail = refused.json()["detail"]
        assert any(name in detail for name in names), detail
        assert "created anew" in detail
        assert "`bapas projection rebuild insights figures`" in detail
        await asyncio.sleep(1.0)
        assert await _national_totals(api) == applied_first, "nothing applied meanwhile"

        progress = await rebuild_projection(
            figures_projection(names),
            kafka=KafkaConnection.to(kafka_bootstrap),
            database_url=database_url,
        )

        assert progress.processed == progress.total == len(second)
        await _until(api, 200)
        await wait_until_applied(api, max(e.recorded_at for e in second))
        assert await _national_totals(api) == _expected_totals(Oracle(second))
