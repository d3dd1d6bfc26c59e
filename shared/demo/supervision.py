"""Wajib lapor and a move between offices in the Balikpapan case, through the enrolment
service.

A release gives the klien a reporting schedule that starts one interval after the
release, and the enrolment service records each due date that passes unanswered as
missed. The scenario's klien were released weeks or months ago, so their officers
enter what each one did since: it reported on every due date up to today. Without
those reports the service's own check would find every klien of the run missing, and
recommend revoking them all, e-mailing the PK officers about each one.

One klien lapses: its officer enters its weekly wajib lapor since its release, the
reports of the first weeks and none for the last three due dates; the check, run at
once as an operator runs ``bapas supervision check-reports``, records the three misses
and recommends revocation. And a klien still in training finds work in Samarinda and
is transferred there: the Balikpapan officers no longer see it, the Samarinda officers
do, and its training at Balikpapan ends as ``moved``, freeing its seat.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from services.enrolment.reporting import MISSES_FOR_REVOCATION
from shared.demo.client import DemoError, PlatformClient, eventually, token_for
from shared.events.enrolment import ReportChannel, ReportStatus, WithdrawalReason
from shared.events.envelope import Envelope, EventPayload
from shared.http import Role
from shared.reference import bapas_office

Narrate = Callable[[str], None]
Day = Callable[[int], str]
"""The ISO date ``offset`` days from today at the Bapas."""

ReportCheck = Callable[[], Awaitable[Sequence[Envelope[EventPayload]]]]
"""Runs the enrolment service's check of wajib lapor now, on its database, and returns
the events it recorded."""

Release = Callable[[int], Awaitable[UUID]]
Note = Callable[[str], str]
"""A note's text as the run writes it (with the run's marker)."""
"""Releases a klien of the run ``offset`` days from today; returns its id."""

LAPSED_RELEASED = -60
LAPSED_FIRST_DUE = -58
LAPSED_EVERY_DAYS = 7
"""Days from today: the klien who lapses was released two months ago and reported
weekly from two days later; it kept every due date but the last three before today."""

NEW_OFFICE = "samarinda"
NEW_PK_OFFICER = {
    "id": "PK-SMD-03",
    "name": "Rina Marlina",
    "email": "rina.marlina@bapas-samarinda.example",
}
TRANSFER_REASON = "Diterima bekerja di bengkel AC di Samarinda"
FIRST_REPORT_NOTE = "Datang diantar kakaknya; tinggal bersama keluarga di Gunung Samarinda"


@dataclass(frozen=True)
class Trainee:
    """A klien in training: whom the transfer moves, and the seat it leaves."""

    client_id: UUID
    enrolment_id: UUID
    programme_id: UUID
    programme_title: str


@dataclass(frozen=True)
class Lapse:
    """The klien who stopped reporting, and the due dates it missed (ISO dates)."""

    client_id: UUID
    register_number: str
    missed: tuple[str, ...]


@dataclass(frozen=True)
class Move:
    """The transferred klien and what each office's officers got when they read it."""

    trainee: Trainee
    register_number: str
    old_office_answer: int
    seen_by_new_office: dict[str, Any]
    enrolment: dict[str, Any]
    """The training it left, as the old office reads it."""


