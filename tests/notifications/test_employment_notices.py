"""The employment service's events, told to the right people once, through the real
service (two instances): a vacancy posted to its Bapas office with its candidates, a
klien placed to the PK officer, and a retention check due reminded to the PK officer on
its day at the Bapas, not the day before, and not once the placement has ended or the
check is recorded. Webhook subscribers get employment events too.

The service's clock is set to 16:30 UTC, when the date in Jayapura (WIT) is already
tomorrow's, and at least an hour ahead of the real time: the events of other tests on
the shared topics are old news to it (never announced), and the tests publish theirs at
the clock's time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import uuid4

import pytest

from services.notifications.domain import retention_check_due
from shared.events.employment import PlacementKind, RetentionMilestone
from shared.events.envelope import Envelope, EventPayload
from shared.events.registry import parse_event
from shared.indonesian import format_date
from shared.reference import bapas_office, today_in
from tests.notifications.conftest import RECENT_EVENTS_ONLY, Notifications, running_notifications
from tests.notifications.employers import Employer
from tests.notifications.receivers import eventually
from tests.notifications.webhook_support import subscribe
from tests.notifications.world import World
from tests.support.infrastructure import Infrastructure

BAPAS = "jayapura"
Event = Envelope[EventPayload]


@dataclass
class SettableClock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now

    @property
    def today(self) -> date:
        """The date at the Bapas."""
        return today_in(BAPAS, self.now)


def _half_past_four_an_hour_ahead() -> datetime:
    """The first 16:30 UTC at least an hour from now."""
    soon = datetime.now(UTC) + timedelta(hours=1)
    at = datetime.combine(soon.date(), time(16, 30), tzinfo=UTC)
    return at if soon <= at else at + timedelta(days=1)


@dataclass
class Employment:
    service: Notifications
    clock: SettableClock

    async def publish(self, payload: EventPayload) -> Event:
        return await self.service.publisher.publish(
            payload, bapas_code=BAPAS, recorded_at=self.clock.now
        )

    async def known(self, world: World) -> None:
        """The klien's release, once the service has told its PK officer."""
        released = await self.publish(world.client_released())
        await self.service.mailbox.wait_about(released.event_id, 1)

    async def reminders_of(self, placed: Event) -> list[dict[str, Any]]:
        history = await self.service.history(cause_event_id=str(placed.event_id))
        return [delivery for delivery in history if delivery["reminder"]]

    async def reminded(self, placed: Event) -> dict[str, Any]:
        """The reminder about a placement, once it is sent."""

        async def sent() -> list[dict[str, Any]]:
            found = await self.reminders_of(placed)
            return found if found and all(d["status"] == "sent" for d in found) else []

        [reminder] = await eventually(sent)
        return reminder


@pytest.fixture(scope="module")
async def employment(
    infra: Infrastructure, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Employment]:
    clock = SettableClock(_half_past_four_an_hour_ahead())
    async with running_notifications(
        infra,
        kafka_bootstrap,
        tmp_path_factory.mktemp("mail"),
        instances=2,
        clock=clock,
        environment={**RECENT_EVENTS_ONLY, "NOTIFICATIONS_REMINDER_CHECK_SECONDS": "0.2"},
    ) as service:
        yield Employment(service, clock)


def _text(body: str) -> str:
    return " ".join(body.split())


async def test_a_vacancy_is_announced_to_its_bapas_office_with_its_candidates(
    employment: Employment,
) -> None:
    employer = Employer(World(bapas_code=BAPAS))
    opens_on = employment.clock.today
    await employment.publish(employer.employer_registered())
    posted = await employment.publish(employer.vacancy_posted(opens_on, candidates=3))

    [delivery] = await employment.service.settled(posted.event_id, 1)
    [message] = employment.service.mailbox.about(posted.event_id)
    body = _text(message.get_content())

    assert (delivery["recipient_kind"], message["To"]) == ("bapas", bapas_office(BAPAS).email)
    assert message["Subject"].strip() == f"Lowongan baru dari {employer.name}: Teknisi AC Split"
    assert f"{employer.name} membuka lowongan “Teknisi AC Split” untuk keahlian Servis AC" in body
    assert "sebanyak 2 posisi" in body
    closes_on = format_date(opens_on + timedelta(days=28))
    assert f"mulai {format_date(opens_on)} sampai dengan {closes_on}" in body
    assert "3 klien memenuhi syarat sebagai kandidat" in body


async def test_a_placement_is_announced_to_the_pk_officer_of_the_klien(
    employment: Employment,
) -> None:
    world = World(bapas_code=BAPAS)
    employer = Employer(world)
    await employment.known(world)
    await employment.publish(employer.employer_registered())
    started_on = employment.clock.today
    placed = await employment.publish(
        employer.client_placed(started_on, kind=PlacementKind.APPRENTICESHIP)
    )

    [delivery] = await employment.service.settled(placed.event_id, 1)
    [message] = employment.service.mailbox.about(placed.event_id)

    assert (delivery["recipient_kind"], message["To"]) == ("pk_officer", world.officer_email)
    assert message["Subject"].strip() == (
        f"Klien {world.register_number} mulai magang di {employer.name}"
    )
    assert f"di {employer.name} pada {format_date(started_on)}." in _text(message.get_content())


