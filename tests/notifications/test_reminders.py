"""The daily checks, by two instances of the service checking every 0.2 s on a clock
the test sets: MoUs ending in 30 and in 7 days remind the Bapas office and the Pokmas,
a supervision ending in 14 days reminds the PK officer, each once, on the date of the
Bapas's own time zone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

import pytest

from shared.reference import today_in
from tests.notifications.conftest import RECENT_EVENTS_ONLY, Notifications, running_notifications
from tests.notifications.receivers import eventually
from tests.notifications.world import World
from tests.support.infrastructure import Infrastructure


@dataclass
class SettableClock:
    """16:30 UTC: already tomorrow in WITA and WIT, still today in WIB."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def today(self, bapas_code: str) -> date:
        return today_in(bapas_code, self.now)


@dataclass
class Reminders:
    service: Notifications
    clock: SettableClock

    async def reminded(self, cause_event_id: UUID, reminder: str, count: int) -> list[Any]:
        """The ``reminder`` deliveries of a cause once ``count`` of them are sent."""

        async def sent() -> list[dict[str, Any]]:
            found = [
                d
                for d in await self.service.history(cause_event_id=str(cause_event_id))
                if d["reminder"] == reminder
            ]
            return (
                found if len(found) >= count and all(d["status"] == "sent" for d in found) else []
            )

        return await eventually(sent)

    def reminder_mails(self, cause_event_id: UUID) -> list[tuple[str, str]]:
        """(recipient, subject) of the reminders about a cause (not its announcement)."""
        return sorted(
            (message["To"], message["Subject"].strip())
            for message in self.service.mailbox.about(cause_event_id)
            if "berakhir" in message["Subject"]
        )


def _the_next_half_past_four() -> datetime:
    """16:30 UTC today, or tomorrow once it has passed: the clock is never behind the
    real time, so that the topics' events (every earlier test's, recorded at the real
    time) are not news to it, and only the reminders of its own dates are sent."""
    now = datetime.now(UTC)
    today = datetime.combine(now.date(), time(16, 30), tzinfo=UTC)
    return today if now <= today else today + timedelta(days=1)


@pytest.fixture(scope="module")
async def reminders(
    infra: Infrastructure, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Reminders]:
    clock = SettableClock(_the_next_half_past_four())
    async with running_notifications(
        infra,
        kafka_bootstrap,
        tmp_path_factory.mktemp("mail"),
        instances=2,
        clock=clock,
        environment={**RECENT_EVENTS_ONLY, "NOTIFICATIONS_REMINDER_CHECK_SECONDS": "0.2"},
    ) as service:
        yield Reminders(service, clock)


async def test_an_mou_ending_in_30_days_is_reminded_to_the_bapas_and_the_pokmas_once(
    reminders: Reminders,
) -> None:
    today = reminders.clock.today("balikpapan")
    world = World(mou_valid_until=today + timedelta(days=30))
    due_tomorrow = World(mou_valid_until=today + timedelta(days=31))
    publisher = reminders.service.publisher
    signed = await world.publish_setup(publisher, until="MoUSigned")
    signed_later = await due_tomorrow.publish_setup(publisher, until="MoUSigned")
    await reminders.reminded(signed.event_id, "mou_expiring_30", 2)

    reminders.clock.now += timedelta(days=1)
    # Once the next day's reminder is sent, the checks of the next day have run.
    await reminders.reminded(signed_later.event_id, "mou_expiring_30", 2)

    assert reminders.reminder_mails(signed.event_id) == sorted(
        [
            (
                world.office_email,
                f"MoU {world.mou_number} dengan {_pokmas(world)} berakhir dalam 30 hari",
            ),
            (
                world.pokmas_email,
                f"MoU {world.mou_number} dengan Bapas Kelas II Balikpapan berakhir dalam 30 hari",
            ),
        ]
    )


async def test_an_mou_ending_in_7_days_is_reminded_of_its_last_week(reminders: Reminders) -> None:
    world = World(mou_valid_until=reminders.clock.today("balikpapan") + timedelta(days=7))
    signed = await world.publish_setup(reminders.service.publisher, until="MoUSigned")

    await reminders.reminded(signed.event_id, "mou_expiring_7", 2)
    history = await reminders.service.history(cause_event_id=str(signed.event_id))

    assert "mou_expiring_30" not in {delivery["reminder"] for delivery in history}
    assert [subject for _, subject in reminders.reminder_mails(signed.event_id)] == [
        f"MoU {world.mou_number} dengan {_pokmas(world)} berakhir dalam 7 hari",
        f"MoU {world.mou_number} dengan Bapas Kelas II Balikpapan berakhir dalam 7 hari",
    ]


async def test_a_supervision_ending_in_14_days_is_reminded_to_the_pk_officer(
    reminders: Reminders,
) -> None:
    world = World(supervision_ends_on=reminders.clock.today("balikpapan") + timedelta(days=14))
    released = await world.publish_setup(reminders.service.publisher, until="ClientReleased")

    await reminders.reminded(released.event_id, "supervision_ending_14", 1)

    assert reminders.reminder_mails(released.event_id) == [
        (
            world.officer_email,
            f"Pembimbingan klien {world.register_number} berakhir dalam 14 hari",
        )
    ]


async def test_days_are_counted_on_the_calendar_of_each_bapas(reminders: Reminders) -> None:
    # At 16:30 UTC it is 23:30 in Jakarta (WIB) and 01:30 the next day in Jayapura (WIT).
    jakarta = World(bapas_code="jakarta-pusat")
    jakarta.mou_valid_until = reminders.clock.today("jakarta-pusat") + timedelta(days=7)
    jayapura = World(bapas_code="jayapura")
    jayapura.mou_valid_until = reminders.clock.today("jayapura") + timedelta(days=7)
    assert jayapura.mou_valid_until == jakarta.mou_valid_until + timedelta(days=1)
    publisher = reminders.service.publisher
    jakarta_signed = await jakarta.publish_setup(publisher, until="MoUSigned")
    jayapura_signed = await jayapura.publish_setup(publisher, until="MoUSigned")

    await reminders.reminded(jakarta_signed.event_id, "mou_expiring_7", 2)
    await reminders.reminded(jayapura_signed.event_id, "mou_expiring_7", 2)

    for signed in (jakarta_signed, jayapura_signed):
        subjects = [subject for _, subject in reminders.reminder_mails(signed.event_id)]
        assert len(subjects) == 2
        assert all(subject.endswith("berakhir dalam 7 hari") for subject in subjects)


def _pokmas(world: World) -> str:
    return world.pokmas_registered().name
