"""Webhook subscribers receive the events they subscribed to: the envelope, signed with a
timestamped HMAC-SHA256 under their secret (both secrets while one is rotated); a
subscriber that keeps failing is given up on, with an error that says what kind of
failure it was and nothing of what answered; a target that DNS turns into a refused
address at delivery is not contacted."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from services.notifications.webhooks import TARGET_REFUSED
from shared.events.notifications import NotificationFailed
from shared.events.registry import parse_event
from shared.http import Role
from tests.notifications.conftest import MAX_ATTEMPTS, Notifications
from tests.notifications.receivers import Answer, Request, eventually
from tests.notifications.webhook_support import (
    database,
    deliveries_to,
    failure_event,
    rotate,
    settled_deliveries_to,
    subscribe,
)
from tests.notifications.world import World, notification_events
from tests.support.service_app import bearer

BANNER = b"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13 db-primary.internal\r\n"


def signature_fields(request: Request) -> tuple[int, list[str]]:
    """``t`` and the ``v1`` signatures of a delivery's ``X-Bapas-Signature``."""
    fields = [part.partition("=") for part in request.headers["x-bapas-signature"].split(",")]
    [signed_at] = [int(value) for name, _, value in fields if name == "t"]
    return signed_at, [value for name, _, value in fields if name == "v1"]


