"""The delivery worker: sends the recorded deliveries, off the projection's transaction.

Run as a periodic job by every instance. A round claims due deliveries (``FOR UPDATE
SKIP LOCKED``, so two instances never take the same one) and sends each in a task of
its own, at most ``delivery_batch_size`` at once and at most
``webhook_receiver_concurrency`` per webhook receiver. It does not wait for a whole
batch: as soon as a delivery ends, or every poll interval, it claims more for the free
slots. A slow receiver therefore holds only its own slots (each delivery also has an
overall deadline), and the others' deliveries go on beside it. The round ends when
nothing is in flight and nothing is due.

Each outcome is recorded in a transaction of its own:

* sent → the row is settled and NotificationSent is recorded in the event store;
* failed, attempts left → due again after an exponential back-off with jitter;
* failed, no attempts left → settled as failed and NotificationFailed is recorded,
  so a webhook that keeps failing is not retried forever;
* a webhook whose subscription was deleted meanwhile → cancelled, nothing sent.

A webhook's outcome also moves its receiver's circuit breaker
(:mod:`services.notifications.subscriptions`): failures in a row pause the receiver,
whose deliveries then wait unclaimed; a success closes it. It is counted in
:data:`WEBHOOK_DELIVERIES`, for operators to see receivers failing across the country.

A worker that dies mid-send leaves its claim to expire; the delivery is then tried
again (at least once on the wire; a receiver can de-duplicate on the notification id,
which is in every message).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from collections.abc import Callable, Collection, Mapping
from enum import StrEnum
from uuid import UUID

import prometheus_client

from services.notifications.channels import DeliveryFailed, Sender, open_senders
from services.notifications.deliveries import (
    DueDelivery,
    ReceiverRoom,
    cancel,
    claim_due,
    mark_failed,
    mark_sent,
    postpone,
)
from services.notifications.domain import Notification, retry_delay
from services.notifications.settings import NotificationsSettings
from services.notifications.subscriptions import (
    record_receiver_failure,
    record_receiver_success,
    seal_clear_secrets,
)
from services.notifications.vault import SecretVault
from shared.events.envelope import Actor
from shared.events.notifications import Channel
from shared.eventstore.store import CommandContext
from shared.eventstore.unit_of_work import unit_of_work
from shared.postgres.pool import Connection
from shared.runtime import ServiceRuntime

log = logging.getLogger(__name__)

SERVICE_ACTOR = Actor(role="service", sub="notifications")

InFlight = dict[asyncio.Task[None], DueDelivery]


class WebhookOutcome(StrEnum):
    """How a webhook delivery attempt ended, as :data:`WEBHOOK_DELIVERIES` counts it."""

    DELIVERED = "delivered"
    RETRYING = "retrying"
    GAVE_UP = "gave_up"
    CANCELLED = "cancelled"


WEBHOOK_DELIVERIES = prometheus_client.Counter(
    "bapas_webhook_deliveries_total",
    "Webhook delivery attempts by outcome: delivered (the receiver answered 2xx), "
    "retrying (failed; tried again after a back-off), gave_up (failed with no attempt "
    "left: NotificationFailed), cancelled (the subscription was deleted; nothing sent).",
    ("outcome",),
)
for _outcome in WebhookOutcome:
    WEBHOOK_DELIVERIES.labels(_outcome)  # each outcome shows from the start, at 0


class DeliveryWorker:
    def __init__(
        self,
        settings: NotificationsSettings,
        *,
        webhook: Sender,
        vault: SecretVault,
        random_fraction: Callable[[], float] = random.random,
    ) -> None:
        self._settings = settings
        self._webhook = webhook
        self._vault = vault
        self._random_fraction = random_fraction
        self._clear_secrets_sealed = False

    async def run(self, runtime: ServiceRuntime) -> None:
        """Send what is due, claiming more as slots free up, until nothing is."""
        await self._seal_clear_secrets_once(runtime)
        async with open_senders(self._settings, webhook=self._webhook) as senders:
            in_flight: InFlight = {}
            try:
                await self._dispatch(runtime, senders, in_flight)
            finally:
                for task in in_flight:
                    task.cancel()
                await asyncio.gather(*in_flight, return_exceptions=True)

    async def _dispatch(
        self, runtime: ServiceRuntime, senders: Mapping[Channel, Sender], in_flight: InFlight
    ) -> None:
        settings = self._settings
        # Under a backlog, claim when half the slots are free rather than after each
        # delivery (a claim per delivery costs a query per delivery); when the poll
        # interval passes with nothing finished, claim for whatever is free.
        refill_at = max(1, settings.delivery_batch_size // 2)
        polled = True
        while True:
            free = settings.delivery_batch_size - len(in_flight)
            if free > 0 and (polled or free >= refill_at):
                for delivery in await self._claim(runtime, free, in_flight.values()):
                    task = asyncio.create_task(self._deliver(runtime, senders, delivery))
                    in_flight[task] = delivery
            if not in_flight:
                return
            done, _ = await asyncio.wait(
                in_flight,
                timeout=settings.delivery_poll_seconds,
                return_when=asyncio.FIRST_COMPLETED,
            )
            polled = not done
            for task in done:
                _log_unfinished(in_flight.pop(task), task)

    async def _claim(
        self, runtime: ServiceRuntime, limit: int, in_flight: Collection[DueDelivery]
    ) -> list[DueDelivery]:
        room = ReceiverRoom(
            in_flight=_per_subscription(in_flight),
            per_receiver=self._settings.webhook_receiver_concurrency,
        )
        async with runtime.pool.acquire() as connection:
            return await claim_due(
                connection,
                limit=limit,
                lease_seconds=self._settings.delivery_lease_seconds,
                room=room,
            )

    async def _seal_clear_secrets_once(self, runtime: ServiceRuntime) -> None:
        if self._clear_secrets_sealed:
            return
        async with runtime.pool.acquire() as connection:
            sealed = await seal_clear_secrets(connection, self._vault)
        if sealed:
            log.info("encrypted the secrets of %d subscriptions stored in clear", sealed)
        self._clear_secrets_sealed = True

    async def _deliver(
        self, runtime: ServiceRuntime, senders: Mapping[Channel, Sender], delivery: DueDelivery
    ) -> None:
        if delivery.to_deleted_subscription:
            async with runtime.pool.acquire() as connection:
                await cancel(connection, delivery, reason="the subscription was deleted")
            _count_webhook(delivery, WebhookOutcome.CANCELLED)
            return
        sender = senders.get(delivery.channel)
        try:
            if sender is None:
                raise DeliveryFailed(f"no {delivery.channel.value} channel is configured")
            await sender.send(delivery)
        except DeliveryFailed as failure:
            await self._after_failure(runtime, delivery, str(failure))
        else:
            await self._after_success(runtime, delivery)

    async def _after_success(self, runtime: ServiceRuntime, delivery: DueDelivery) -> None:
        async with unit_of_work(runtime.event_store, _context(delivery)) as work:
            if delivery.subscription_id is not None:
                await record_receiver_success(work.connection, delivery.subscription_id)
            if await mark_sent(work.connection, delivery):
                await work.save(
                    Notification.delivered(delivery.delivered, bapas_code=delivery.bapas_code)
                )
        _count_webhook(delivery, WebhookOutcome.DELIVERED)
        log.info(
            "notification %s sent by %s (attempt %d)",
            delivery.notification_id,
            delivery.channel.value,
            delivery.attempts,
        )

    async def _after_failure(
        self, runtime: ServiceRuntime, delivery: DueDelivery, error: str
    ) -> None:
        settings = self._settings
        async with unit_of_work(runtime.event_store, _context(delivery)) as work:
            connection = work.connection
            if delivery.subscription_id is not None:
                await self._count_receiver_failure(connection, delivery.subscription_id)
            if delivery.attempts < settings.max_attempts:
                delay = retry_delay(
                    delivery.attempts,
                    base_seconds=settings.retry_base_seconds,
                    max_seconds=settings.retry_max_seconds,
                    random_fraction=self._random_fraction,
                )
                await postpone(connection, delivery, delay_seconds=delay, error=error)
                _count_webhook(delivery, WebhookOutcome.RETRYING)
                log.warning(
                    "notification %s attempt %d failed (%s); retrying in %.1f s",
                    delivery.notification_id,
                    delivery.attempts,
                    error,
                    delay,
                )
            elif await mark_failed(connection, delivery, error=error):
                await work.save(
                    Notification.given_up(
                        delivery.delivered, bapas_code=delivery.bapas_code, error=error
                    )
                )
                _count_webhook(delivery, WebhookOutcome.GAVE_UP)
                log.warning(
                    "notification %s failed after %d attempts: %s",
                    delivery.notification_id,
                    delivery.attempts,
                    error,
                )

    async def _count_receiver_failure(self, connection: Connection, subscription_id: UUID) -> None:
        paused_until = await record_receiver_failure(
            connection,
            subscription_id,
            threshold=self._settings.webhook_breaker_failures,
            pause_seconds=self._settings.webhook_breaker_pause_seconds,
        )
        if paused_until is not None:
            log.warning(
                "subscription %s keeps failing; its deliveries are paused until %s",
                subscription_id,
                paused_until.isoformat(),
            )


def _count_webhook(delivery: DueDelivery, outcome: WebhookOutcome) -> None:
    if delivery.channel is Channel.WEBHOOK:
        WEBHOOK_DELIVERIES.labels(outcome).inc()


def _per_subscription(deliveries: Collection[DueDelivery]) -> Counter[UUID]:
    return Counter(d.subscription_id for d in deliveries if d.subscription_id is not None)


def _log_unfinished(delivery: DueDelivery, task: asyncio.Task[None]) -> None:
    """An attempt that raised (e.g. the database was down): its claim expires and it is
    tried again."""
    if task.cancelled() or task.exception() is None:
        return
    log.error(
        "notification %s: the attempt could not be completed",
        delivery.notification_id,
        exc_info=task.exception(),
    )


def _context(delivery: DueDelivery) -> CommandContext:
    return CommandContext(
        actor=SERVICE_ACTOR,
        correlation_id=delivery.correlation_id,
        causation_id=delivery.cause_event_id,
    )
