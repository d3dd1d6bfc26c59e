"""One receiver never holds up the others: deliveries to different receivers run
concurrently (a bounded number per receiver), and a receiver that keeps failing is
paused (circuit breaker) while everyone else's deliveries go on.

The slow receiver holds its answers until the test lets them go, so "the fast one was
served meanwhile" is an order of events, not a measure of time. This module's service
has a long deadline (nothing here may time out by accident) and a low breaker
threshold.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from shared.http import Role
from tests.notifications.conftest import (
    RECENT_EVENTS_ONLY,
    Notifications,
    running_notifications,
)
from tests.notifications.receivers import eventually, http_receiver
from tests.notifications.webhook_support import (
    database,
    deliveries_to,
    subscribe,
)
from tests.notifications.world import World
from tests.support.infrastructure import Infrastructure
from tests.support.service_app import bearer

PER_RECEIVER = 2
BREAKER_FAILURES = 4
SETTINGS = {
    **RECENT_EVENTS_ONLY,
    "NOTIFICATIONS_WEBHOOK_TIMEOUT_SECONDS": "60",
    "NOTIFICATIONS_DELIVERY_LEASE_SECONDS": "120",
    "NOTIFICATIONS_WEBHOOK_RECEIVER_CONCURRENCY": str(PER_RECEIVER),
    "NOTIFICATIONS_WEBHOOK_BREAKER_FAILURES": str(BREAKER_FAILURES),
    "NOTIFICATIONS_WEBHOOK_BREAKER_PAUSE_SECONDS": "3600",
    "NOTIFICATIONS_MAX_ATTEMPTS": "10",
}


@pytest.fixture(scope="module")
async def notifications(
    infra: Infrastructure, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Notifications]:
    async with running_notifications(
        infra, kafka_bootstrap, tmp_path_factory.mktemp("mail"), environment=SETTINGS
    ) as service:
        yield service


async def subscription(notifications: Notifications, subscription_id: str) -> dict[str, Any]:
    response = await notifications.client.get(
        f"/api/v1/subscriptions/{subscription_id}", headers=bearer(Role.SERVICE)
    )
    assert response.status_code == 200, response.text
    shown: dict[str, Any] = response.json()
    return shown


async def publish_mou_signed(notifications: Notifications, count: int) -> None:
    """``count`` MoUSigned of one Bapas (one partition: read in this order)."""
    for _ in range(count):
        await World().publish_setup(notifications.publisher, until="MoUSigned")


async def test_a_slow_receiver_does_not_delay_the_others(notifications: Notifications) -> None:
    async with http_receiver() as slow:
        release = slow.hold("/slow")
        fast_path = f"/fast/{uuid4().hex}"
        try:
            slow_subscription = await subscribe(
                notifications, url=slow.url("/slow"), event_types=["MoUSigned"], secret="s" * 20
            )
            await subscribe(
                notifications,
                url=notifications.http.url(fast_path),
                event_types=["MoUSigned"],
                secret="f" * 20,
            )
            await publish_mou_signed(notifications, 3)
            await notifications.http.wait_to(fast_path, 3)

            async def slow_is_full() -> bool:
                return slow.waiting["/slow"] == PER_RECEIVER

            await eventually(slow_is_full)
            # With the slow receiver's answers still held, one more event:
            await publish_mou_signed(notifications, 1)
            await notifications.http.wait_to(fast_path, 4)
            held = await deliveries_to(notifications, slow_subscription)

            assert slow.waiting["/slow"] == PER_RECEIVER
            assert len(slow.to("/slow")) == PER_RECEIVER  # never more in flight than that
            assert [(d["status"], d["last_error"]) for d in held] == [("pending", None)] * 4
        finally:
            release.set()

        await slow.wait_to("/slow", 4)

    async def all_sent() -> list[dict[str, Any]]:
        found = await deliveries_to(notifications, slow_subscription)
        return found if [d["status"] for d in found] == ["sent"] * 4 else []

    delivered = await eventually(all_sent)
    await notifications.client.delete(
        f"/api/v1/subscriptions/{slow_subscription['id']}", headers=bearer(Role.SERVICE)
    )
    assert [d["attempts"] for d in delivered] == [1] * 4


async def test_a_receiver_that_keeps_failing_is_paused_and_the_others_go_on(
    notifications: Notifications,
) -> None:
    failing_path, healthy_path = f"/failing/{uuid4().hex}", f"/healthy/{uuid4().hex}"
    notifications.http.fail(failing_path)
    failing = await subscribe(
        notifications,
        url=notifications.http.url(failing_path),
        event_types=["ClientReleased"],
        secret="a-receiver-that-is-down",
    )
    await subscribe(
        notifications,
        url=notifications.http.url(healthy_path),
        event_types=["MoUSigned"],
        secret="a-receiver-that-is-up",
    )
    for _ in range(3):
        await World().publish_setup(notifications.publisher, until="ClientReleased")

    async def paused() -> str | None:
        shown = await subscription(notifications, failing["id"])
        until: str | None = shown["paused_until"]
        return until

    paused_until = await eventually(paused)
    assert paused_until is not None
    await publish_mou_signed(notifications, 1)
    await notifications.http.wait_to(healthy_path, 4)  # the three of the setups, and one more
    waiting = await deliveries_to(notifications, failing)

    assert datetime.fromisoformat(paused_until) > datetime.fromisoformat(failing["created_at"])
    # In flight when the breaker opened: at most one receiver's share more.
    tried = len(notifications.http.to(failing_path))
    assert BREAKER_FAILURES <= tried <= BREAKER_FAILURES + PER_RECEIVER - 1
    assert sorted(d["status"] for d in waiting) == ["pending"] * 3  # not spent: waiting

    # The pause ends (as if an hour had passed) and the receiver is back: it gets them all.
    notifications.http.recover(failing_path)
    async with database(notifications) as connection:
        await connection.execute(
            "UPDATE subscriptions SET paused_until = now() - interval '1 second' "
            "WHERE subscription_id = $1",
            UUID(failing["id"]),
        )

    async def all_sent() -> list[dict[str, Any]]:
        found = await deliveries_to(notifications, failing)
        return found if [d["status"] for d in found] == ["sent"] * 3 else []

    await eventually(all_sent)
    reopened = await subscription(notifications, failing["id"])
    assert reopened["paused_until"] is None
