"""The deliveries table: recorded before anything is sent, settled after.

Exactly once per (cause, recipient, channel): a delivery is inserted in the transaction
that consumed its cause, and a second one with the same unique key is not, so a
redelivered or replayed event, a rebuild or a second instance adds nothing. A delivery
records the klien it is about (for the klien's subject-access export); one recorded
before deliveries did is given its klien, and nothing else changed, when its cause is
replayed (:func:`fill_klien`: a rebuild replays even events too old to be told again)
or told again (a reminder's next round: the conflicting insert fills it in).
The worker then claims due rows with ``FOR UPDATE SKIP LOCKED`` (two instances never
claim the same row) and leases them by moving ``next_attempt_at`` past the send; a
worker that dies mid-send leaves the row to be claimed again when the lease ends. Each
outcome is written only if the row is still the one claimed (same attempt, still
pending), so a late worker cannot settle a delivery twice. A claim leaves out the
webhook receivers that are paused (their circuit breaker is open) or that already have
as many deliveries in flight as one receiver may, so a slow or failing receiver never
takes the slots of the others. A delivery is shown (the history, a klien's export) as a
:class:`NotificationView`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Self
from uuid import UUID

from pydantic import BaseModel, Field

from services.notifications.domain import Delivered, Reminder
from shared.events.envelope import Envelope, EventPayload
from shared.events.notifications import Channel, RecipientKind
from shared.postgres.pool import Connection


@dataclass(frozen=True, slots=True)
class Cause:
    """Why people are told: an event, or a reminder of a date an event set."""

    event_id: UUID
    event_type: str
    correlation_id: UUID
    bapas_code: str
    client_id: UUID | None
    """The klien the event is about (a reminder's: the klien of the event that set the
    date); ``None`` for an event about no klien (a Pokmas, an MoU, a vacancy…)."""
    reminder: Reminder | None = None

    @classmethod
    def of(cls, event: Envelope[EventPayload], client_id: UUID | None) -> Cause:
        return cls(
            event.event_id, event.event_type, event.correlation_id, event.bapas_code, client_id
        )


@dataclass(frozen=True, slots=True)
class NewDelivery:
    notification_id: UUID
    cause: Cause
    recipient_kind: RecipientKind
    recipient_key: str
    channel: Channel
    address: str
    template: str
    subject: str | None
    body: str
    subscription_id: UUID | None = None


# A delivery already recorded is kept as it is (its status, attempts, text…), but for
# its klien when it was recorded without one.
_RECORD = """
INSERT INTO deliveries (notification_id, cause_event_id, cause_event_type, reminder,
                        correlation_id, bapas_code, recipient_kind, recipient_key, channel,
                        address, subscription_id, template, subject, body, client_id)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::uuid[], $6::text[],
                     $7::text[], $8::text[], $9::text[], $10::text[], $11::uuid[], $12::text[],
                     $13::text[], $14::text[], $15::uuid[])
ON CONFLICT (cause_event_id, reminder, recipient_kind, recipient_key, channel)
DO UPDATE SET client_id = EXCLUDED.client_id
    WHERE deliveries.client_id IS NULL AND EXCLUDED.client_id IS NOT NULL
"""


async def record_deliveries(connection: Connection, deliveries: Sequence[NewDelivery]) -> None:
    """Insert the deliveries not recorded yet (by their unique key); one recorded
    without its klien is given it."""
    if not deliveries:
        return
    await connection.execute(
        _RECORD,
        [d.notification_id for d in deliveries],
        [d.cause.event_id for d in deliveries],
        [d.cause.event_type for d in deliveries],
        [d.cause.reminder.value if d.cause.reminder else "" for d in deliveries],
        [d.cause.correlation_id for d in deliveries],
        [d.cause.bapas_code for d in deliveries],
        [d.recipient_kind.value for d in deliveries],
        [d.recipient_key for d in deliveries],
        [d.channel.value for d in deliveries],
        [d.address for d in deliveries],
        [d.subscription_id for d in deliveries],
        [d.template for d in deliveries],
        [d.subject for d in deliveries],
        [d.body for d in deliveries],
        [d.cause.client_id for d in deliveries],
    )


async def fill_klien(connection: Connection, klien_of_causes: Mapping[UUID, UUID]) -> None:
    """Give the deliveries of each cause (its announcements, webhooks and reminders)
    recorded without a klien the klien of the cause, ``klien_of_causes`` mapping cause
    event ids to klien."""
    if not klien_of_causes:
        return
    await connection.execute(
        "UPDATE deliveries SET client_id = cause.client_id "
        "FROM unnest($1::uuid[], $2::uuid[]) AS cause(event_id, client_id) "
        "WHERE deliveries.cause_event_id = cause.event_id AND deliveries.client_id IS NULL",
        list(klien_of_causes),
        list(klien_of_causes.values()),
    )


@dataclass(frozen=True, slots=True)
class DueDelivery:
    """A claimed delivery, with what its channel needs to send it."""

    notification_id: UUID
    cause_event_id: UUID
    cause_event_type: str
    correlation_id: UUID
    bapas_code: str
    recipient_kind: RecipientKind
    channel: Channel
    address: str
    template: str
    subject: str | None
    body: str
    attempts: int
    """Including the one about to be made."""
    subscription_id: UUID | None = None
    """The subscription of a webhook."""
    sealed_secrets: tuple[bytes, ...] = ()
    """A webhook's signing secrets, encrypted: the current one, then the previous one
    while its grace period lasts; empty once the subscription is deleted."""
    subscribed: bool = False
    """Whether a webhook's subscription still exists (not deleted)."""

    @property
    def delivered(self) -> Delivered:
        return Delivered(
            notification_id=self.notification_id,
            cause_event_id=self.cause_event_id,
            channel=self.channel,
            template=self.template,
            recipient_kind=self.recipient_kind,
            attempts=self.attempts,
        )

    @property
    def to_deleted_subscription(self) -> bool:
        return self.channel is Channel.WEBHOOK and not self.subscribed


