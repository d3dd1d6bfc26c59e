"""The notifications service's HTTP API (the API contract): the delivery history, the
webhook subscriptions and a klien's subject-access export.

* ``GET /api/v1/notifications``: deliveries, newest first, filtered by ``bapas_code``,
  ``cause_event_id``, ``channel`` and ``status``, within the caller's scope (ministry
  and service all, regional its province, a Bapas officer its Bapas; a Pokmas partner
  may not read it). A webhook delivery shows its subscription, not its URL.
* ``GET /api/v1/clients/{id}/export``: what the service holds of a klien
  (:mod:`services.notifications.export`), for the officers of the klien's Bapas only,
  recorded in the klien's access log.
* ``POST/GET/DELETE /api/v1/subscriptions`` and ``POST
  /api/v1/subscriptions/{id}/secret``: roles ``ministry`` and ``service``. A
  subscription belongs to the caller who made it (the token's ``sub``): another caller
  sees, rotates and deletes only its own (anyone else's is a 404), the ministry all.
  The URL must pass the webhook target check (:mod:`services.notifications.targets`,
  422 naming ``body.url`` otherwise, and nothing is stored). The secret is taken once,
  stored encrypted and never shown again; rotating it keeps the old one signing beside
  the new for a grace period. Subscriptions are configuration, not events of the
  contract, so creating one answers the subscription itself (201 and a ``Location``)
  rather than ``{"id", "version", "event_id"}``, and a rotation answers it with 200.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import AfterValidator, BaseModel, Field, HttpUrl, WithJsonSchema

from services.notifications.deliveries import (
    DeliveryStatus,
    HistoryFilter,
    NotificationView,
    delivery_history,
)
from services.notifications.export import NotificationsExport, export_of, klien_here
from services.notifications.subscriptions import (
    WEBHOOK_EVENT_TYPES,
    Subscription,
    create_subscription,
    delete_subscription,
    find_subscription,
    list_subscriptions,
    rotate_secret,
)
from services.notifications.targets import TargetGuard, TargetRefused
from services.notifications.vault import SecretVault
from shared.access_log import export_route, record_export
from shared.commands import Command
from shared.events.notifications import Channel
from shared.http import (
    COMMAND_RESPONSES,
    COMMON_RESPONSES,
    READ_RESPONSES,
    Caller,
    CursorCodec,
    FieldError,
    NotFound,
    Page,
    PageRequest,
    Principal,
    Role,
    Unprocessable,
    page_request,
    require_roles,
)
from shared.reference import KnownBapasCode
from shared.runtime import Runtime

router = APIRouter(prefix="/api/v1", responses=COMMON_RESPONSES, tags=["notifications"])

HistoryReader = Annotated[
    Principal,
    Depends(require_roles(Role.MINISTRY, Role.SERVICE, Role.REGIONAL, Role.BAPAS_OFFICER)),
]
SubscriptionManager = Annotated[Principal, Depends(require_roles(Role.MINISTRY, Role.SERVICE))]
Paging = Annotated[PageRequest, Depends(page_request)]

_KEYSET = CursorCodec(tuple[datetime, UUID])

NO_CLIENT = "no klien with this id is known here"


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
    an event set) told to one recipient over one channel, with its state.

    Who: any role; only the deliveries of the Bapas in the caller's scope (everything
    for `ministry` and `service`, the province's Bapas for `regional`, its Bapas for
    `bapas_officer` and `pokmas_partner`).
    """
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
    views = [NotificationView.of(row) for row in rows]
    return paging.page(views, _KEYSET, lambda view: (view.created_at, view.notification_id))