def signature_of(secret: str, signed_at: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{signed_at}.".encode() + body, hashlib.sha256).hexdigest()


async def test_a_delivery_is_the_event_signed_with_its_time_and_the_subscription_secret(
    notifications: Notifications,
) -> None:
    path, secret = f"/hooks/{uuid4().hex}", "a-secret-of-the-subscriber"
    await subscribe(
        notifications, url=notifications.http.url(path), event_types=["MoUSigned"], secret=secret
    )
    world = World()
    before = int(datetime.now(UTC).timestamp())
    signed = await world.publish_setup(notifications.publisher, until="MoUSigned")

    [request] = await notifications.http.wait_to(path)
    signed_at, [signature] = signature_fields(request)

    assert hmac.compare_digest(signature, signature_of(secret, signed_at, request.body))
    assert signed_at >= before
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
    [delivery] = await deliveries_to(notifications, subscription)

    assert failed.attempts == MAX_ATTEMPTS
    assert len(notifications.http.to(path)) == MAX_ATTEMPTS
    assert (delivery["status"], delivery["last_error"]) == ("failed", "HTTP 500")


async def test_the_error_of_a_failure_never_carries_what_answered(
    notifications: Notifications,
) -> None:
    """A 500 with a banner in its body and headers, and a port that speaks SSH: the
    subscriber learns the kind of failure, not the software behind the address."""
    path = f"/hooks/{uuid4().hex}"
    notifications.http.answer(
        path, Answer("500 Internal Server Error", (("Server", "db-primary.internal"),), BANNER)
    )

    async def ssh(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(BANNER)
        await writer.drain()
        await reader.read(65536)
        writer.close()

    ssh_server = await asyncio.start_server(ssh, "127.0.0.1", 0)
    ssh_port = ssh_server.sockets[0].getsockname()[1]
    try:
        answering_500 = await subscribe(
            notifications,
            url=notifications.http.url(path),
            event_types=["MoUSigned"],
            secret="a-subscriber-behind-a-banner",
        )
        speaking_ssh = await subscribe(
            notifications,
            url=f"http://127.0.0.1:{ssh_port}/hooks",
            event_types=["MoUSigned"],
            secret="a-subscription-to-an-ssh-port",
        )
        await World().publish_setup(notifications.publisher, until="MoUSigned")

        [to_500] = await settled_deliveries_to(notifications, answering_500, 1)
        [to_ssh] = await settled_deliveries_to(notifications, speaking_ssh, 1)
    finally:
        ssh_server.close()
    failures = [
        await failure_event(notifications, delivery["notification_id"])
        for delivery in (to_500, to_ssh)
    ]

    assert [to_500["last_error"], to_ssh["last_error"]] == ["HTTP 500", "invalid HTTP answer"]
    assert [failed.error for failed in failures] == ["HTTP 500", "invalid HTTP answer"]
    for error in (to_500["last_error"], to_ssh["last_error"]):
        assert "SSH" not in error
        assert "db-primary" not in error


async def test_a_host_that_now_resolves_to_a_refused_address_is_not_contacted(
    notifications: Notifications,
) -> None:
    """DNS rebinding: the name resolved to loopback when the subscription was made, to
    0.0.0.0 at delivery. Connecting to 0.0.0.0 would reach the local receiver, which
    would show it; instead the delivery fails without contacting anyone."""
    path = f"/hooks/{uuid4().hex}"
    host = f"rebinding-{uuid4().hex[:8]}.example"
    notifications.resolver.answer(host, "127.0.0.1")
    subscription = await subscribe(
        notifications,
        url=f"http://{host}:{notifications.http.port}{path}",
        event_types=["MoUSigned"],
        secret="a-subscriber-whose-dns-changed",
    )
    notifications.resolver.answer(host, "0.0.0.0")
    await World().publish_setup(notifications.publisher, until="MoUSigned")

    [delivery] = await settled_deliveries_to(notifications, subscription, 1)
    failed = await failure_event(notifications, delivery["notification_id"])

    assert (delivery["status"], delivery["last_error"]) == ("failed", TARGET_REFUSED)
    assert failed.error == TARGET_REFUSED
    assert notifications.http.to(path) == []


# -- secret rotation ------------------------------------------------------------------


async def test_a_rotated_secret_signs_beside_the_old_one_during_the_grace_period(
    notifications: Notifications,
) -> None:
    path, old, new = (
        f"/hooks/{uuid4().hex}",
        "the-old-secret-0123456789",
        "the-new-secret-0123456789",
    )
    subscription = await subscribe(
        notifications, url=notifications.http.url(path), event_types=["MoUSigned"], secret=old
    )

    rotated = await rotate(notifications, subscription["id"], new)
    await World().publish_setup(notifications.publisher, until="MoUSigned")
    [request] = await notifications.http.wait_to(path)
    signed_at, signatures = signature_fields(request)

    assert rotated.status_code == 200, rotated.text
    assert new not in rotated.text
    valid_until = datetime.fromisoformat(rotated.json()["previous_secret_valid_until"])
    assert valid_until > datetime.now(UTC) + timedelta(hours=23)
    assert signatures == [
        signature_of(new, signed_at, request.body),
        signature_of(old, signed_at, request.body),
    ]


async def test_after_the_grace_period_only_the_new_secret_signs(
    notifications: Notifications,
) -> None:
    path, old, new = (
        f"/hooks/{uuid4().hex}",
        "the-old-secret-0123456789",
        "the-new-secret-0123456789",
    )
    subscription = await subscribe(
        notifications, url=notifications.http.url(path), event_types=["MoUSigned"], secret=old
    )
    assert (await rotate(notifications, subscription["id"], new)).status_code == 200
    async with database(notifications) as connection:  # the grace period has passed
        await connection.execute(
            "UPDATE subscriptions SET previous_secret_expires_at = now() - interval '1 second' "
            "WHERE subscription_id = $1",
            UUID(subscription["id"]),
        )

    await World().publish_setup(notifications.publisher, until="MoUSigned")
    [request] = await notifications.http.wait_to(path)
    signed_at, signatures = signature_fields(request)

    assert signatures == [signature_of(new, signed_at, request.body)]


async def test_rotating_again_drops_the_oldest_secret_at_once(
    notifications: Notifications,
) -> None:
    path = f"/hooks/{uuid4().hex}"
    first, second, third = (f"secret-number-{n}-0123456789" for n in (1, 2, 3))
    subscription = await subscribe(
        notifications, url=notifications.http.url(path), event_types=["MoUSigned"], secret=first
    )
    await rotate(notifications, subscription["id"], second)
    await rotate(notifications, subscription["id"], third)

    await World().publish_setup(notifications.publisher, until="MoUSigned")
    [request] = await notifications.http.wait_to(path)
    signed_at, signatures = signature_fields(request)

    assert signatures == [
        signature_of(third, signed_at, request.body),
        signature_of(second, signed_at, request.body),
    ]


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
