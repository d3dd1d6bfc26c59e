"""What the webhook tests share: subscribing as a given caller, the deliveries of one
subscription, their outcome events, and a look at the service's own database (to show
that a refused request wrote nothing, or what a column dump would reveal)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

import asyncpg
import httpx

from shared.events.notifications import NotificationFailed
from shared.http import Role
from tests.notifications.conftest import Notifications
from tests.notifications.receivers import eventually
from tests.notifications.world import notification_events
from tests.support.service_app import bearer


def caller(sub: str, role: Role = Role.SERVICE) -> dict[str, str]:
    """Authorization headers of a ``role`` caller named ``sub``."""
    return bearer(role, sub=sub)


async def try_subscribe(
    notifications: Notifications, *, sub: str = "tester", **body: Any
) -> httpx.Response:
    return await notifications.client.post("/api/v1/subscriptions", json=body, headers=caller(sub))


async def subscribe(
    notifications: Notifications, *, sub: str = "tester", **body: Any
) -> dict[str, Any]:
    response = await try_subscribe(notifications, sub=sub, **body)
    assert response.status_code == 201, response.text
    subscription: dict[str, Any] = response.json()
    return subscription


async def rotate(
    notifications: Notifications, subscription_id: str, secret: str, *, sub: str = "tester"
) -> httpx.Response:
    return await notifications.client.post(
        f"/api/v1/subscriptions/{subscription_id}/secret",
        json={"secret": secret},
        headers=caller(sub),
    )


async def deliveries_to(
    notifications: Notifications, subscription: dict[str, Any]
) -> list[dict[str, Any]]:
    """The subscription's deliveries in the history, newest first."""
    return [
        d
        for d in await notifications.history(channel="webhook")
        if d["subscription_id"] == subscription["id"]
    ]


async def settled_deliveries_to(
    notifications: Notifications, subscription: dict[str, Any], count: int
) -> list[dict[str, Any]]:
    """The subscription's deliveries once ``count`` are recorded and none is pending."""

    async def settled() -> list[dict[str, Any]]:
        found = await deliveries_to(notifications, subscription)
        done = len(found) >= count and all(d["status"] != "pending" for d in found)
        return found if done else []

    return await eventually(settled)


async def failure_event(notifications: Notifications, notification_id: str) -> NotificationFailed:
    """The NotificationFailed of one delivery, once it is on the topic."""

    async def found() -> list[NotificationFailed]:
        return [
            event.payload
            for event in await notification_events(notifications.kafka_bootstrap)
            if isinstance(event.payload, NotificationFailed)
            and event.payload.notification_id == UUID(notification_id)
        ]

    [failed] = await eventually(found)
    return failed


@asynccontextmanager
async def database(notifications: Notifications) -> AsyncIterator[asyncpg.Connection]:
    """A connection to the service's own database."""
    connection = await asyncpg.connect(notifications.database_url)
    try:
        yield connection
    finally:
        await connection.close()


async def column_dump(notifications: Notifications) -> str:
    """Every row of every table of the service's database, as text (``bytea`` as hex)."""
    async with database(notifications) as connection:
        tables = await connection.fetch(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        )
        dumps = [
            await connection.fetchval(
                f"SELECT coalesce(string_agg(t::text, E'\\n'), '') FROM \"{row[0]}\" t"
            )
            for row in tables
        ]
    return "\n".join(dumps)
