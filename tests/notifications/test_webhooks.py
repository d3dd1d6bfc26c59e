"""Webhook subscribers receive the events they subscribed to: the envelope, signed with
HMAC-SHA256 under their secret; a subscriber that keeps failing is given up on."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any
from uuid import uuid4

from shared.events.notifications import NotificationFailed
from shared.events.registry import parse_event
from shared.http import Role
from tests.notifications.conftest import MAX_ATTEMPTS, Notifications
from tests.notifications.receivers import eventually
from tests.notifications.world import World, notification_events
from tests.support.service_app import bearer


async def subscribe(notifications: Notifications, **body: Any) -> dict[str, Any]:
    response = await notifications.client.post(
        "/api/v1/subscriptions", json=body, headers=bearer(Role.SERVICE)
    )
    assert response.status_code == 201, response.text
    subscription: dict[str, Any] = response.json()
    return subscription


async def test_a_delivery_is_the_event_signed_with_the_subscription_secret(
    notifications: Notifications,
) -> None:
    path, secret = f"/hooks/{uuid4().hex}", "a-secret-of-the-subscriber"
    await subscribe(
        notifications, url=notifications.http.url(path), event_types=["MoUSigned"], secret=secret
    )
    world = World()
    signed = await world.publish_setup(notifications.publisher, until="MoUSigned")

    [request] = await notifications.http.wait_to(path)
    expected = "sha256=" + hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()

    assert hmac.compare_digest(request.headers["x-bapas-signature"], expected)
    assert parse_event(request.body) == signed
    assert request.headers["x-bapas-event-id"] == str(signed.event_id)


async def test_a_subscriber_gets_only_its_event_types_and_bapas(
    notifications: Notifications,
) -> None:
    path = f"/hooks/{uuid4().hex}"
    subscription = await subscribe(
        notifications,
        url=notifications.http.url(path),
        event_types=["ClientReleased"],
        bapas_codes=["samarinda"],
        secret="only-samarinda-releases",
    )
    elsewhere = World(bapas_code="balikpapan")
    elsewhere_release = await elsewhere.publish_setup(
        notifications.publisher, until="ClientReleased"
    )
    here = World(bapas_code="samarinda")
    here_mou = await here.publish_setup(notifications.publisher, until="MoUSigned")
    here_release = await here.publish(notifications.publisher, here.client_released())

    [request] = await notifications.http.wait_to(path)
    # An event's deliveries are all recorded together: none of these is to the subscriber.
    not_subscribed = [
        *await notifications.settled(elsewhere_release.event_id, 1),
        *await notifications.settled(here_mou.event_id, 2),
    ]

    assert parse_event(request.body).event_id == here_release.event_id
    assert subscription["id"] not in {d["subscription_id"] for d in not_subscribed}


async def test_a_webhook_that_keeps_failing_ends_in_notification_failed(
    notifications: Notifications,
) -> None:
    path = f"/hooks/{uuid4().hex}"
    notifications.http.fail(path)
    subscription = await subscribe(
        notifications,
        url=notifications.http.url(path),
        event_types=["MoUSigned"],
        secret="a-subscriber-that-is-down",
    )
    world = World()
    signed = await world.publish_setup(notifications.publisher, until="MoUSigned")

    async def failure() -> list[NotificationFailed]:
        return [
            event.payload
            for event in await notification_events(notifications.kafka_bootstrap)
            if isinstance(event.payload, NotificationFailed)
            and event.payload.cause_event_id == signed.event_id
            and event.payload.channel.value == "webhook"
        ]

    [failed] = await eventually(failure)
    [delivery] = [
        d
        for d in await notifications.history(cause_event_id=str(signed.event_id))
        if d["subscription_id"] == subscription["id"]
    ]

    assert failed.attempts == MAX_ATTEMPTS
    assert len(notifications.http.to(path)) == MAX_ATTEMPTS
    assert delivery["status"] == "failed"


async def test_a_deleted_subscription_receives_nothing_more(notifications: Notifications) -> None:
    subscription = await subscribe(
        notifications,
        url=notifications.http.url(f"/hooks/{uuid4().hex}"),
        event_types=["ClientReleased"],
        secret="a-subscriber-that-leaves",
    )
    deleted = await notifications.client.delete(
        f"/api/v1/subscriptions/{subscription['id']}", headers=bearer(Role.SERVICE)
    )
    assert deleted.status_code == 204
    world = World()
    released = await world.publish_setup(notifications.publisher, until="ClientReleased")

    # The release's deliveries are recorded together; the officer's e-mail is among them.
    deliveries = await notifications.settled(released.event_id, 1)

    assert subscription["id"] not in {d["subscription_id"] for d in deliveries}
