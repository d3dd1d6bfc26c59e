"""The notifications service's HTTP API (``api.md``): the delivery history and the
webhook subscriptions.

* ``GET /api/v1/notifications``: deliveries, newest first, filtered by ``bapas_code``,
  ``cause_event_id``, ``channel`` and ``status``, within the caller's scope (ministry
  and service all, regional its province, a Bapas officer its Bapas; a Pokmas partner
  may not read it). A webhook delivery shows its subscription, not its URL.
* ``POST/GET/DELETE /api/v1/subscriptions``: roles ``ministry`` and ``service``. The
  secret is taken once and never shown again. Subscriptions are configuration, not
  events of the contract, so creating one answers the subscription itself (201 and a
  ``Location``) rather than ``{"id", "version", "event_id"}``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response
from pydantic import AfterValidator, BaseModel, Field, HttpUrl, WithJsonSchema

from services.notifications.deliveries import HistoryFilter, delivery_history
from services.notifications.domain import Reminder
from services.notifications.subscriptions import (
    WEBHOOK_EVENT_TYPES,
    Subscription,
    create_subscription,
    delete_subscription,
    find_subscription,
    list_subscriptions,
)
from shared.events.notifications import Channel, RecipientKind
from shared.http import (
    PROBLEM_RESPONSES,
    CursorCodec,
    NotFound,
    Page,
    PageRequest,
    Principal,
    Role,
    page_request,
    require_roles,
)
from shared.http.commands import RequestBody
from shared.reference import KnownBapasCode
from shared.runtime import Runtime

router = APIRouter(prefix="/api/v1", responses=PROBLEM_RESPONSES, tags=["notifications"])

HistoryReader = Annotated[
    Principal,
    Depends(require_roles(Role.MINISTRY, Role.SERVICE, Role.REGIONAL, Role.BAPAS_OFFICER)),
]
SubscriptionManager = Annotated[Principal, Depends(require_roles(Role.MINISTRY, Role.SERVICE))]
Paging = Annotated[PageRequest, Depends(page_request)]

_KEYSET = CursorCodec(tuple[datetime, UUID])


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


@router.get("/notifications", summary="Delivery history")
async def notification_history(
    runtime: Runtime,
    caller: HistoryReader,
    paging: Paging,
    bapas_code: Annotated[KnownBapasCode | None, Query()] = None,
    cause_event_id: Annotated[UUID | None, Query()] = None,
    channel: Annotated[Channel | None, Query()] = None,
    status: Annotated[DeliveryStatus | None, Query()] = None,
) -> Page[NotificationView]:
    """Deliveries newest first: each is one cause (an event, or a reminder of the date
    an event set) told to one recipient over one channel, with its state."""
    scope = caller.list_scope().narrowed(bapas_code=bapas_code)
    if scope.is_empty:
        return Page(items=[], next_cursor=None)
    query = HistoryFilter(
        bapas_codes=scope.bapas_codes,
        cause_event_id=cause_event_id,
        channel=channel,
        status=status.value if status else None,
    )
    async with runtime.pool.acquire() as connection:
        rows = await delivery_history(
            connection, query, after=paging.after(_KEYSET), limit=paging.fetch_limit
        )
    views = [
        NotificationView(
            notification_id=row["notification_id"],
            cause_event_id=row["cause_event_id"],
            cause_event_type=row["cause_event_type"],
            reminder=Reminder(row["reminder"]) if row["reminder"] else None,
            bapas_code=row["bapas_code"],
            recipient_kind=RecipientKind(row["recipient_kind"]),
            channel=Channel(row["channel"]),
            address=None if row["subscription_id"] else row["address"],
            subscription_id=row["subscription_id"],
            template=row["template"],
            subject=row["subject"],
            status=DeliveryStatus(row["status"]),
            attempts=row["attempts"],
            last_error=row["last_error"],
            created_at=row["created_at"],
            settled_at=row["settled_at"],
        )
        for row in rows
    ]
    return paging.page(views, _KEYSET, lambda view: (view.created_at, view.notification_id))


def _known_event_type(event_type: str) -> str:
    if event_type not in WEBHOOK_EVENT_TYPES:
        raise ValueError(
            f"unknown event type {event_type!r}; known: {', '.join(WEBHOOK_EVENT_TYPES)}"
        )
    return event_type


WebhookEventType = Annotated[
    str,
    AfterValidator(_known_event_type),
    WithJsonSchema({"type": "string", "enum": list(WEBHOOK_EVENT_TYPES)}),
]


class SubscriptionRequest(RequestBody):
    url: HttpUrl = Field(description="Where deliveries are POSTed; http or https.")
    event_types: list[WebhookEventType] = Field(min_length=1, max_length=50)
    secret: str = Field(
        min_length=16,
        max_length=256,
        pattern=r"^[^\x00-\x1f\x7f]+$",
        description="Signs each delivery (X-Bapas-Signature: sha256=<HMAC-SHA256 of the "
        "body, hex>). Never shown again.",
    )
    bapas_codes: list[KnownBapasCode] | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Only events of these Bapas; all when absent.",
    )


class SubscriptionView(BaseModel):
    """A subscription as shown: everything but its secret."""

    id: UUID
    url: str
    event_types: list[str]
    bapas_codes: list[str] | None
    created_at: datetime

    @classmethod
    def of(cls, subscription: Subscription) -> SubscriptionView:
        return cls(
            id=subscription.subscription_id,
            url=subscription.url,
            event_types=list(subscription.event_types),
            bapas_codes=(
                None if subscription.bapas_codes is None else list(subscription.bapas_codes)
            ),
            created_at=subscription.created_at,
        )


@router.post("/subscriptions", status_code=201, summary="Subscribe a webhook to events")
async def subscribe(
    body: SubscriptionRequest, runtime: Runtime, caller: SubscriptionManager, response: Response
) -> SubscriptionView:
    """Each event of the chosen types (and Bapas) recorded from now on is POSTed to
    ``url`` as its envelope (JSON, the same as on the Kafka topic), with the headers
    ``X-Bapas-Signature: sha256=<hex>`` (HMAC-SHA256 of the raw body under ``secret``:
    recompute it and compare in constant time), ``X-Bapas-Event-Id``,
    ``X-Bapas-Event-Type`` and ``X-Bapas-Delivery-Id``. Answer 2xx to acknowledge;
    anything else is retried with exponential back-off, then given up
    (NotificationFailed). A delivery may come twice after a crash: de-duplicate on
    the event id."""
    async with runtime.pool.acquire() as connection:
        subscription = await create_subscription(
            connection,
            url=str(body.url),
            secret=body.secret,
            event_types=body.event_types,
            bapas_codes=body.bapas_codes,
            created_by=caller.sub,
        )
    response.headers["Location"] = f"/api/v1/subscriptions/{subscription.subscription_id}"
    return SubscriptionView.of(subscription)


@router.get("/subscriptions", summary="Webhook subscriptions")
async def subscriptions(
    runtime: Runtime, caller: SubscriptionManager, paging: Paging
) -> Page[SubscriptionView]:
    async with runtime.pool.acquire() as connection:
        found = await list_subscriptions(
            connection, after=paging.after(_KEYSET), limit=paging.fetch_limit
        )
    views = [SubscriptionView.of(subscription) for subscription in found]
    return paging.page(views, _KEYSET, lambda view: (view.created_at, view.id))


@router.get("/subscriptions/{subscription_id}", summary="One webhook subscription")
async def subscription(
    subscription_id: UUID, runtime: Runtime, caller: SubscriptionManager
) -> SubscriptionView:
    async with runtime.pool.acquire() as connection:
        found = await find_subscription(connection, subscription_id)
    if found is None:
        raise NotFound("no such subscription")
    return SubscriptionView.of(found)


@router.delete("/subscriptions/{subscription_id}", status_code=204, summary="Unsubscribe a webhook")
async def unsubscribe(
    subscription_id: UUID, runtime: Runtime, caller: SubscriptionManager
) -> Response:
    async with runtime.pool.acquire() as connection:
        if not await delete_subscription(connection, subscription_id):
            raise NotFound("no such subscription")
    return Response(status_code=204)
