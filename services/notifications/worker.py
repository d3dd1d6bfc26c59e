"""The delivery worker: sends the recorded deliveries, off the projection's transaction.

Run as a periodic job by every instance. Each round claims due deliveries (``FOR
UPDATE SKIP LOCKED``, so two instances never take the same one), sends them
concurrently, and records each outcome in a transaction of its own:

* sent → the row is settled and NotificationSent is recorded in the event store;
* failed, attempts left → due again after an exponential back-off with jitter;
* failed, no attempts left → settled as failed and NotificationFailed is recorded,
  so a webhook that keeps failing is not retried forever;
* a webhook whose subscription was deleted meanwhile → cancelled, nothing sent.

A worker that dies mid-send leaves its claim to expire; the delivery is then tried
again (at least once on the wire; a receiver can de-duplicate on the notification id,
which is in every message).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Mapping

from services.notifications.channels import DeliveryFailed, Sender, open_senders
from services.notifications.deliveries import (
    DueDelivery,
    cancel,
    claim_due,
    mark_failed,
    mark_sent,
    postpone,
)
from services.notifications.domain import Notification, retry_delay
from services.notifications.settings import NotificationsSettings
from shared.events.envelope import Actor
from shared.events.notifications import Channel
from shared.eventstore.store import CommandContext
from shared.runtime import ServiceRuntime

log = logging.getLogger(__name__)

SERVICE_ACTOR = Actor(role="service", sub="notifications")


class DeliveryWorker:
    def __init__(
        self,
        settings: NotificationsSettings,
        *,
        random_fraction: Callable[[], float] = random.random,
    ) -> None:
        self._settings = settings
        self._random_fraction = random_fraction

    async def run(self, runtime: ServiceRuntime) -> None:
        """Send what is due, batch after batch, until nothing is."""
        batch_size = self._settings.delivery_batch_size
        while True:
            async with runtime.pool.acquire() as connection:
                due = await claim_due(
                    connection,
                    limit=batch_size,
                    lease_seconds=self._settings.delivery_lease_seconds,
                )
            if not due:
                return
            async with open_senders(self._settings) as senders:
                outcomes = await asyncio.gather(
                    *(self._deliver(runtime, senders, d) for d in due), return_exceptions=True
                )
            for delivery, outcome in zip(due, outcomes, strict=True):
                if isinstance(outcome, Exception):
                    # Its claim expires and it is tried again (e.g. the database was down).
                    log.error(
                        "notification %s: the attempt could not be completed",
                        delivery.notification_id,
                        exc_info=outcome,
                    )
            if len(due) < batch_size:
                return

    async def _deliver(
        self, runtime: ServiceRuntime, senders: Mapping[Channel, Sender], delivery: DueDelivery
    ) -> None:
        if delivery.channel is Channel.WEBHOOK and delivery.secret is None:
            async with runtime.pool.acquire() as connection:
                await cancel(connection, delivery, reason="the subscription was deleted")
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
        async with runtime.pool.acquire() as connection, connection.transaction():
            if await mark_sent(connection, delivery):
                notification = Notification.delivered(
                    delivery.delivered, bapas_code=delivery.bapas_code
                )
                await runtime.event_store.save(
                    notification, _context(delivery), connection=connection
                )
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
        async with runtime.pool.acquire() as connection, connection.transaction():
            if delivery.attempts < settings.max_attempts:
                delay = retry_delay(
                    delivery.attempts,
                    base_seconds=settings.retry_base_seconds,
                    max_seconds=settings.retry_max_seconds,
                    random_fraction=self._random_fraction,
                )
                await postpone(connection, delivery, delay_seconds=delay, error=error)
                log.warning(
                    "notification %s attempt %d failed (%s); retrying in %.1f s",
                    delivery.notification_id,
                    delivery.attempts,
                    error,
                    delay,
                )
            elif await mark_failed(connection, delivery, error=error):
                notification = Notification.given_up(
                    delivery.delivered, bapas_code=delivery.bapas_code, error=error
                )
                await runtime.event_store.save(
                    notification, _context(delivery), connection=connection
                )
                log.warning(
                    "notification %s failed after %d attempts: %s",
                    delivery.notification_id,
                    delivery.attempts,
                    error,
                )


def _context(delivery: DueDelivery) -> CommandContext:
    return CommandContext(
        actor=SERVICE_ACTOR,
        correlation_id=delivery.correlation_id,
        causation_id=delivery.cause_event_id,
    )