@dataclass
class Supervision:
    """The supervision steps, and what they created."""

    client: PlatformClient
    bapas_code: str
    officer: str
    day: Day
    narrate: Narrate
    report_check: ReportCheck
    release: Release
    note: Note
    new_officer: str = field(
        default_factory=lambda: token_for(Role.BAPAS_OFFICER, bapas=NEW_OFFICE, sub="pk.samarinda")
    )
    lapse: Lapse | None = None
    checked: Counter[str] = field(default_factory=Counter)
    """What the check run on demand recorded, by event type."""
    move: Move | None = None

    async def report_every_due_date(self, client_id: UUID) -> int:
        """The klien reported in person on each due date of its schedule up to today, as
        its officer records; returns the number of reports."""
        reporting = (await self._klien(client_id))["reporting"]
        if reporting["next_due_on"] is None:
            return 0
        due_on = date.fromisoformat(reporting["next_due_on"])
        every = timedelta(days=reporting["every_days"])
        today = date.fromisoformat(self.day(0))
        reports = 0
        while due_on <= today:
            await self._report(client_id, due_on.isoformat(), first=reports == 0)
            due_on += every
            reports += 1
        return reports

    async def enter_a_lapsed_history(self) -> None:
        """A klien released two months ago, whose officer enters its weekly wajib lapor
        since: the reports of the first weeks, none for the last three due dates."""
        client_id = await self.release(LAPSED_RELEASED)
        await self.client.command(
            "enrolment",
            f"/clients/{client_id}/reporting-schedule",
            {"first_due_on": self.day(LAPSED_FIRST_DUE), "every_days": LAPSED_EVERY_DAYS},
            token=self.officer,
        )
        due_dates = [self.day(offset) for offset in range(LAPSED_FIRST_DUE, 0, LAPSED_EVERY_DAYS)]
        kept, missed = due_dates[:-MISSES_FOR_REVOCATION], due_dates[-MISSES_FOR_REVOCATION:]
        for due_on in kept:
            await self._report(client_id, due_on)
        klien = await self._klien(client_id)
        self.lapse = Lapse(client_id, klien["register_number"], tuple(missed))
        self.narrate(
            f"klien {klien['register_number']}, released on {self.day(LAPSED_RELEASED)}, "
            f"must report weekly: its officer entered its {len(kept)} reports, and none "
            f"for the last {len(missed)} due dates"
        )

    async def check_reports(self) -> None:
        """The check of wajib lapor, run at once rather than at the office's midnight."""
        lapse = self._lapsed()
        self.checked = Counter(event.event_type for event in await self.report_check())
        reporting = (await self._klien(lapse.client_id))["reporting"]
        if reporting["revocation_recommended"] is not True:
            raise DemoError(f"klien {lapse.register_number} is not recommended for revocation")
        self.narrate(
            "the check of wajib lapor, run as `bapas supervision check-reports` runs it, "
            f"recorded {self.checked['ReportMissed']} missed due dates and "
            f"{self.checked['RevocationRecommended']} recommendation: klien "
            f"{lapse.register_number} missed {reporting['missed_in_a_row']} in a row "
            f"({', '.join(lapse.missed)}), revocation recommended to its PK officer and "
            "the office"
        )

    async def transfer(self, trainee: Trainee) -> None:
        """The trainee moves to Samarinda for work, to the Samarinda PK officer."""
        seats = await self._seats_taken(trainee.programme_id)
        client_id = trainee.client_id
        await self.client.command(
            "enrolment",
            f"/clients/{client_id}/transfer",
            {
                "to_bapas_code": NEW_OFFICE,
                "transferred_on": self.day(0),
                "reason": self.note(TRANSFER_REASON),
                "pk_officer": NEW_PK_OFFICER,
            },
            token=self.officer,
        )
        old_answer = await self.client.answer_to(
            "enrolment", f"/clients/{client_id}", token=self.officer
        )
        seen = await self.client.read("enrolment", f"/clients/{client_id}", token=self.new_officer)
        enrolment = await self.client.read(
            "enrolment", f"/enrolments/{trainee.enrolment_id}", token=self.officer
        )
        if old_answer != 404 or enrolment["withdrawal_reason"] != WithdrawalReason.MOVED:
            raise DemoError(
                f"after the transfer Balikpapan reads klien {client_id} with {old_answer} "
                f"and its enrolment is {enrolment['status']} ({enrolment['withdrawal_reason']})"
            )

        async def seat_freed() -> bool:
            return await self._seats_taken(trainee.programme_id) == seats - 1

        await eventually("the pokmas service to free the trainee's seat", seat_freed)
        self.move = Move(trainee, seen["register_number"], old_answer, seen, enrolment)
        self.narrate(
            f"klien {seen['register_number']} found work in Samarinda and was transferred "
            f"to {bapas_office(NEW_OFFICE).name}: Balikpapan's officers now get "
            f"{old_answer} on it, its new PK officer {seen['pk_officer']['name']} reads it; "
            f"its training {trainee.programme_title} at Balikpapan ended (withdrawn, "
            f"{enrolment['withdrawal_reason']}), freeing its seat"
        )

    async def due_date_rows(self) -> list[dict[str, Any]]:
        """The lapsed klien's due dates answered or missed, oldest first."""
        lapse = self._lapsed()
        due_dates = await self.client.read(
            "enrolment", f"/clients/{lapse.client_id}/reports", token=self.officer
        )
        return [
            {
                "due_on": due["due_on"],
                "outcome": due["outcome"],
                "reported_on": due["reported_on"],
                "channel": due["channel"],
            }
            for due in reversed(due_dates)
        ]

    async def compliance(self) -> dict[str, Any]:
        """The lapsed klien's wajib lapor as the enrolment service shows it."""
        reporting: dict[str, Any] = (await self._klien(self._lapsed().client_id))["reporting"]
        return reporting

    def readers_of_the_move(self) -> list[dict[str, Any]]:
        """What each office's officers got when they read the klien after its move."""
        move = self._moved()
        seen = move.seen_by_new_office
        return [
            {
                "officers_of": bapas_office(self.bapas_code).name,
                "answer": move.old_office_answer,
                "office": None,
                "pk_officer": None,
            },
            {
                "officers_of": bapas_office(NEW_OFFICE).name,
                "answer": 200,
                "office": seen["bapas_code"],
                "pk_officer": seen["pk_officer"]["name"],
            },
        ]

    async def _report(self, client_id: UUID, due_on: str, *, first: bool = False) -> None:
        """A report in person on ``due_on``; the klien's first report has a note."""
        await self.client.command(
            "enrolment",
            f"/clients/{client_id}/reports",
            {
                "due_on": due_on,
                "reported_on": due_on,
                "status": ReportStatus.REPORTED,
                "channel": ReportChannel.IN_PERSON,
                "note": self.note(FIRST_REPORT_NOTE) if first else None,
            },
            token=self.officer,
        )

    async def _klien(self, client_id: UUID) -> dict[str, Any]:
        klien: dict[str, Any] = await self.client.read(
            "enrolment", f"/clients/{client_id}", token=self.officer
        )
        return klien

    async def _seats_taken(self, programme_id: UUID) -> int:
        programme = await self.client.read(
            "pokmas", f"/programmes/{programme_id}", token=self.officer
        )
        return int(programme["enrolled"])

    def _lapsed(self) -> Lapse:
        if self.lapse is None:
            raise DemoError("no klien has lapsed yet: the history is entered first")
        return self.lapse

    def _moved(self) -> Move:
        if self.move is None:
            raise DemoError("no klien has been transferred yet")
        return self.move