@dataclass(frozen=True, slots=True)
class ReceiverRoom:
    """How many more deliveries each webhook receiver may be given now.

    ``in_flight`` counts this worker's deliveries per subscription still being sent;
    ``per_receiver`` is the most one subscription may have at once. Paused receivers
    (their circuit breaker open) get none whatever these say.
    """

    in_flight: Mapping[UUID, int]
    per_receiver: int


# Due rows, oldest first, of receivers that are neither paused nor full; then at most
# the room left to each receiver (row_number within its subscription). Rows of e-mail
# and SMS (no subscription) are limited only by the batch.
_CLAIM = """
WITH busy AS (
    SELECT * FROM unnest($3::uuid[], $4::int[]) AS b(subscription_id, in_flight)
), candidates AS (
    SELECT d.notification_id, d.subscription_id, d.next_attempt_at,
           coalesce(b.in_flight, 0) AS in_flight
    FROM deliveries d
    LEFT JOIN subscriptions s ON s.subscription_id = d.subscription_id
    LEFT JOIN busy b ON b.subscription_id = d.subscription_id
    WHERE d.status = 'pending' AND d.next_attempt_at <= now()
      AND (s.paused_until IS NULL OR s.paused_until <= now())
      AND (d.subscription_id IS NULL OR coalesce(b.in_flight, 0) < $5)
    ORDER BY d.next_attempt_at
    LIMIT $1
    FOR UPDATE OF d SKIP LOCKED
), chosen AS (
    SELECT notification_id FROM (
        SELECT notification_id, subscription_id, in_flight,
               row_number() OVER (PARTITION BY subscription_id ORDER BY next_attempt_at) AS place
        FROM candidates
    ) ranked
    WHERE subscription_id IS NULL OR in_flight + place <= $5
), claimed AS (
    UPDATE deliveries AS d
    SET attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => $2)
    FROM chosen
    WHERE d.notification_id = chosen.notification_id
    RETURNING d.*
)
SELECT claimed.*, s.subscription_id IS NOT NULL AS subscribed, s.sealed_secret,
       CASE WHEN s.previous_secret_expires_at > now() THEN s.previous_sealed_secret END
           AS previous_sealed_secret
FROM claimed
LEFT JOIN subscriptions s
       ON s.subscription_id = claimed.subscription_id AND s.deleted_at IS NULL
"""


async def claim_due(
    connection: Connection, *, limit: int, lease_seconds: float, room: ReceiverRoom
) -> list[DueDelivery]:
    """Claim up to ``limit`` due deliveries for ``lease_seconds``, within each receiver's
    ``room``; counts the attempt."""
    busy = list(room.in_flight.items())
    rows = await connection.fetch(
        _CLAIM,
        limit,
        lease_seconds,
        [subscription_id for subscription_id, _ in busy],
        [count for _, count in busy],
        room.per_receiver,
    )
    return [_due(row) for row in rows]


def _due(row: Any) -> DueDelivery:
    sealed = tuple(
        secret
        for secret in (row["sealed_secret"], row["previous_sealed_secret"])
        if secret is not None
    )
    return DueDelivery(
        notification_id=row["notification_id"],
        cause_event_id=row["cause_event_id"],
        cause_event_type=row["cause_event_type"],
        correlation_id=row["correlation_id"],
        bapas_code=row["bapas_code"],
        recipient_kind=RecipientKind(row["recipient_kind"]),
        channel=Channel(row["channel"]),
        address=row["address"],
        template=row["template"],
        subject=row["subject"],
        body=row["body"],
        attempts=row["attempts"],
        subscription_id=row["subscription_id"],
        sealed_secrets=sealed,
        subscribed=row["subscribed"],
    )


