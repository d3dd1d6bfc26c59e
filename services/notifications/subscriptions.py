"""Webhook subscriptions: other systems ask to receive events of some types by HTTP.

A subscription names the event types it wants (those of the pokmas, enrolment and
employment topics; the notifications service's own events are not offered, since
delivering NotificationSent by webhook would announce its own delivery, endlessly),
optionally the Bapas it wants them for, a URL and a secret that signs each delivery. It
receives the events recorded from the moment it was created.

* **Ownership**: a subscription belongs to the caller who made it (the token's
  ``sub``). Every query here takes an ``owner``: a caller other than the ministry sees,
  rotates and deletes only its own (``owner`` is its ``sub``); the ministry passes
  ``None`` and reaches all. Another caller's subscription is simply not found.
* **Secrets** are stored encrypted (:mod:`services.notifications.vault`), never
  returned, and rotatable: the new secret signs at once, and the one it replaces keeps
  signing beside it until its grace period ends, so the receiver can switch without
  losing a delivery. Rows written before secrets were encrypted are sealed by
  :func:`seal_clear_secrets`.
* **Circuit breaker**: failures in a row are counted per subscription; past a
  threshold the receiver is paused (``paused_until``): its deliveries wait, unclaimed,
  without spending attempts, while everyone else's go on. After the pause a claim
  tries it again; a success closes the breaker, a failure pauses it again.
* A deleted subscription is kept, marked deleted, so its past deliveries still name
  it; its pending deliveries are cancelled.
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
from services.notifications.vault import SecretVault
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
    secret_rotated_at: datetime | None = None
    previous_secret_expires_at: datetime | None = None
    paused_until: datetime | None = None

    def wants(self, event: Envelope[EventPayload]) -> bool:
        return (
            event.event_type in self.event_types
            and (self.bapas_codes is None or event.bapas_code in self.bapas_codes)
            and event.recorded_at >= self.created_at
        )

    def delivery_of(self, event: Envelope[EventPayload], *, client_id: UUID | None) -> NewDelivery:
        """The webhook delivery of ``event``, about klien ``client_id`` if any: its
        envelope, as JSON."""
        return NewDelivery(
            notification_id=uuid4(),
            cause=Cause.of(event, client_id),
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
        secret_rotated_at=row["secret_rotated_at"],
        previous_secret_expires_at=row["previous_secret_expires_at"],
        paused_until=row["paused_until"],
    )


_COLUMNS = (
    "subscription_id, url, event_types, bapas_codes, created_by, created_at, "
    "secret_rotated_at, previous_secret_expires_at, paused_until"
)
_OWNED = "deleted_at IS NULL AND ($2::text IS NULL OR created_by = $2)"
"""A live subscription of owner ``$2`` (any owner when ``$2`` is null); ``$1`` is its id."""


async def active_subscriptions(connection: Connection) -> list[Subscription]:
    rows = await connection.fetch(f"SELECT {_COLUMNS} FROM subscriptions WHERE deleted_at IS NULL")
    return [_subscription(row) for row in rows]


async def create_subscription(
    connection: Connection,
    vault: SecretVault,
    *,
    url: str,
    secret: str,
    event_types: Sequence[str],
    bapas_codes: Sequence[str] | None,
    created_by: str,
) -> Subscription:
    subscription_id = uuid4()
    row = await connection.fetchrow(
        f"""
        INSERT INTO subscriptions (subscription_id, url, sealed_secret, event_types,
                                   bapas_codes, created_by)
        VALUES ($1, $2, $3, $4, $5, $6)
        RETURNING {_COLUMNS}
        """,
        subscription_id,
        url,
        vault.seal(subscription_id, secret),
        list(dict.fromkeys(event_types)),
        None if bapas_codes is None else list(dict.fromkeys(bapas_codes)),
        created_by,
    )
    return _subscription(row)


async def find_subscription(
    connection: Connection, subscription_id: UUID, *, owner: str | None
) -> Subscription | None:
    row = await connection.fetchrow(
        f"SELECT {_COLUMNS} FROM subscriptions WHERE subscription_id = $1 AND {_OWNED}",
        subscription_id,
        owner,
    )
    return None if row is None else _subscription(row)


async def list_subscriptions(
    connection: Connection, *, owner: str | None, after: tuple[datetime, UUID] | None, limit: int
) -> list[Subscription]:
    rows = await connection.fetch(
        f"""
        SELECT {_COLUMNS} FROM subscriptions
        WHERE deleted_at IS NULL
          AND ($1::text IS NULL OR created_by = $1)
          AND ($2::timestamptz IS NULL OR (created_at, subscription_id) > ($2, $3::uuid))
        ORDER BY created_at, subscription_id
        LIMIT $4
        """,
        owner,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )
    return [_subscription(row) for row in rows]


async def rotate_secret(
    connection: Connection,
    vault: SecretVault,
    subscription_id: UUID,
    *,
    owner: str | None,
    secret: str,
    grace_seconds: float,
) -> Subscription | None:
    """Sign with ``secret`` from now on; the current secret keeps signing beside it for
    ``grace_seconds`` (a secret rotated out earlier stops at once). ``None`` if unknown."""
    row = await connection.fetchrow(
        f"""
        UPDATE subscriptions
        SET previous_sealed_secret = sealed_secret,
            previous_secret_expires_at = now() + make_interval(secs => $4),
            sealed_secret = $3,
            secret_rotated_at = now()
        WHERE subscription_id = $1 AND {_OWNED}
        RETURNING {_COLUMNS}
        """,
        subscription_id,
        owner,
        vault.seal(subscription_id, secret),
        grace_seconds,
    )
    return None if row is None else _subscription(row)


async def delete_subscription(
    connection: Connection, subscription_id: UUID, *, owner: str | None
) -> bool:
    """Mark it deleted and cancel what it still had to receive; ``False`` if unknown."""
    async with connection.transaction():
        status = await connection.execute(
            f"UPDATE subscriptions SET deleted_at = now(), sealed_secret = NULL, "
            f"previous_sealed_secret = NULL WHERE subscription_id = $1 AND {_OWNED}",
            subscription_id,
            owner,
        )
        if status != "UPDATE 1":
            return False
        await cancel_subscription_deliveries(connection, subscription_id)
    return True


# -- circuit breaker ----------------------------------------------------------------


async def record_receiver_success(connection: Connection, subscription_id: UUID) -> None:
    """The receiver answered: its breaker closes."""
    await connection.execute(
        "UPDATE subscriptions SET consecutive_failures = 0, paused_until = NULL "
        "WHERE subscription_id = $1 AND (consecutive_failures <> 0 OR paused_until IS NOT NULL)",
        subscription_id,
    )


async def record_receiver_failure(
    connection: Connection, subscription_id: UUID, *, threshold: int, pause_seconds: float
) -> datetime | None:
    """Count a failure; at ``threshold`` in a row the receiver is paused for
    ``pause_seconds``. The end of the pause, if it is paused now."""
    paused_until: datetime | None = await connection.fetchval(
        """
        UPDATE subscriptions
        SET consecutive_failures = consecutive_failures + 1,
            paused_until = CASE WHEN consecutive_failures + 1 >= $2
                                THEN now() + make_interval(secs => $3)
                                ELSE paused_until END
        WHERE subscription_id = $1
        RETURNING paused_until
        """,
        subscription_id,
        threshold,
        pause_seconds,
    )
    return paused_until


# -- secrets stored before they were encrypted --------------------------------------


async def seal_clear_secrets(connection: Connection, vault: SecretVault) -> int:
    """Encrypt the secrets of subscriptions made before secrets were encrypted (migration
    ``0002``) and erase them in clear; the number sealed. Idempotent. A deleted
    subscription signs nothing any more: its secret is only erased."""
    await connection.execute(
        "UPDATE subscriptions SET clear_secret = NULL "
        "WHERE clear_secret IS NOT NULL AND deleted_at IS NOT NULL"
    )
    rows = await connection.fetch(
        "SELECT subscription_id, clear_secret FROM subscriptions WHERE clear_secret IS NOT NULL"
    )
    for row in rows:
        await connection.execute(
            "UPDATE subscriptions SET sealed_secret = $2, clear_secret = NULL "
            "WHERE subscription_id = $1 AND clear_secret IS NOT NULL",
            row["subscription_id"],
            vault.seal(row["subscription_id"], row["clear_secret"]),
        )
    return len(rows)
