"""Events of the notifications service: the outcome of each delivery.

Written to ``notifications.events.v1``. Each names the event that caused it
(``cause_event_id``), so a delivery can be traced back to the fact it announced.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from shared.events.envelope import AggregateType, EventPayload, ShortText, Source, Text


class Channel(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"
    SMS = "sms"


class RecipientKind(StrEnum):
    PK_OFFICER = "pk_officer"
    POKMAS = "pokmas"
    BAPAS = "bapas"
    CLIENT = "client"
    SUBSCRIBER = "subscriber"


class NotificationEvent(EventPayload):
    """The outcome of one delivery (the Notification aggregate): the delivery, the event
    it announced, and the channel it went over."""

    source: ClassVar[Source] = Source.NOTIFICATIONS
    aggregate_type: ClassVar[AggregateType] = AggregateType.NOTIFICATION

    notification_id: UUID
    cause_event_id: UUID
    channel: Channel

    @property
    def aggregate_id(self) -> UUID:
        return self.notification_id


class NotificationSent(NotificationEvent):
    """A notification was delivered to one recipient over one channel."""

    event_type: ClassVar[str] = "NotificationSent"
    schema_version: ClassVar[int] = 1

    template: ShortText
    recipient_kind: RecipientKind


class NotificationFailed(NotificationEvent):
    """A notification could not be delivered after its retries."""

    event_type: ClassVar[str] = "NotificationFailed"
    schema_version: ClassVar[int] = 1

    error: Text
    attempts: int = Field(ge=1)
