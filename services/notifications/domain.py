"""The rules of notifying, apart from SQL, SMTP and HTTP.

* Who is told what (the API contract): :data:`WHO_IS_TOLD` for events (and
  :func:`who_is_told_of`, which of the klien's missed reports are news), :class:`Reminder`
  for the daily checks, and when a placement's retention check is due
  (:func:`retention_check_due`).
* How a person is reached: e-mail when an address is known, else SMS when a phone
  number is known and a gateway is configured, else not at all (:func:`reach`).
* How often a failing delivery is tried again: exponential back-off with jitter, up to
  a number of attempts (:func:`retry_delay`).
* The outcome of a delivery is an aggregate of its own, :class:`Notification`, whose
  single event (NotificationSent or NotificationFailed) goes to
  ``notifications.events.v1``. The event store's key on (aggregate, version) makes a
  second outcome for the same delivery a conflict, so it is recorded once.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType
from uuid import UUID

from shared.events.employment import RetentionMilestone
from shared.events.enrolment import ReportMissed
from shared.events.envelope import AggregateType, EventPayload
from shared.events.notifications import (
    Channel,
    NotificationEvent,
    NotificationFailed,
    NotificationSent,
    RecipientKind,
)
from shared.eventstore.aggregate import Aggregate

Clock = Callable[[], datetime]
"""Where the service reads the time: injected, so tests can set the day."""


def system_clock() -> datetime:
    return datetime.now(UTC)


WHO_IS_TOLD: Mapping[str, tuple[RecipientKind, ...]] = MappingProxyType(
    {
        "ClientReleased": (RecipientKind.PK_OFFICER,),
        "ClientEnrolled": (RecipientKind.POKMAS, RecipientKind.PK_OFFICER),
        "TrainingCompleted": (RecipientKind.PK_OFFICER,),
        "TrainingWithdrawn": (RecipientKind.PK_OFFICER,),
        "EnrolmentSuspended": (RecipientKind.PK_OFFICER, RecipientKind.POKMAS),
        "MoUSigned": (RecipientKind.BAPAS, RecipientKind.POKMAS),
        "MoUTerminated": (RecipientKind.BAPAS, RecipientKind.POKMAS),
        "MoUExpired": (RecipientKind.BAPAS, RecipientKind.POKMAS),
        "VacancyPosted": (RecipientKind.BAPAS,),
        "ClientPlaced": (RecipientKind.PK_OFFICER,),
        "ReportMissed": (RecipientKind.PK_OFFICER,),
        "RevocationRecommended": (RecipientKind.PK_OFFICER, RecipientKind.BAPAS),
        "ClientTransferredOut": (RecipientKind.BAPAS, RecipientKind.PK_OFFICER),
        "ClientTransferredIn": (RecipientKind.BAPAS, RecipientKind.PK_OFFICER),
    }
)
"""The events that are announced to people, and to whom (webhooks aside).

