"""Who is told what (the API contract), through the real service: events published on the
pokmas and enrolment topics end as e-mails in the development SMTP server's folder, or
SMS at the gateway, for exactly the right people, once."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

import pytest

from shared.events.envelope import EventPayload
from shared.events.notifications import NotificationSent
from tests.notifications.conftest import SMS_KEY, SMS_PATH, Notifications
from tests.notifications.receivers import eventually
from tests.notifications.world import World, notification_events

Recipients = Callable[[World], set[str]]


def officer(world: World) -> set[str]:
    assert world.officer_email is not None
    return {world.officer_email}


def pokmas_and_officer(world: World) -> set[str]:
    return {world.pokmas_email, *officer(world)}


def office_and_pokmas(world: World) -> set[str]:
    return {world.office_email, world.pokmas_email}


WHO_IS_TOLD: list[tuple[str, Callable[[World], EventPayload], Recipients]] = [
    ("ClientReleased", World.client_released, officer),
    ("ClientEnrolled", World.client_enrolled, pokmas_and_officer),
    ("TrainingCompleted", World.training_completed, officer),
    ("TrainingWithdrawn", World.training_withdrawn, officer),
    ("EnrolmentSuspended", World.enrolment_suspended, pokmas_and_officer),
    ("MoUSigned", World.mou_signed, office_and_pokmas),
    ("MoUTerminated", World.mou_terminated, office_and_pokmas),
    ("MoUExpired", World.mou_expired, office_and_pokmas),
]


@pytest.mark.parametrize(
    ("event_type", "event", "recipients"), WHO_IS_TOLD, ids=[case[0] for case in WHO_IS_TOLD]
)
async def test_each_event_is_mailed_to_exactly_its_recipients(
    notifications: Notifications,
    event_type: str,
    event: Callable[[World], EventPayload],
    recipients: Recipients,
) -> None:
    world = World()
    if event_type in {payload.event_type for payload in world.setup()}:
        cause = await world.publish_setup(notifications.publisher, until=event_type)
    else:
        await world.publish_setup(notifications.publisher)
        cause = await world.publish(notifications.publisher, event(world))
    expected = recipients(world)

    await notifications.settled(cause.event_id, len(expected))
    messages = notifications.mailbox.about(cause.event_id)

    assert sorted(message["To"] for message in messages) == sorted(expected)


async def test_a_replayed_event_sends_nothing_twice(notifications: Notifications) -> None:
    world = World()
    released = await world.publish_setup(notifications.publisher, until="ClientReleased")
    await notifications.mailbox.wait_about(released.event_id, 1)

    await notifications.publisher.send(released)
    await notifications.publisher.send(released)
    # Same Bapas, same partition: once the next event is mailed, the replays were read.
    marker = World()
    marked = await marker.publish_setup(notifications.publisher, until="ClientReleased")
    await notifications.mailbox.wait_about(marked.event_id, 1)

    assert len(notifications.mailbox.about(released.event_id)) == 1
    assert len(await notifications.history(cause_event_id=str(released.event_id))) == 1


async def test_a_pk_officer_without_email_is_told_by_sms(notifications: Notifications) -> None:
    world = World(officer_email=None, officer_phone="+62 811 5400 9999")
    await world.publish_setup(notifications.publisher, until="ClientReleased")

    async def sms_to_officer() -> list[dict[str, str]]:
        bodies = [json.loads(r.body) for r in notifications.http.to(SMS_PATH)]
        return [body for body in bodies if world.register_number in body["message"]]

    [sms] = await eventually(sms_to_officer)
    [request] = [r for r in notifications.http.to(SMS_PATH) if json.loads(r.body) == sms]

    assert sms["to"] == "+62 811 5400 9999"
    assert request.headers["authorization"] == f"Bearer {SMS_KEY}"


async def test_a_pk_officer_without_email_or_phone_is_told_nothing(
    notifications: Notifications,
) -> None:
    world = World(officer_email=None, officer_phone=None)
    released = await world.publish_setup(notifications.publisher, until="ClientReleased")
    enrolled = await world.publish(notifications.publisher, world.client_enrolled())

    # The enrolment's deliveries are recorded after the release was applied.
    [to_pokmas] = await notifications.settled(enrolled.event_id, 1)

    assert to_pokmas["recipient_kind"] == "pokmas"
    assert await notifications.history(cause_event_id=str(released.event_id)) == []


async def test_messages_are_in_indonesian_with_dates_of_the_bapas(
    notifications: Notifications,
) -> None:
    world = World(bapas_code="jayapura", mou_valid_until=date(2027, 8, 17))
    signed = await world.publish_setup(notifications.publisher, until="MoUSigned")

    messages = await notifications.mailbox.wait_about(signed.event_id, 2)
    [to_pokmas] = [m for m in messages if m["To"] == world.pokmas_email]
    body = to_pokmas.get_content()

    assert to_pokmas["Subject"].strip() == (
        f"MoU {world.mou_number} dengan Bapas Kelas II Jayapura telah ditandatangani"
    )
    assert "sampai dengan 17 Agustus 2027" in body
    assert "ruang lingkup berikut: Servis AC dan Pengelasan." in body
    assert " WIT." in body  # the time it was recorded, on Jayapura's clock


async def test_a_delivered_message_is_announced_as_notification_sent(
    notifications: Notifications,
) -> None:
    world = World()
    released = await world.publish_setup(notifications.publisher, until="ClientReleased")
    [delivery] = await notifications.settled(released.event_id, 1)

    # By the delivery's id: another notifications service on a shared development
    # Kafka (the stack's own) may announce the same cause to the same people.
    async def sent_events() -> list[NotificationSent]:
        return [
            event.payload
            for event in await notification_events(notifications.kafka_bootstrap)
            if isinstance(event.payload, NotificationSent)
            and str(event.payload.notification_id) == delivery["notification_id"]
        ]

    [sent] = await eventually(sent_events)

    assert delivery["status"] == "sent"
    assert sent.cause_event_id == released.event_id
    assert (sent.channel.value, sent.recipient_kind.value) == ("email", "pk_officer")
    assert sent.template == "client_released.pk_officer"