@export_route(router)
async def export_client(
    client_id: UUID, caller: Caller, runtime: Runtime, request: Request
) -> NotificationsExport:
    """The klien as this service knows it (its office, register number, supervision and
    PK officer, its enrolments and placements), every message sent about its events (when,
    to whom, over which channel, the subject and body as sent, and what became of it)
    and who read its data here, for the klien's right of access. The export is recorded
    in the access log.

    Who: an officer (`bapas_officer`) of the klien's Bapas. Other roles that may read
    the klien: 403; an unknown id, or one the caller may not read: 404.
    """
    klien = caller.require_found(await klien_here(runtime.pool, client_id), NO_CLIENT)
    await record_export(runtime.pool, request, caller, client_id, klien.bapas_code)
    return await export_of(runtime.pool, klien, exported_at=datetime.now(UTC))


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

WebhookSecret = Annotated[
    str,
    Field(
        min_length=16,
        max_length=256,
        pattern=r"^[^\x00-\x1f\x7f]+$",
        description="Signs each delivery: X-Bapas-Signature: t=<unix time>,v1=<hex "
        'HMAC-SHA256 of "<t>.<body>">. Stored encrypted, never shown again.',
    ),
]


async def secret_vault(request: Request) -> SecretVault:
    vault: SecretVault = request.app.state.secret_vault
    return vault


async def target_guard(request: Request) -> TargetGuard:
    guard: TargetGuard = request.app.state.target_guard
    return guard


Vault = Annotated[SecretVault, Depends(secret_vault)]
Targets = Annotated[TargetGuard, Depends(target_guard)]


def owner_filter(caller: Principal) -> str | None:
    """Whose subscriptions the caller reaches: its own, or all (``None``) for the ministry."""
    return None if caller.role is Role.MINISTRY else caller.sub


class SubscriptionRequest(Command):
    url: HttpUrl = Field(
        description="Where deliveries are POSTed: https (http only in development), to a "
        "host whose every address is public (no loopback but in development, private, "
        "link-local, multicast, unspecified or reserved address); redirects are not followed."
    )
    event_types: list[WebhookEventType] = Field(min_length=1, max_length=50)
    secret: WebhookSecret
    bapas_codes: list[KnownBapasCode] | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Only events of these Bapas; all when absent.",
    )


class SecretRotation(Command):
    secret: WebhookSecret


class SubscriptionView(BaseModel):
    """A subscription as shown: everything but its secret."""

    id: UUID
    url: str
    event_types: list[str]
    bapas_codes: list[str] | None
    created_by: str = Field(description="The caller who made it (its token's sub): its owner.")
    created_at: datetime
    secret_rotated_at: datetime | None = Field(description="When the secret was last replaced.")
    previous_secret_valid_until: datetime | None = Field(
        description="Until then deliveries are signed with the previous secret as well."
    )
    paused_until: datetime | None = Field(
        description="Set while the receiver is paused after failing repeatedly: its "
        "deliveries wait until then."
    )

    @classmethod
    def of(cls, subscription: Subscription) -> SubscriptionView:
        return cls(
            id=subscription.subscription_id,
            url=subscription.url,
            event_types=list(subscription.event_types),
            bapas_codes=(
                None if subscription.bapas_codes is None else list(subscription.bapas_codes)
            ),
            created_by=subscription.created_by,
            created_at=subscription.created_at,
            secret_rotated_at=subscription.secret_rotated_at,
            previous_secret_valid_until=subscription.previous_secret_expires_at,
            paused_until=subscription.paused_until,
        )


async def _checked_url(url: str, targets: TargetGuard) -> str:
    """``url`` if a webhook may be delivered there; else a 422 naming ``body.url``."""
    try:
        await targets.check(url)
    except TargetRefused as refused:
        raise Unprocessable(
            "invalid input: body.url", errors=[FieldError("body.url", str(refused))]
        ) from None
    return url