A transfer is told by its two events, each to its own office and PK officer:
ClientTransferredOut (keyed by the old office) to the old office and the officer who
supervised the klien there, ClientTransferredIn (keyed by the new one) to the new
office and the officer it names.
"""


def who_is_told_of(event: EventPayload) -> tuple[RecipientKind, ...]:
    """The kinds of people told of ``event``; none when it is not announced.

    As :data:`WHO_IS_TOLD` says, except that a missed report is news only when it
    starts a streak of misses: the first sign of trouble, for the PK officer to act on
    while one call may still set it right. The later misses of the same streak add
    nothing the officer can do more about, and the streak that becomes the ground for
    revocation is told by RevocationRecommended, to the officer and the office. So a
    schedule entered with due dates in the past tells of each streak once, not of each
    date.
    """
    if isinstance(event, ReportMissed) and event.missed_in_a_row > 1:
        return ()
    return WHO_IS_TOLD.get(event.event_type, ())


WEBHOOK_TEMPLATE = "event_envelope"
"""The template name a webhook delivery records: its body is the event envelope."""

ERROR_LENGTH = 2000
"""NotificationFailed's ``error`` is at most this long (the contract's Text)."""


class Reminder(StrEnum):
    """The daily checks; each is sent once per recipient and channel for one date."""

    MOU_EXPIRING_30 = "mou_expiring_30"
    MOU_EXPIRING_7 = "mou_expiring_7"
    SUPERVISION_ENDING_14 = "supervision_ending_14"
    RETENTION_CHECK_SIX_WEEKS = "retention_check_six_weeks"
    RETENTION_CHECK_SIX_MONTHS = "retention_check_six_months"

    @property
    def template(self) -> str:
        match self:
            case Reminder.SUPERVISION_ENDING_14:
                return "supervision_ending"
            case Reminder.RETENTION_CHECK_SIX_WEEKS | Reminder.RETENTION_CHECK_SIX_MONTHS:
                return "retention_check"
        return "mou_expiring"


MOU_REMINDER_DAYS = 30
SUPERVISION_REMINDER_DAYS = 14


def mou_reminder(days_left: int) -> Reminder | None:
    """Which reminder an active MoU ending in ``days_left`` days is due.

    A window rather than an exact day, so that a check missed (the service was down
    that day) is made up the next day; the unique key keeps each reminder single.
    """
    if 0 <= days_left <= 7:
        return Reminder.MOU_EXPIRING_7
    if 7 < days_left <= MOU_REMINDER_DAYS:
        return Reminder.MOU_EXPIRING_30
    return None


RETENTION_REMINDERS: Mapping[RetentionMilestone, Reminder] = MappingProxyType(
    {
        RetentionMilestone.SIX_WEEKS: Reminder.RETENTION_CHECK_SIX_WEEKS,
        RetentionMilestone.SIX_MONTHS: Reminder.RETENTION_CHECK_SIX_MONTHS,
    }
)

RETENTION_REMINDER_DAYS = 7
"""A retention check is reminded of from its day for a week, while it is not recorded."""


def retention_check_due(
    days_since_start: int, recorded: Collection[RetentionMilestone]
) -> RetentionMilestone | None:
    """The retention check an active placement started ``days_since_start`` days ago is
    to be reminded of, if any: the one whose day it is, while it is not ``recorded``.

    A window of :data:`RETENTION_REMINDER_DAYS` rather than the day alone, so that a
    check missed (the service was down that day) is made up the next day; the unique
    key keeps each reminder single.
    """
    for milestone in RetentionMilestone:
        if milestone.first_day <= days_since_start < milestone.first_day + RETENTION_REMINDER_DAYS:
            return None if milestone in recorded else milestone
    return None


@dataclass(frozen=True, slots=True)
class Recipient:
    """Someone to tell: ``key`` says who (the officer's staff id, the Pokmas id, the
    Bapas code, the subscription id), so a delivery is once per person, not per address."""

    kind: RecipientKind
    key: str
    name: str
    email: str | None = None
    phone: str | None = None


def reach(recipient: Recipient, *, sms_enabled: bool) -> tuple[Channel, str] | None:
    """The channel and address to reach a person by, or ``None`` when there is none.

    E-mail first; a PK officer without an e-mail address (it is optional in
    ClientReleased) gets an SMS if the gateway is configured; without either, nothing
    is recorded for that person.
    """
    if recipient.email:
        return Channel.EMAIL, recipient.email
    if recipient.phone and sms_enabled:
        return Channel.SMS, recipient.phone
    return None


def retry_delay(
    attempts: int,
    *,
    base_seconds: float,
    max_seconds: float,
    random_fraction: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait after the ``attempts``-th failed attempt: ``base × 2^(attempts-1)``,
    capped, of which a random half is taken off ("equal jitter"), so that deliveries
    failing together (a server down) do not come back together."""
    ceiling = min(max_seconds, base_seconds * 2.0 ** (attempts - 1))
    return ceiling / 2 + random_fraction() * ceiling / 2


@dataclass(frozen=True, slots=True)
class Delivered:
    """What an outcome event says about the delivery it closes."""

    notification_id: UUID
    cause_event_id: UUID
    channel: Channel
    template: str
    recipient_kind: RecipientKind
    attempts: int


class Notification(Aggregate):
    """One delivery's outcome: sent, or failed for good after its attempts."""

    aggregate_type = AggregateType.NOTIFICATION

    sent: bool

    @classmethod
    def delivered(cls, delivery: Delivered, *, bapas_code: str) -> Notification:
        return cls._closed_by(NotificationSent.built_from(delivery), bapas_code)

    @classmethod
    def given_up(cls, delivery: Delivered, *, bapas_code: str, error: str) -> Notification:
        failed = NotificationFailed.built_from(
            delivery, error=error[:ERROR_LENGTH] or "unknown error"
        )
        return cls._closed_by(failed, bapas_code)

    @classmethod
    def _closed_by(cls, outcome: NotificationEvent, bapas_code: str) -> Notification:
        notification = cls(outcome.notification_id, bapas_code)
        notification.record(outcome)
        return notification

    def apply(self, event: EventPayload) -> None:
        match event:
            case NotificationSent():
                self.sent = True
            case NotificationFailed():
                self.sent = False