_STILL_CLAIMED = "notification_id = $1 AND status = 'pending' AND attempts = $2"


async def mark_sent(connection: Connection, delivery: DueDelivery) -> bool:
    """Settle as sent; ``False`` if the claim was lost meanwhile (nothing changed)."""
    status = await connection.execute(
        "UPDATE deliveries SET status = 'sent', settled_at = now(), last_error = NULL "
        f"WHERE {_STILL_CLAIMED}",
        delivery.notification_id,
        delivery.attempts,
    )
    return status == "UPDATE 1"


async def mark_failed(connection: Connection, delivery: DueDelivery, *, error: str) -> bool:
    """Settle as failed for good; ``False`` if the claim was lost meanwhile."""
    status = await connection.execute(
        "UPDATE deliveries SET status = 'failed', settled_at = now(), last_error = $3 "
        f"WHERE {_STILL_CLAIMED}",
        delivery.notification_id,
        delivery.attempts,
        error,
    )
    return status == "UPDATE 1"


async def postpone(
    connection: Connection, delivery: DueDelivery, *, delay_seconds: float, error: str
) -> None:
    """Make the delivery due again after ``delay_seconds``."""
    await connection.execute(
        "UPDATE deliveries SET next_attempt_at = now() + make_interval(secs => $3), "
        f"last_error = $4 WHERE {_STILL_CLAIMED}",
        delivery.notification_id,
        delivery.attempts,
        delay_seconds,
        error,
    )


async def cancel_subscription_deliveries(connection: Connection, subscription_id: UUID) -> None:
    """Pending deliveries to a deleted subscription are not sent."""
    await connection.execute(
        "UPDATE deliveries SET status = 'cancelled', settled_at = now(), "
        "last_error = 'the subscription was deleted' "
        "WHERE subscription_id = $1 AND status = 'pending'",
        subscription_id,
    )


async def cancel(connection: Connection, delivery: DueDelivery, *, reason: str) -> None:
    await connection.execute(
        f"UPDATE deliveries SET status = 'cancelled', settled_at = now(), last_error = $3 "
        f"WHERE {_STILL_CLAIMED}",
        delivery.notification_id,
        delivery.attempts,
        reason,
    )


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class NotificationView(BaseModel):
    """One delivery: a cause told to one recipient over one channel."""

    notification_id: UUID
    cause_event_id: UUID = Field(
        description="The announced event; for a reminder, the event that set the date."
    )
    cause_event_type: str
    reminder: Reminder | None = Field(description="The daily check, if it is a reminder.")
    bapas_code: str
    recipient_kind: RecipientKind
    channel: Channel
    address: str | None = Field(description="E-mail address or phone; null for a webhook.")
    subscription_id: UUID | None = Field(description="The subscription of a webhook.")
    template: str
    subject: str | None
    status: DeliveryStatus
    attempts: int
    last_error: str | None
    created_at: datetime
    settled_at: datetime | None

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> Self:
        """A ``deliveries`` row as shown: a webhook's URL never is."""
        shown = dict(row)
        shown["reminder"] = row["reminder"] or None
        shown["address"] = None if row["subscription_id"] else row["address"]
        return cls.model_validate(shown)


@dataclass(frozen=True, slots=True)
class HistoryFilter:
    """The query of ``GET /api/v1/notifications``; ``bapas_codes`` ``None`` means all."""

    bapas_codes: frozenset[str] | None
    cause_event_id: UUID | None
    channel: Channel | None
    status: str | None


async def delivery_history(
    connection: Connection,
    query: HistoryFilter,
    *,
    after: tuple[datetime, UUID] | None,
    limit: int,
) -> list[Any]:
    """Deliveries matching ``query``, newest first, after the keyset ``after``."""
    return list(
        await connection.fetch(
            """
            SELECT notification_id, cause_event_id, cause_event_type, reminder, bapas_code,
                   recipient_kind, channel, address, subscription_id, template, subject,
                   status, attempts, last_error, created_at, settled_at
            FROM deliveries
            WHERE ($1::text[] IS NULL OR bapas_code = ANY($1))
              AND ($2::uuid IS NULL OR cause_event_id = $2)
              AND ($3::text IS NULL OR channel = $3)
              AND ($4::text IS NULL OR status = $4)
              AND ($5::timestamptz IS NULL OR (created_at, notification_id) < ($5, $6::uuid))
            ORDER BY created_at DESC, notification_id DESC
            LIMIT $7
            """,
            None if query.bapas_codes is None else sorted(query.bapas_codes),
            query.cause_event_id,
            query.channel.value if query.channel else None,
            query.status,
            after[0] if after else None,
            after[1] if after else None,
            limit,
        )
    )
