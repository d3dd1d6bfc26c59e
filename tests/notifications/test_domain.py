"""The rules of notifying apart from any I/O: how a person is reached, when a reminder
is due, how long a failing delivery waits."""

from __future__ import annotations

import pytest

from services.notifications.domain import Recipient, Reminder, mou_reminder, reach, retry_delay
from shared.events.notifications import Channel, RecipientKind


def officer(email: str | None, phone: str | None) -> Recipient:
    return Recipient(RecipientKind.PK_OFFICER, "NIP-1", "Bapak Budi", email=email, phone=phone)


def test_a_person_with_an_email_address_is_mailed_even_with_a_phone() -> None:
    assert reach(officer("budi@bapas.example", "+62 811 1"), sms_enabled=True) == (
        Channel.EMAIL,
        "budi@bapas.example",
    )


def test_a_person_with_only_a_phone_gets_an_sms() -> None:
    assert reach(officer(None, "+62 811 1"), sms_enabled=True) == (Channel.SMS, "+62 811 1")


def test_without_a_gateway_a_person_with_only_a_phone_is_not_reached() -> None:
    assert reach(officer(None, "+62 811 1"), sms_enabled=False) is None


def test_a_person_with_neither_is_not_reached() -> None:
    assert reach(officer(None, None), sms_enabled=True) is None


@pytest.mark.parametrize(
    ("days_left", "reminder"),
    [
        (31, None),
        (30, Reminder.MOU_EXPIRING_30),
        (8, Reminder.MOU_EXPIRING_30),
        (7, Reminder.MOU_EXPIRING_7),
        (0, Reminder.MOU_EXPIRING_7),
        (-1, None),
    ],
)
def test_an_mou_reminder_is_due_from_its_day_until_the_end(
    days_left: int, reminder: Reminder | None
) -> None:
    assert mou_reminder(days_left) is reminder


@pytest.mark.parametrize("fraction", [0.0, 0.5, 1.0])
def test_retry_delays_double_each_attempt_up_to_the_cap(fraction: float) -> None:
    delays = [
        retry_delay(attempt, base_seconds=30, max_seconds=600, random_fraction=lambda: fraction)
        for attempt in range(1, 8)
    ]
    ceilings = [30, 60, 120, 240, 480, 600, 600]

    assert delays == [ceiling * (1 + fraction) / 2 for ceiling in ceilings]


def test_retry_delays_are_jittered_over_the_upper_half() -> None:
    delays = {retry_delay(3, base_seconds=30, max_seconds=600) for _ in range(50)}

    assert len(delays) > 1
    assert all(60 <= delay <= 120 for delay in delays)
