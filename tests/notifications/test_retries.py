"""A delivery the SMTP server refuses is tried again with back-off: it ends in exactly
one message once the server accepts, or in NotificationFailed after the configured
attempts (``NOTIFICATIONS_MAX_ATTEMPTS``, 3 here, with retries of 0.05 s and more)."""

from __future__ import annotations

from shared.events.notifications import NotificationFailed, NotificationSent
from tests.notifications.conftest import MAX_ATTEMPTS, Notifications
from tests.notifications.receivers import eventually
from tests.notifications.world import World, notification_events


async def test_a_server_that_refuses_then_accepts_ends_in_one_message(
    notifications: Notifications,
) -> None:
    world = World()
    assert world.officer_email is not None
    notifications.mailbox.refuse(world.officer_email, times=MAX_ATTEMPTS - 1)
    released = await world.publish_setup(notifications.publisher, until="ClientReleased")

    [delivery] = await notifications.settled(released.event_id, 1)

    assert (delivery["status"], delivery["attempts"]) == ("sent", MAX_ATTEMPTS)
    assert notifications.mailbox.attempts[world.officer_email] == MAX_ATTEMPTS
    assert [m["To"] for m in notifications.mailbox.about(released.event_id)] == [
        world.officer_email
    ]


async def test_a_server_that_never_accepts_ends_in_notification_failed(
    notifications: Notifications,
) -> None:
    world = World()
    assert world.officer_email is not None
    notifications.mailbox.refuse(world.officer_email)
    released = await world.publish_setup(notifications.publisher, until="ClientReleased")

    [delivery] = await notifications.settled(released.event_id, 1)

    # By the delivery's id: another notifications service on a shared development
    # Kafka (the stack's own) may announce the same cause to the same people.
    async def outcomes() -> list[NotificationSent | NotificationFailed]:
        return [
            event.payload
            for event in await notification_events(notifications.kafka_bootstrap)
            if isinstance(event.payload, NotificationSent | NotificationFailed)
            and str(event.payload.notification_id) == delivery["notification_id"]
        ]

    [failed] = await eventually(outcomes)

    assert isinstance(failed, NotificationFailed)
    assert failed.cause_event_id == released.event_id
    assert failed.attempts == MAX_ATTEMPTS
    assert "451" in failed.error
    assert (delivery["status"], delivery["attempts"]) == ("failed", MAX_ATTEMPTS)
    assert notifications.mailbox.attempts[world.officer_email] == MAX_ATTEMPTS
    assert notifications.mailbox.about(released.event_id) == []
