"""Webhook subscriptions through the API: a target that is not public is refused with a
422 naming ``body.url`` and nothing stored; a subscription belongs to its maker (others
of the same role neither see nor touch it, the ministry sees all); its secret is in no
column in clear, not even for subscriptions made before secrets were encrypted."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from services.notifications.settings import NotificationsSettings
from services.notifications.subscriptions import seal_clear_secrets
from services.notifications.targets import NAMED_HOST_REFUSED
from services.notifications.vault import SecretVault
from shared.http import Role
from tests.notifications.conftest import Notifications
from tests.notifications.webhook_support import (
    caller,
    column_dump,
    database,
    rotate,
    subscribe,
    try_subscribe,
)
from tests.notifications.world import World

SECRET = "the-subscriber-secret-0123456789"

REFUSED_LITERALS = [
    ("https://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
    ("https://[fe80::1]/hooks", "fe80::1 is a link-local address"),
    ("https://10.0.0.5:5432/", "10.0.0.5 is a private address"),
    ("https://172.16.0.1/hooks", "172.16.0.1 is a private address"),
    ("https://192.168.1.1/admin", "192.168.1.1 is a private address"),
    ("https://[fd00::5]/hooks", "fd00::5 is a private address"),
    ("https://100.64.0.1/hooks", "100.64.0.1 is not a public address"),
    ("https://224.0.0.1/hooks", "224.0.0.1 is a multicast address"),
    ("https://[ff02::1]/hooks", "ff02::1 is a multicast address"),
    ("https://0.0.0.0/hooks", "0.0.0.0 is an unspecified address"),
    ("https://[::]/hooks", ":: is an unspecified address"),
    ("https://240.0.0.1/hooks", "240.0.0.1 is a reserved address"),
    (
        "https://[::ffff:169.254.169.254]/meta-data/",
        "::ffff:a9fe:a9fe (IPv4 169.254.169.254) is a link-local address",
    ),
    ("https://[::ffff:10.0.0.5]/hooks", "::ffff:a00:5 (IPv4 10.0.0.5) is a private address"),
]


def body(**changes: Any) -> dict[str, Any]:
    return {"url": "https://subscriber.example/hooks", "event_types": ["MoUSigned"]} | {
        "secret": SECRET,
        **changes,
    }


async def subscription_count(notifications: Notifications) -> int:
    async with database(notifications) as connection:
        count: int = await connection.fetchval("SELECT count(*) FROM subscriptions")
    return count


async def assert_refused_and_nothing_stored(
    notifications: Notifications, url: str, message: str
) -> None:
    sub = f"system-{uuid4().hex[:8]}"
    before = await subscription_count(notifications)

    response = await try_subscribe(notifications, sub=sub, **body(url=url))
    listed = await notifications.client.get("/api/v1/subscriptions", headers=caller(sub))

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"] == [{"field": "body.url", "message": message}]
    assert listed.json()["items"] == []
    assert await subscription_count(notifications) == before


# -- targets at subscription ----------------------------------------------------------


@pytest.mark.parametrize(("url", "reason"), REFUSED_LITERALS, ids=[u for u, _ in REFUSED_LITERALS])
async def test_a_target_that_is_not_public_is_refused(
    notifications: Notifications, url: str, reason: str
) -> None:
    await assert_refused_and_nothing_stored(notifications, url, reason)


@pytest.mark.parametrize("address", ["10.1.2.3", "169.254.169.254", "fd12::1", "::ffff:10.0.0.1"])
async def test_a_name_resolving_to_a_refused_address_is_refused_without_saying_where(
    notifications: Notifications, address: str
) -> None:
    host = f"internal-{uuid4().hex[:8]}.example"
    notifications.resolver.answer(host, "8.8.8.8", address)  # one public, one refused

    await assert_refused_and_nothing_stored(
        notifications, f"https://{host}/hooks", NAMED_HOST_REFUSED
    )


async def test_a_name_that_does_not_resolve_is_refused(notifications: Notifications) -> None:
    await assert_refused_and_nothing_stored(
        notifications, f"https://nowhere-{uuid4().hex[:8]}.example/hooks", NAMED_HOST_REFUSED
    )


async def test_credentials_in_the_url_are_refused(notifications: Notifications) -> None:
    await assert_refused_and_nothing_stored(
        notifications,
        "https://user:password@subscriber.example/hooks",
        "the URL must not carry credentials; deliveries are signed",
    )


async def test_a_loopback_receiver_is_accepted_in_development(
    notifications: Notifications,
) -> None:
    """The service under test runs with ``BAPAS_ENVIRONMENT=development``: http and
    loopback receivers are allowed (outside development they are not:
    ``test_targets.py`` and ``test_webhook_sender.py``)."""
    created = await subscribe(notifications, **body(url="http://[::1]:9/hooks"))

    assert created["url"] == "http://[::1]:9/hooks"


# -- ownership ------------------------------------------------------------------------


async def test_another_caller_of_the_same_role_neither_sees_nor_touches_a_subscription(
    notifications: Notifications,
) -> None:
    owner, other = f"system-a-{uuid4().hex[:6]}", f"system-b-{uuid4().hex[:6]}"
    created = await subscribe(notifications, sub=owner, **body())
    location = f"/api/v1/subscriptions/{created['id']}"

    listed = await notifications.client.get("/api/v1/subscriptions", headers=caller(other))
    shown = await notifications.client.get(location, headers=caller(other))
    deleted = await notifications.client.delete(location, headers=caller(other))
    rotated = await rotate(notifications, created["id"], "a-secret-of-the-intruder", sub=other)
    still_there = await notifications.client.get(location, headers=caller(owner))

    assert created["created_by"] == owner
    assert listed.json()["items"] == []
    assert (shown.status_code, deleted.status_code, rotated.status_code) == (404, 404, 404)
    assert still_there.status_code == 200
    assert still_there.json()["secret_rotated_at"] is None


async def test_the_ministry_sees_every_subscription_and_may_delete_it(
    notifications: Notifications,
) -> None:
    owner = f"system-{uuid4().hex[:6]}"
    created = await subscribe(notifications, sub=owner, **body())
    location = f"/api/v1/subscriptions/{created['id']}"
    ministry = caller("kemenkumham-analyst", Role.MINISTRY)

    listed = await notifications.client.get(
        "/api/v1/subscriptions", params={"limit": 500}, headers=ministry
    )
    shown = await notifications.client.get(location, headers=ministry)
    deleted = await notifications.client.delete(location, headers=ministry)
    gone = await notifications.client.get(location, headers=caller(owner))

    assert created["id"] in [item["id"] for item in listed.json()["items"]]
    assert shown.json()["created_by"] == owner
    assert (deleted.status_code, gone.status_code) == (204, 404)
    assert deleted.content == b""


async def test_a_caller_lists_only_its_own_subscriptions(notifications: Notifications) -> None:
    mine, theirs = f"system-{uuid4().hex[:6]}", f"system-{uuid4().hex[:6]}"
    own = [await subscribe(notifications, sub=mine, **body()) for _ in range(2)]
    await subscribe(notifications, sub=theirs, **body())

    listed = await notifications.client.get("/api/v1/subscriptions", headers=caller(mine))

    assert [item["id"] for item in listed.json()["items"]] == [s["id"] for s in own]


async def test_a_rotation_with_a_short_secret_is_refused_and_changes_nothing(
    notifications: Notifications,
) -> None:
    created = await subscribe(notifications, **body())

    rotated = await rotate(notifications, created["id"], "short")
    shown = await notifications.client.get(
        f"/api/v1/subscriptions/{created['id']}", headers=caller("tester")
    )

    assert rotated.status_code == 422
    assert [error["field"] for error in rotated.json()["errors"]] == ["body.secret"]
    assert shown.json()["secret_rotated_at"] is None


# -- secrets at rest ------------------------------------------------------------------


async def test_no_column_holds_a_secret_in_clear(notifications: Notifications) -> None:
    old, new, path = f"old-{uuid4().hex}", f"new-{uuid4().hex}", f"/hooks/{uuid4().hex}"
    created = await subscribe(notifications, **body(url=notifications.http.url(path), secret=old))
    assert (await rotate(notifications, created["id"], new)).status_code == 200
    await World().publish_setup(notifications.publisher, until="MoUSigned")
    await notifications.http.wait_to(path)  # a delivery was signed with both

    dump = await column_dump(notifications)

    assert created["id"] in dump  # the dump does show the subscription
    for secret in (old, new):
        assert secret not in dump
        assert secret.encode().hex() not in dump


async def test_a_secret_stored_in_clear_before_encryption_is_sealed(
    notifications: Notifications,
) -> None:
    """A row as migration 0001 wrote it: the service seals it and goes on signing."""
    subscription_id, secret = uuid4(), f"legacy-{uuid4().hex}"
    async with database(notifications) as connection:
        await connection.execute(
            "INSERT INTO subscriptions (subscription_id, url, clear_secret, event_types, "
            "created_by) VALUES ($1, $2, $3, $4, $5)",
            subscription_id,
            "https://subscriber.example/legacy",
            secret,
            ["ClientReoffended"],
            "tester",
        )
        vault = SecretVault(NotificationsSettings().master_key())
        sealed = await seal_clear_secrets(connection, vault)
        row = await connection.fetchrow(
            "SELECT clear_secret, sealed_secret FROM subscriptions WHERE subscription_id = $1",
            subscription_id,
        )

    assert sealed == 1
    assert row is not None
    assert row["clear_secret"] is None
    assert vault.open(subscription_id, row["sealed_secret"]) == secret
    assert secret not in await column_dump(notifications)
