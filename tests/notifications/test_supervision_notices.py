"""The supervision events told through the real service, from the enrolment topic to the
development SMTP server's folder: a recommendation to revoke reaches the klien's PK
officer and the office, the first missed report of a streak the PK officer, and a
transfer both offices and both PK officers; afterwards the klien's news, reminders
included, goes to the new office's people. Each once per recipient, however often
Kafka delivers the event; no message names the klien or gives a NIK.

The new office, Samarinda, shares Balikpapan's partition: a later event told proves
that the earlier ones of both offices were read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from shared.events.envelope import EventPayload
from shared.reference import bapas_office
from tests.notifications.conftest import RECENT_EVENTS_ONLY, Notifications, running_notifications
from tests.notifications.receivers import eventually
from tests.notifications.supervision import KLIEN_NAME, KLIEN_NIK, Event, Supervision
from tests.notifications.world import World
from tests.support.infrastructure import Infrastructure


@pytest.fixture(scope="module")
async def service(
    infra: Infrastructure, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Notifications]:
    async with running_notifications(
        infra,
        kafka_bootstrap,
        tmp_path_factory.mktemp("mail"),
        environment={**RECENT_EVENTS_ONLY, "NOTIFICATIONS_REMINDER_CHECK_SECONDS": "0.2"},
    ) as running:
        await running.caught_up()
        yield running


async def at_old_office(service: Notifications, s: Supervision, payload: EventPayload) -> Event:
    return await s.world.publish(service.publisher, payload)


async def at_new_office(service: Notifications, s: Supervision, payload: EventPayload) -> Event:
    return await service.publisher.publish(payload, bapas_code=s.new_bapas_code)


async def transfer(
    service: Notifications, s: Supervision, *, officer_named: bool = True
) -> tuple[Event, Event]:
    """The klien moves: ClientTransferredOut at the old office, then ClientTransferredIn."""
    out = await at_old_office(service, s, s.transferred_out())
    came = await at_new_office(service, s, s.transferred_in(officer_named=officer_named))
    return out, came


async def mailed_to(service: Notifications, event: Event, count: int) -> list[str]:
    """Whom the event was mailed to, once ``count`` deliveries of it are settled."""
    await service.settled(event.event_id, count)
    return sorted(str(message["To"]) for message in service.mailbox.about(event.event_id))


def addresses(*emails: str | None) -> list[str]:
    return sorted(str(email) for email in emails)


def everything_said(service: Notifications, *events: Event) -> str:
    return "\n".join(
        f"{message['Subject']}\n{message.get_content()}"
        for event in events
        for message in service.mailbox.about(event.event_id)
    )


async def test_a_recommendation_to_revoke_is_mailed_to_the_pk_officer_and_the_office(
    service: Notifications,
) -> None:
    supervision = Supervision(World())
    world = supervision.world
    await at_old_office(service, supervision, world.client_released())
    recommended = await at_old_office(service, supervision, supervision.revocation_recommended())

    assert await mailed_to(service, recommended, 2) == addresses(
        world.officer_email, world.office_email
    )
    subjects = {m["Subject"].strip() for m in service.mailbox.about(recommended.event_id)}
    assert subjects == {
        f"Rekomendasi pencabutan Pembebasan Bersyarat klien {world.register_number}"
    }


async def test_only_the_first_missed_report_of_a_streak_is_mailed_to_the_pk_officer(
    service: Notifications,
) -> None:
    supervision = Supervision(World())
    await at_old_office(service, supervision, supervision.world.client_released())
    misses = [
        await at_old_office(service, supervision, supervision.report_missed(in_a_row))
        for in_a_row in (1, 2, 3)
    ]
    recommended = await at_old_office(service, supervision, supervision.revocation_recommended())
    await service.settled(recommended.event_id, 2)

    assert await mailed_to(service, misses[0], 1) == addresses(supervision.world.officer_email)
    for later in misses[1:]:
        assert await service.history(cause_event_id=str(later.event_id)) == []


async def test_a_transfer_is_mailed_to_both_offices_and_both_pk_officers(
    service: Notifications,
) -> None:
    supervision = Supervision(World())
    world = supervision.world
    await world.publish_setup(service.publisher)
    withdrawn = await at_old_office(service, supervision, supervision.withdrawn_for_the_move())
    out, came = await transfer(service, supervision)

    assert await mailed_to(service, withdrawn, 1) == addresses(world.officer_email)
    assert await mailed_to(service, out, 2) == addresses(world.officer_email, world.office_email)
    assert await mailed_to(service, came, 2) == addresses(
        supervision.new_officer_email, supervision.new_office_email
    )
    said = everything_said(service, withdrawn, out, came)
    assert world.register_number in said
    assert KLIEN_NAME not in said
    assert KLIEN_NIK not in said


async def test_after_a_transfer_the_klien_s_news_goes_to_the_new_office_s_people(
    service: Notifications,
) -> None:
    supervision = Supervision(World())
    await at_old_office(service, supervision, supervision.world.client_released())
    await transfer(service, supervision)
    missed = await at_new_office(service, supervision, supervision.report_missed(in_a_row=1))
    recommended = await at_new_office(service, supervision, supervision.revocation_recommended())

    assert await mailed_to(service, missed, 1) == addresses(supervision.new_officer_email)
    assert await mailed_to(service, recommended, 2) == addresses(
        supervision.new_officer_email, supervision.new_office_email
    )


async def test_a_transfer_naming_no_pk_officer_tells_the_old_officer_nothing_more(
    service: Notifications,
) -> None:
    supervision = Supervision(World())
    await at_old_office(service, supervision, supervision.world.client_released())
    _, came = await transfer(service, supervision, officer_named=False)
    recommended = await at_new_office(service, supervision, supervision.revocation_recommended())

    assert await mailed_to(service, came, 1) == addresses(supervision.new_office_email)
    assert await mailed_to(service, recommended, 1) == addresses(supervision.new_office_email)


async def test_a_transfer_delivered_again_is_mailed_once_per_recipient(
    service: Notifications,
) -> None:
    supervision = Supervision(World())
    await at_old_office(service, supervision, supervision.world.client_released())
    out, came = await transfer(service, supervision)
    recommended = await at_new_office(service, supervision, supervision.revocation_recommended())
    await service.settled(recommended.event_id, 2)

    for _ in range(2):
        for event in (out, came, recommended):
            await service.publisher.send(event)
    # Both offices' events share a partition: once a later event is mailed, the
    # redeliveries were read.
    marker = World(bapas_code=supervision.new_bapas_code)
    marked = await marker.publish(service.publisher, marker.client_released())
    await service.mailbox.wait_about(marked.event_id, 1)

    for event in (out, came, recommended):
        assert len(service.mailbox.about(event.event_id)) == 2
        assert len(await service.history(cause_event_id=str(event.event_id))) == 2


async def test_a_supervision_ending_after_a_transfer_is_reminded_to_the_new_pk_officer(
    service: Notifications,
) -> None:
    # The old officer can be reached neither by e-mail nor by SMS: whatever round of
    # the daily check runs before the transfer is applied records nothing.
    world = World(officer_email=None, officer_phone=None)
    world.supervision_ends_on = world.today + timedelta(days=10)
    supervision = Supervision(world)
    released = await at_old_office(service, supervision, world.client_released())
    await transfer(service, supervision)

    async def reminded() -> list[dict[str, Any]]:
        found = await service.history(cause_event_id=str(released.event_id))
        return [d for d in found if d["reminder"] and d["status"] == "sent"]

    [reminder] = await eventually(reminded)
    [message] = service.mailbox.about(released.event_id)

    assert (reminder["reminder"], reminder["bapas_code"], reminder["address"]) == (
        "supervision_ending_14",
        supervision.new_bapas_code,
        supervision.new_officer_email,
    )
    assert message["Subject"].strip() == (
        f"Pembimbingan klien {world.register_number} berakhir dalam 10 hari"
    )
    assert bapas_office(supervision.new_bapas_code).name in message.get_content()