@router.post(
    "/subscriptions",
    responses=COMMAND_RESPONSES,
    status_code=201,
    summary="Subscribe a webhook to events",
)
async def subscribe(
    body: SubscriptionRequest,
    runtime: Runtime,
    caller: SubscriptionManager,
    vault: Vault,
    targets: Targets,
    response: Response,
) -> SubscriptionView:
    """Each event of the chosen types (and Bapas) recorded from now on is POSTed to
    ``url`` as its envelope (JSON, the same as on the Kafka topic), with the headers
    ``X-Bapas-Signature: t=<unix time>,v1=<hex>`` (HMAC-SHA256 of ``"<t>.<raw body>"``
    under ``secret``: recompute it, compare in constant time, and refuse a ``t`` older
    than a few minutes), ``X-Bapas-Event-Id``, ``X-Bapas-Event-Type`` and
    ``X-Bapas-Delivery-Id``. Answer 2xx within 10 s to acknowledge; anything else
    (a redirect included) is retried with exponential back-off, then given up
    (NotificationFailed), and a receiver that keeps failing is paused for a while. A
    delivery may come twice after a crash: de-duplicate on the event id.

    Who: `ministry` and `service`; others 403. The subscription belongs to its caller
    (the token's `sub`).
    """
    url = await _checked_url(str(body.url), targets)
    async with runtime.pool.acquire() as connection:
        subscription = await create_subscription(
            connection,
            vault,
            url=url,
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
    """The caller's own subscriptions; all of them for the ministry.

    Who: `ministry` and `service` (others 403).
    """
    async with runtime.pool.acquire() as connection:
        found = await list_subscriptions(
            connection,
            owner=owner_filter(caller),
            after=paging.after(_KEYSET),
            limit=paging.fetch_limit,
        )
    views = [SubscriptionView.of(subscription) for subscription in found]
    return paging.page(views, _KEYSET, lambda view: (view.created_at, view.id))


@router.get(
    "/subscriptions/{subscription_id}",
    responses=READ_RESPONSES,
    summary="One webhook subscription",
)
async def subscription(
    subscription_id: UUID, runtime: Runtime, caller: SubscriptionManager
) -> SubscriptionView:
    """Who: its owner, and the ministry; anyone else 404, as for an unknown id."""
    async with runtime.pool.acquire() as connection:
        found = await find_subscription(connection, subscription_id, owner=owner_filter(caller))
    if found is None:
        raise NotFound("no such subscription")
    return SubscriptionView.of(found)


@router.post(
    "/subscriptions/{subscription_id}/secret",
    responses=COMMAND_RESPONSES,
    summary="Rotate a webhook's secret",
)
async def rotate_subscription_secret(
    subscription_id: UUID,
    body: SecretRotation,
    runtime: Runtime,
    caller: SubscriptionManager,
    vault: Vault,
    request: Request,
) -> SubscriptionView:
    """Sign deliveries with the new ``secret`` from now on. The secret it replaces stays
    valid for a grace period (``previous_secret_valid_until``, 24 hours by default):
    until then each delivery carries both signatures, the new one first
    (``t=…,v1=<new>,v1=<old>``), so the receiver can switch at its own pace. A secret
    rotated out earlier stops signing at once.

    Who: its owner, and the ministry; anyone else 404, as for an unknown id.
    """
    grace_seconds: float = request.app.state.secret_grace_seconds
    async with runtime.pool.acquire() as connection:
        rotated = await rotate_secret(
            connection,
            vault,
            subscription_id,
            owner=owner_filter(caller),
            secret=body.secret,
            grace_seconds=grace_seconds,
        )
    if rotated is None:
        raise NotFound("no such subscription")
    return SubscriptionView.of(rotated)


@router.delete(
    "/subscriptions/{subscription_id}",
    responses=COMMAND_RESPONSES,
    status_code=204,
    summary="Unsubscribe a webhook",
)
async def unsubscribe(
    subscription_id: UUID, runtime: Runtime, caller: SubscriptionManager
) -> Response:
    """Nothing more is delivered to it, pending deliveries included; its secret is erased.

    Who: its owner, and the ministry; anyone else 404, as for an unknown id. Answers
    204.
    """
    async with runtime.pool.acquire() as connection:
        deleted = await delete_subscription(connection, subscription_id, owner=owner_filter(caller))
    if not deleted:
        raise NotFound("no such subscription")
    return Response(status_code=204)
