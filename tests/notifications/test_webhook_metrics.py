"""``/metrics`` counts webhook deliveries by outcome (``bapas_webhook_deliveries_total``):
a delivery the receiver accepts is ``delivered``; one it keeps refusing is ``retrying``
after each failed attempt but the last, then ``gave_up`` once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from uuid import uuid4

from prometheus_client.parser import text_string_to_metric_families

from tests.notifications.conftest import MAX_ATTEMPTS, Notifications
from tests.notifications.receivers import eventually
from tests.notifications.webhook_support import caller, settled_deliveries_to, subscribe
from tests.notifications.world import World

METRIC = "bapas_webhook_deliveries"
OUTCOMES = ("delivered", "retrying", "gave_up", "cancelled")


async def webhook_deliveries(notifications: Notifications) -> dict[str, float]:
    """The counter's value per outcome, as a Prometheus server scrapes it."""
    response = await notifications.client.get("/metrics")
    assert response.status_code == 200
    [family] = [f for f in text_string_to_metric_families(response.text) if f.name == METRIC]
    return {
        sample.labels["outcome"]: sample.value
        for sample in family.samples
        if sample.name == f"{METRIC}_total"
    }


async def counted_since(
    notifications: Notifications, before: dict[str, float], attempts: int
) -> dict[str, float]:
    """What the counter added per outcome since ``before``, once it counted ``attempts``
    (the worker counts an outcome just after recording it)."""

    async def added() -> dict[str, float]:
        now = await webhook_deliveries(notifications)
        change = {outcome: now[outcome] - before[outcome] for outcome in OUTCOMES}
        return change if sum(change.values()) >= attempts else {}

    return await eventually(added)


@asynccontextmanager
async def subscribed(notifications: Notifications, path: str) -> AsyncIterator[dict[str, Any]]:
    """A subscription to MoUSigned at ``path``, deleted afterwards so that the next
    test's events are not delivered to it."""
    subscription = await subscribe(
        notifications,
        url=notifications.http.url(path),
        event_types=["MoUSigned"],
        secret="a-secret-of-the-subscriber",
    )
    try:
        yield subscription
    finally:
        response = await notifications.client.delete(
            f"/api/v1/subscriptions/{subscription['id']}", headers=caller("tester")
        )
        assert response.status_code == 204


async def test_every_outcome_is_exposed_before_it_happens(notifications: Notifications) -> None:
    assert set(await webhook_deliveries(notifications)) == set(OUTCOMES)


async def test_a_delivery_the_receiver_accepts_is_counted_as_delivered(
    notifications: Notifications,
) -> None:
    path = f"/hooks/{uuid4().hex}"
    before = await webhook_deliveries(notifications)
    async with subscribed(notifications, path) as subscription:
        await World().publish_setup(notifications.publisher, until="MoUSigned")

        [delivery] = await settled_deliveries_to(notifications, subscription, 1)
        added = await counted_since(notifications, before, attempts=1)

    assert delivery["status"] == "sent"
    assert added == {"delivered": 1, "retrying": 0, "gave_up": 0, "cancelled": 0}


async def test_a_receiver_that_keeps_failing_is_counted_retrying_then_gave_up(
    notifications: Notifications,
) -> None:
    path = f"/hooks/{uuid4().hex}"
    notifications.http.fail(path)
    before = await webhook_deliveries(notifications)
    async with subscribed(notifications, path) as subscription:
        await World().publish_setup(notifications.publisher, until="MoUSigned")

        [delivery] = await settled_deliveries_to(notifications, subscription, 1)
        added = await counted_since(notifications, before, attempts=MAX_ATTEMPTS)

    assert (delivery["status"], delivery["attempts"]) == ("failed", MAX_ATTEMPTS)
    assert added == {"delivered": 0, "retrying": MAX_ATTEMPTS - 1, "gave_up": 1, "cancelled": 0}
