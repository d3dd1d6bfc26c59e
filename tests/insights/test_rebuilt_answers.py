"""A running insights instance answers from the rebuilt figures, not from answers it
kept before the rebuild.

A rebuild applies the same events again, so the count of events applied ends where it
was; an answer kept for that count must still not be served. To tell a kept answer
from a fresh one, a counter is made wrong by hand and the figures asked once (the
wrong answer is kept); after the rebuild the answer is the events' again.
"""

from __future__ import annotations

import asyncpg

from services.insights.projections import figures_projection
from shared.kafka.connection import KafkaConnection
from shared.projections import rebuild_projection
from tests.insights.conftest import (
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


async def _miscount(database_url: str) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute("UPDATE daily_counts SET enrolments = enrolments + 1000")
    finally:
        await connection.close()


async def test_answers_kept_before_a_rebuild_are_not_served_after_it(
    infra: Infrastructure, kafka_bootstrap: str
) -> None:
    events = build_scenario(seed=21)
    topics = await InsightsTopics.create(kafka_bootstrap, "rebuilt")
    await publish(kafka_bootstrap, topics, events)
    expected = expected_totals(Oracle(events))

    async with insights_service(infra, kafka_bootstrap, topics) as (database_url, api):
        await wait_until_all_applied(api, events)
        await _miscount(database_url)
        miscounted = await national_totals(api)
        progress = await rebuild_projection(
            figures_projection(topics.names),
            kafka=KafkaConnection.to(kafka_bootstrap),
            database_url=database_url,
        )
        rebuilt = await national_totals(api)

    assert miscounted != expected
    assert progress.processed == progress.total == len(events)
    assert rebuilt == expected
