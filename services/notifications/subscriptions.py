"""Webhook subscriptions: other systems ask to receive events of some types by HTTP.

A subscription names the event types it wants (those of the pokmas and enrolment
topics; the notifications service's own events are not offered, since delivering
NotificationSent by webhook would announce its own delivery, endlessly), optionally
the Bapas it wants them for, a URL and a secret that signs each delivery. It receives
the events recorded from the moment it was created. The secret is stored to sign
deliveries and never returned. A deleted subscription is kept, marked deleted, so
its past deliveries still name it; its pending deliveries are cancelled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from services.notifications.deliveries import (
    Cause,
    NewDelivery,
    cancel_subscription_deliveries,
)
from services.notifications.domain import WEBHOOK_TEMPLATE
from shared.events.envelope import Envelope, EventPayload, Source
from shared.events.notifications import Channel, RecipientKind
from shared.events.registry import PAYLOAD_TYPES
from shared.postgres.pool import Connection

WEBHOOK_EVENT_TYPES: tuple[str, ...] = tuple(
    sorted({p.event_type for p in PAYLOAD_TYPES if p.source is not Source.NOTIFICATIONS})
)
"""The event types a webhook may subscribe to."""


@dataclass(frozen=True, slots=True)
class Subscription:
    subscription_id: UUID
    url: str
    event_types: tuple[str, ...]
    bapas_codes: tuple[str, ...] | None
    created_by: str
    created_at: datetime

    def wants(self, event: Envelope[EventPayload]) -> bool:
        return (
            event.event_type in self.event_types
            and (self.bapas_codes is None or event.bapas_code in self.bapas_codes)
            and event.recorded_at >= self.created_at
        )

    def delivery_of(self, event: Envelope[EventPayload]) -> NewDelivery:
        """The webhook delivery of ``event``: its envelope, as JSON."""
        return NewDelivery(
            notification_id=uuid4(),
            cause=Cause.of(event),
            recipient_kind=RecipientKind.SUBSCRIBER,
            recipient_key=str(self.subscription_id),
            channel=Channel.WEBHOOK,
            address=self.url,
            template=WEBHOOK_TEMPLATE,
            subject=None,
            body=event.model_dump_json(),
            subscription_id=self.subscription_id,
        )


def _subscription(row: Any) -> Subscription:
    return Subscription(
        subscription_id=row["subscription_id"],
        url=row["url"],
        event_types=tuple(row["event_types"]),
        bapas_codes=None if row["bapas_codes"] is None else tuple(row["bapas_codes"]),
        created_by=row["created_by"],
        created_at=row["created_at"],
    )


_COLUMNS = "subscription_id, url, event_types, bapas_codes, created_by, created_at"


async def active_subscriptions(connection: Connection) -> list[Subscription]:
    rows = await connection.fetch(f"SELECT {_COLUMNS} FROM subscriptions WHERE deleted_at IS NULL")
    return [_subscription(row) for row in rows]


async def create_subscription(
    connection: Connection,
    *,
    url: str,
    secret: str,
    event_types: Sequence[str],
    bapas_codes: Sequence[str] | None,
    created_by: str,
) -> Subscription:
    row = await connection.fetchrow(
        f"""
        INSERT INTO subscriptions (subscription_id, url, secret, event_types, bapas_codes,
                                   created_by)
        VALUES ($1, $2, $3, $4, $5, $6)
        RETURNING {_COLUMNS}
        """,
        uuid4(),
        url,
        secret,
        list(dict.fromkeys(event_types)),
        None if bapas_codes is None else list(dict.fromkeys(bapas_codes)),
        created_by,
    )
    return _subscription(row)


async def find_subscription(connection: Connection, subscription_id: UUID) -> Subscription | None:
    row = await connection.fetchrow(
        f"SELECT {_COLUMNS} FROM subscriptions WHERE subscription_id = $1 AND deleted_at IS NULL",
        subscription_id,
    )
    return None if row is None else _subscription(row)


async def list_subscriptions(
    connection: Connection, *, after: tuple[datetime, UUID] | None, limit: int
) -> list[Subscription]:
    rows = await connection.fetch(
        f"""
        SELECT {_COLUMNS} FROM subscriptions
        WHERE deleted_at IS NULL
          AND ($1::timestamptz IS NULL OR (created_at, subscription_id) > ($1, $2::uuid))
        ORDER BY created_at, subscription_id
        LIMIT $3
        """,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )
    return [_subscription(row) for row in rows]


async def delete_subscription(connection: Connection, subscription_id: UUID) -> bool:
    """Mark it deleted and cancel what it still had to receive; ``False`` if unknown."""
    async with connection.transaction():
        status = await connection.execute(
            "UPDATE subscriptions SET deleted_at = now() "
            "WHERE subscription_id = $1 AND deleted_at IS NULL",
            subscription_id,
        )
        if status != "UPDATE 1":
            return False
        await cancel_subscription_deliveries(connection, subscription_id)
    return True
