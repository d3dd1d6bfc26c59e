"""A topic created anew under a running projection: the service says so and skips nothing.

The insights service reads three private topics. Once it has applied one history, all
three topics are deleted and created again under the same names, and another history (with
more events than the first, so that the old offsets lie *inside* the new topics and only
the topics' ids tell them apart) is published. Readiness must turn 503 naming the topic
and the rebuild to run, nothing of the new history may be applied on top of the old
one, and once rebuilt, the figures are those of the new history, every event counted.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx

from services.insights.projections import figures_projection
from shared.kafka.connection import KafkaConnection
from shared.projections import rebuild_projection
from tests.conftest import recreate_topics
from tests.insights.conftest import (
    WAIT_SECONDS,
    InsightsTopics,
    expected_totals,
    insights_service,
    national_totals,
    publish,
    wait_until_all_applied,
)
from tests.insights.oracle import Oracle
from tests.insights.scenario import build_scenario
from tests.support.infrastructure import Infrastructure


async def _until(api: httpx.AsyncClient, status: int) -> httpx.Response:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    while True:
        response = await api.get("/health/ready")
        if response.status_code == status:
            return response
        assert loop.time() < deadline, f"readiness stayed {response.status_code}: {response.text}"
        await asyncio.sleep(0.2)


async def test_a_topic_created_anew_stops_the_projection_until_it_is_rebuilt(
    infra: Infrastructure, kafka_bootstrap: str
) -> None:
    now = datetime.now(UTC)
    # Histories without wajib lapor, whose topics Kafka deletes quickly: while a topic
    # takes longer to delete, the consumer may see it gone and, once it is back but not
    # yet refilled, halt on offsets past its end before the topic's new id is compared.
    first = build_scenario(seed=11, now=now, supervision=False)
    second = build_scenario(seed=12, now=now, supervision=False) + build_scenario(
        seed=13, now=now, supervision=False
    )
    assert len(second) > len(first)
    topics = await InsightsTopics.create(kafka_bootstrap, "recreated")
    names = topics.names
    await publish(kafka_bootstrap, topics, first)

    async with insights_service(infra, kafka_bootstrap, topics) as (database_url, api):
        await wait_until_all_applied(api, first)
        assert (await api.get("/health/ready")).status_code == 200
        applied_first = await national_totals(api)
        assert applied_first == expected_totals(Oracle(first))

        await recreate_topics(kafka_bootstrap, names)
        await publish(kafka_bootstrap, topics, second)

        refused = await _until(api, 503)
        detail = refused.json()["detail"]
        assert any(name in detail for name in names), detail
        assert "created anew" in detail
        assert "`bapas projection rebuild insights figures`" in detail
        await asyncio.sleep(1.0)
        assert await national_totals(api) == applied_first, "nothing applied meanwhile"

        progress = await rebuild_projection(
            figures_projection(names),
            kafka=KafkaConnection.to(kafka_bootstrap),
            database_url=database_url,
        )

        assert progress.processed == progress.total == len(second)
        await _until(api, 200)
        await wait_until_all_applied(api, second)
        assert await national_totals(api) == expected_totals(Oracle(second))
