"""Wajib lapor: the due dates a klien must report on, and what a run of missed ones means.

A klien in integration reports to the Bapas on a schedule: a first due date, then one
every so many days (by default, by the kind of integration: 30 days on parole or
conditional leave, 14 on pre-release leave, 7 in assimilation). A due date is answered
by a report (on time, late, or excused); one that passes unanswered — midnight at the
klien's Bapas — is missed. Three misses in a row are the ground to recommend revoking
the integration: once per streak, and a report ends the streak, even one for a due
date already recorded as missed.

This is the state the Client aggregate keeps of it, folded from its events, and the
date arithmetic; it knows nothing of storage or HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import MappingProxyType

from shared.events.enrolment import IntegrationType

MISSES_FOR_REVOCATION = 3
"""Consecutive missed due dates that make the platform recommend revocation."""

DEFAULT_EVERY_DAYS: Mapping[IntegrationType, int] = MappingProxyType(
    {
        IntegrationType.PB: 30,
        IntegrationType.CB: 30,
        IntegrationType.CMB: 14,
        IntegrationType.ASIMILASI: 7,
    }
)
"""Days between due dates when no officer set a schedule (the service's configuration
may change them)."""


@dataclass(frozen=True)
class Schedule:
    """Due dates ``first_due_on``, then every ``every_days`` days."""

    first_due_on: date
    every_days: int

    def due_dates(self, *, until: date) -> Iterator[date]:
        """The due dates up to ``until`` (inclusive), oldest first."""
        step = timedelta(days=self.every_days)
        day = self.first_due_on
        while day <= until:
            yield day
            day += step

    def is_due_date(self, day: date) -> bool:
        return day >= self.first_due_on and (day - self.first_due_on).days % self.every_days == 0

    def first_due_date_after(self, day: date) -> date:
        """The first due date strictly after ``day``."""
        if day < self.first_due_on:
            return self.first_due_on
        intervals = (day - self.first_due_on).days // self.every_days + 1
        return self.first_due_on + timedelta(days=intervals * self.every_days)


@dataclass
class Reporting:
    """A klien's wajib lapor as its events left it."""

    schedule: Schedule | None = None
    answered: set[date] = field(default_factory=set)
    missed: set[date] = field(default_factory=set)
    streak: list[date] = field(default_factory=list)
    """The due dates missed since the last report, oldest first."""
    recommended: bool = False
    """Revocation was recommended for the current streak."""

    def unanswered_due_dates(self, *, before: date, until: date) -> list[date]:
        """The schedule's due dates before ``before`` (and not after ``until``, the end
        of supervision) with neither a report nor a recorded miss."""
        if self.schedule is None:
            return []
        last = min(before - timedelta(days=1), until)
        return [
            day
            for day in self.schedule.due_dates(until=last)
            if day not in self.answered and day not in self.missed
        ]

    def answer(self, due_on: date) -> None:
        self.answered.add(due_on)
        self.streak = []
        self.recommended = False

    def miss(self, due_on: date) -> None:
        self.missed.add(due_on)
        self.streak.append(due_on)

    @property
    def revocation_due(self) -> bool:
        """The streak is long enough and has not been recommended for yet."""
        return len(self.streak) >= MISSES_FOR_REVOCATION and not self.recommended
