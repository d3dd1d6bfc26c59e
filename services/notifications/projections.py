"""The projection that turns the pokmas, enrolment and employment events into deliveries.

One projection, not a directory projection beside a delivery reaction: deliveries must
see the directory as it stands at their event (MoUSigned needs the Pokmas registered
just before it, maybe in the same batch; VacancyPosted its employer), and one consumer
keeps that order. The order holds within one topic and office only: a ClientPlaced
finds the klien's PK officer from a ClientReleased of another topic, which in practice
came weeks before. A klien's events across a transfer between offices arrive in order
too (the platform's projection consumer holds the new office's events of the klien
until the old office's ClientTransferredOut is applied).

For each batch, in the consumer's transaction: the recipient directory is updated,
then the deliveries of the batch are recorded (people per ``who_is_told_of``, and
every subscription that wants the event), each with the klien its event is about. A
batch is taken in runs cut before each ClientTransferredIn, so that the events before a
transfer are told to the klien's old PK officer and those from it on to the new one.
Nothing is sent here: the worker sends, so a slow SMTP server never holds the consumer.
The consumer's tracking makes the batch applied once; the deliveries' unique key makes
a replay or a rebuild record nothing twice.

Events recorded more than ``max_event_age_hours`` ago update the directory but are not
announced: a new deployment, or a rebuild, reads the topics from the beginning and must
not tell people years of old news. For the same reason :meth:`reset` (before a rebuild)
empties the directory only; the deliveries are history, and the guard against
sending twice. Every event replayed, old or not, gives its klien to the deliveries it
caused that were recorded before deliveries named their klien, so a rebuild completes
those.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import asyncpg

from services.notifications.deliveries import NewDelivery, fill_klien, record_deliveries
from services.notifications.directory import (
    Directory,
    klien_of_events,
    reset_directory,
    transfer_runs,
    update_directory,
)
from services.notifications.domain import Clock, system_clock, who_is_told_of
from services.notifications.notices import delivery_of, event_notices, is_fresh
from services.notifications.settings import NotificationsSettings
from services.notifications.subscriptions import active_subscriptions
from shared.events.envelope import Envelope, EventPayload
from shared.kafka.topics import EMPLOYMENT_EVENTS, ENROLMENT_EVENTS, POKMAS_EVENTS
from shared.projections import EventRejected, Projection
from shared.reference import UnknownBapas


class DeliveriesProjection:
    """Recipient directory and deliveries, from the pokmas, enrolment and employment topics."""

    name = "notifications.deliveries"
    topics = (POKMAS_EVENTS, ENROLMENT_EVENTS, EMPLOYMENT_EVENTS)

    def __init__(self, settings: NotificationsSettings, *, clock: Clock = system_clock) -> None:
        self._sms_enabled = settings.sms_enabled
        self._max_age_hours = settings.max_event_age_hours
        self._clock = clock

    async def apply(
        self, connection: asyncpg.Connection, events: Sequence[Envelope[EventPayload]]
    ) -> None:
        now = self._clock()
        fresh = [e for e in events if is_fresh(e, now=now, max_age_hours=self._max_age_hours)]
        news = {e.event_id for e in fresh if who_is_told_of(e.payload)}
        deliveries: list[NewDelivery] = []
        for run in transfer_runs(events):
            await update_directory(connection, run)
            announced = [e for e in run if e.event_id in news]
            if announced:
                deliveries.extend(await self._announcements(connection, announced))
        klien = await klien_of_events(connection, events)
        await fill_klien(connection, klien)
        if not fresh:
            return
        for subscription in await active_subscriptions(connection):
            deliveries.extend(
                subscription.delivery_of(e, client_id=klien.get(e.event_id))
                for e in fresh
                if subscription.wants(e)
            )
        await record_deliveries(connection, deliveries)

    async def _announcements(
        self, connection: asyncpg.Connection, announced: Sequence[Envelope[EventPayload]]
    ) -> list[NewDelivery]:
        """The deliveries that tell people of ``announced``, by the directory as it is."""
        directory = await Directory.load(connection, announced)
        deliveries: list[NewDelivery] = []
        for event in announced:
            try:
                notices = event_notices(event, directory)
            except UnknownBapas as unknown:
                # Reference data behind the producer's: dead-letter it, to replay later.
                raise EventRejected(event, f"{unknown}: no such office to announce") from None
            deliveries.extend(
                delivery
                for notice in notices
                if (delivery := delivery_of(notice, sms_enabled=self._sms_enabled)) is not None
            )
        return deliveries

    async def reset(self, connection: asyncpg.Connection) -> None:
        await reset_directory(connection)


PROJECTIONS: Mapping[str, Projection] = {
    DeliveriesProjection.name: DeliveriesProjection(NotificationsSettings())
}
"""For ``bapas projection rebuild notifications``; settings from the environment."""