async def test_a_redelivered_placement_is_announced_once(employment: Employment) -> None:
    world = World(bapas_code=BAPAS)
    employer = Employer(world)
    await employment.known(world)
    await employment.publish(employer.employer_registered())
    placed = await employment.publish(employer.client_placed(employment.clock.today))
    await employment.service.mailbox.wait_about(placed.event_id, 1)

    await employment.service.publisher.send(placed)
    await employment.service.publisher.send(placed)
    # Same Bapas, same partition: once the next event is told, the redeliveries were read.
    marker = await employment.publish(employer.vacancy_posted(employment.clock.today, candidates=0))
    await employment.service.settled(marker.event_id, 1)

    assert len(employment.service.mailbox.about(placed.event_id)) == 1
    assert len(await employment.service.history(cause_event_id=str(placed.event_id))) == 1


async def test_a_retention_check_is_reminded_on_its_day_at_the_bapas_not_the_day_before(
    employment: Employment,
) -> None:
    today = employment.clock.today  # in Jayapura: tomorrow already, in UTC
    tomorrow, due, half_year = (Employer(World(bapas_code=BAPAS)) for _ in range(3))
    for employer in (tomorrow, due, half_year):
        await employment.publish(employer.world.client_released())
        await employment.publish(employer.employer_registered())
    # Each placement after the one before it, on one partition: once a later one is
    # reminded, the round that did it had the earlier ones too.
    placed_tomorrow = await employment.publish(tomorrow.client_placed(today - timedelta(days=41)))
    placed_due = await employment.publish(due.client_placed(today - timedelta(days=42)))
    placed_half_year = await employment.publish(
        half_year.client_placed(today - timedelta(days=183))
    )

    six_weeks = await employment.reminded(placed_due)
    six_months = await employment.reminded(placed_half_year)
    not_yet = await employment.reminders_of(placed_tomorrow)
    employment.clock.now += timedelta(days=1)
    try:
        next_day = await employment.reminded(placed_tomorrow)
    finally:
        employment.clock.now -= timedelta(days=1)

    assert not_yet == []
    assert (six_weeks["reminder"], six_months["reminder"], next_day["reminder"]) == (
        "retention_check_six_weeks",
        "retention_check_six_months",
        "retention_check_six_weeks",
    )
    # Reminded once, by two instances checking every 0.2 s over two days.
    assert len(await employment.reminders_of(placed_due)) == 1
    [message] = [
        m
        for m in employment.service.mailbox.about(placed_due.event_id)
        if m["Subject"].startswith("Pemeriksaan")
    ]
    assert message["To"] == due.world.officer_email
    assert message["Subject"].strip() == (
        f"Pemeriksaan 6 minggu klien {due.world.register_number} di {due.name} jatuh tempo"
    )
    assert f"jatuh tempo pada {format_date(today)}" in _text(message.get_content())


async def test_a_placement_ended_or_already_checked_is_not_reminded(
    employment: Employment,
) -> None:
    today = employment.clock.today
    ended, checked, due = (Employer(World(bapas_code=BAPAS)) for _ in range(3))
    six_weeks_ago = today - timedelta(days=42)
    for employer in (ended, checked, due):
        await employment.publish(employer.employer_registered())
    placed_ended = await employment.publish(ended.client_placed(six_weeks_ago))
    await employment.publish(ended.placement_ended(today))
    placed_checked = await employment.publish(checked.client_placed(six_weeks_ago))
    await employment.publish(checked.placement_checked(RetentionMilestone.SIX_WEEKS, today))
    placed_due = await employment.publish(due.client_placed(six_weeks_ago))
    # No PK officer is known yet, so no round reminds anyone before the end and the
    # check are applied; a vacancy told after them shows they are.
    posted = await employment.publish(due.vacancy_posted(today, candidates=1))
    await employment.service.settled(posted.event_id, 1)
    for employer in (ended, checked, due):
        await employment.publish(employer.world.client_released())

    await employment.reminded(placed_due)

    assert await employment.reminders_of(placed_ended) == []
    assert await employment.reminders_of(placed_checked) == []


async def test_a_webhook_subscriber_receives_the_employment_events_it_chose(
    employment: Employment,
) -> None:
    path = f"/hooks/{uuid4().hex}"
    await subscribe(
        employment.service,
        url=employment.service.http.url(path),
        event_types=["PlacementEnded"],
        secret="placements-ended-secret",
    )
    employer = Employer(World(bapas_code=BAPAS))
    await employment.publish(employer.client_placed(employment.clock.today))
    ended = await employment.publish(employer.placement_ended(employment.clock.today))

    [request] = await employment.service.http.wait_to(path)

    assert parse_event(request.body) == ended


@pytest.mark.parametrize(
    ("days_since_start", "recorded", "due"),
    [
        (41, (), None),
        (42, (), RetentionMilestone.SIX_WEEKS),
        (48, (), RetentionMilestone.SIX_WEEKS),
        (49, (), None),
        (42, (RetentionMilestone.SIX_WEEKS,), None),
        (182, (RetentionMilestone.SIX_WEEKS,), None),
        (183, (), RetentionMilestone.SIX_MONTHS),
        (189, (RetentionMilestone.SIX_WEEKS,), RetentionMilestone.SIX_MONTHS),
        (190, (), None),
        (183, (RetentionMilestone.SIX_MONTHS,), None),
    ],
)
def test_a_retention_check_is_due_from_its_day_for_a_week_until_recorded(
    days_since_start: int,
    recorded: tuple[RetentionMilestone, ...],
    due: RetentionMilestone | None,
) -> None:
    assert retention_check_due(days_since_start, recorded) == due
