"""The employment service's aggregates and their rules: an employer, its vacancies, and
the placements of klien in work.

Command methods take the caller's command object (:mod:`services.employment.commands`),
check the rules, then record an event built from it; state changes only in ``apply``.
What an aggregate needs to know beyond itself (the klien as the enrolment events
describe it, the klien's open placement, how many placements a vacancy has taken) is
handed to it as plain values, and every date rule takes ``today``, the date at the
Bapas, from the caller: the domain reads no clock, no SQL, no HTTP.

Two kinds of refusal: :class:`RuleViolated` when a business rule refuses the command
(409, the reason says which) and :class:`InvalidValue` when a value is wrong, in itself
or against the entity it names (422 naming the field).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from uuid import UUID, uuid4

from services.employment import commands
from shared.events.employment import (
    ClientPlaced,
    EmployerPledged,
    EmployerRegistered,
    PlacementChecked,
    PlacementEnded,
    PlacementEndReason,
    RetentionMilestone,
    VacancyClosed,
    VacancyPosted,
)
from shared.events.envelope import AggregateType, EventPayload
from shared.eventstore.aggregate import Aggregate
from shared.eventstore.refusals import InvalidValue, RuleViolated

"""A check on or after this many days after the start is this milestone's check."""

MILESTONE_WORDS = {RetentionMilestone.SIX_WEEKS: "6-week", RetentionMilestone.SIX_MONTHS: "6-month"}

NOT_A_VACANCY_OF_THE_EMPLOYER = "no vacancy of this employer has this id"


class ClientStatus(StrEnum):
    UNDER_SUPERVISION = "under_supervision"
    SUPERVISION_ENDED = "supervision_ended"


class VacancyStatus(StrEnum):
    """``open`` until all its positions are placed (``filled``) or it is ``closed``."""

    OPEN = "open"
    FILLED = "filled"
    CLOSED = "closed"


class PlacementStatus(StrEnum):
    ACTIVE = "active"
    ENDED = "ended"


@dataclass(frozen=True)
class Klien:
    """What the employment service knows of a klien, from the enrolment events: where
    and whether the klien is supervised. Never a name."""

    client_id: UUID
    bapas_code: str
    status: ClientStatus
    released_on: date


def _not_in_the_future(field: str, day: date, today: date) -> None:
    """Something that happened cannot have happened after today at the Bapas."""
    if day > today:
        raise InvalidValue(field, f"{day} lies in the future at the Bapas (today is {today})")


def milestone_due(started_on: date, checked_on: date) -> RetentionMilestone | None:
    """The retention check a check on ``checked_on`` is: the latest whose day has come."""
    days = (checked_on - started_on).days
    reached = [m for m in RetentionMilestone if days >= m.first_day]
    return max(reached, key=lambda milestone: milestone.first_day, default=None)


class Employer(Aggregate):
    """A business, cooperative or workshop a Bapas engaged to give klien work."""

    aggregate_type = AggregateType.EMPLOYER

    name: str
    pledged_on: date | None

    @classmethod
    def register(cls, command: commands.RegisterEmployer) -> Employer:
        employer = cls(uuid4(), command.bapas_code)
        employer.record(
            EmployerRegistered.built_from(
                command, employer_id=employer.id, skills=tuple(dict.fromkeys(command.skills))
            )
        )
        return employer

    def pledge(self, command: commands.SignPledge, *, today: date) -> None:
        """The fair-chance pledge, signed once."""
        if self.pledged_on is not None:
            raise RuleViolated(f"{self.name} already signed the pledge on {self.pledged_on}")
        _not_in_the_future("signed_on", command.signed_on, today)
        self.record(EmployerPledged.built_from(command, employer_id=self.id))

    def apply(self, event: EventPayload) -> None:
        match event:
            case EmployerRegistered():
                self.name = event.name
                self.pledged_on = None
            case EmployerPledged():
                self.pledged_on = event.signed_on


class Vacancy(Aggregate):
    """Positions an employer offers in one skill. How many are placed is counted from
    the placements (:meth:`check_takes_placement` is told), not kept here: a placement
    is its own aggregate."""

    aggregate_type = AggregateType.VACANCY

    employer_id: UUID
    skill: str
    positions: int
    opens_on: date
    closes_on: date
    closed_on: date | None

    @classmethod
    def post(
        cls, employer: Employer, command: commands.PostVacancy, *, today: date, candidates: int
    ) -> Vacancy:
        """Post the vacancy; ``candidates`` is how many klien it has as it is posted."""
        if command.closes_on < command.opens_on:
            raise InvalidValue("closes_on", f"must not be before opens_on ({command.opens_on})")
        if command.closes_on < today:
            raise InvalidValue(
                "closes_on", f"{command.closes_on} has passed at the Bapas (today is {today})"
            )
        vacancy = cls(uuid4(), employer.bapas_code)
        vacancy.record(
            VacancyPosted.built_from(
                command, vacancy_id=vacancy.id, employer_id=employer.id, candidates=candidates
            )
        )
        return vacancy

    def close(self, command: commands.CloseVacancy, *, today: date) -> None:
        if self.closed_on is not None:
            raise RuleViolated(f"the vacancy is already closed (on {self.closed_on})")
        _not_in_the_future("closed_on", command.closed_on, today)
        self.record(VacancyClosed.built_from(command, vacancy_id=self.id))

    def status(self, placed: int) -> VacancyStatus:
        """The vacancy's status once ``placed`` placements have filled its positions."""
        if self.closed_on is not None:
            return VacancyStatus.CLOSED
        return VacancyStatus.FILLED if placed >= self.positions else VacancyStatus.OPEN

    def check_takes_placement(self, *, placed: int, today: date) -> None:
        """A vacancy takes placements only while open (from ``opens_on`` to ``closes_on``
        at the Bapas) and until its positions are filled."""
        match self.status(placed):
            case VacancyStatus.CLOSED:
                raise RuleViolated(
                    f"the vacancy was closed on {self.closed_on}; it takes no placements"
                )
            case VacancyStatus.FILLED:
                raise RuleViolated(
                    f"the vacancy is filled: its {self.positions} positions are all placed"
                )
        if today < self.opens_on:
            raise RuleViolated(f"the vacancy opens on {self.opens_on}; it takes no placements yet")
        if today > self.closes_on:
            raise RuleViolated(
                f"the vacancy closed for placements after {self.closes_on}; it takes no more"
            )

    def apply(self, event: EventPayload) -> None:
        match event:
            case VacancyPosted():
                self.employer_id = event.employer_id
                self.skill = event.skill
                self.positions = event.positions
                self.opens_on = event.opens_on
                self.closes_on = event.closes_on
                self.closed_on = None
            case VacancyClosed():
                self.closed_on = event.closed_on


class Placement(Aggregate):
    """One klien's work with one employer, from the start to its end, with the retention
    checks six weeks and six months after the start."""

    aggregate_type = AggregateType.PLACEMENT

    client_id: UUID
    employer_id: UUID
    started_on: date
    status: PlacementStatus
    checks: dict[RetentionMilestone, date]
    ended_on: date | None

    @classmethod
    def place(
        cls,
        command: commands.PlaceClient,
        *,
        employer: Employer,
        klien: Klien,
        open_placement: UUID | None,
        vacancy: Vacancy | None = None,
        placed: int = 0,
        today: date,
    ) -> Placement:
        """A placement needs a klien under supervision at the employer's Bapas, with no
        other open placement; from a vacancy (of this employer), one that takes it
        (``placed``: the placements the vacancy has taken so far)."""
        if klien.bapas_code != employer.bapas_code:
            raise RuleViolated(
                f"klien {klien.client_id} is not supervised by Bapas {employer.bapas_code}, "
                "the employer's: a placement needs a klien of the employer's Bapas"
            )
        if klien.status is not ClientStatus.UNDER_SUPERVISION:
            raise RuleViolated(
                f"the supervision of klien {klien.client_id} has ended: a placement needs a "
                "klien under supervision"
            )
        if command.started_on < klien.released_on:
            raise InvalidValue(
                "started_on", f"must not be before the klien's release on {klien.released_on}"
            )
        if open_placement is not None:
            raise RuleViolated(
                f"klien {klien.client_id} already has an open placement ({open_placement}); "
                "end it before placing the klien again"
            )
        if vacancy is not None:
            if vacancy.employer_id != employer.id:
                raise InvalidValue("vacancy_id", NOT_A_VACANCY_OF_THE_EMPLOYER)
            vacancy.check_takes_placement(placed=placed, today=today)
        placement = cls(uuid4(), employer.bapas_code)
        placement.record(
            ClientPlaced.built_from(
                command,
                placement_id=placement.id,
                skill=None if vacancy is None else vacancy.skill,
            )
        )
        return placement

    def _require_active(self, action: str) -> None:
        if self.status is not PlacementStatus.ACTIVE:
            raise RuleViolated(f"the placement ended on {self.ended_on}; {action}")

    @property
    def last_checked_on(self) -> date | None:
        return max(self.checks.values(), default=None)

    def check(self, command: commands.CheckPlacement, *, today: date) -> None:
        """A retention check, each once and only from its day on; a klien no longer
        employed ends the placement, on the day of the check."""
        self._require_active("it takes no more checks")
        checked_on = command.checked_on
        _not_in_the_future("checked_on", checked_on, today)
        if command.still_employed and command.reason is not None:
            raise InvalidValue("reason", "only a check that ends the placement has a reason")
        last = self.last_checked_on
        if last is not None and checked_on < last:
            raise InvalidValue("checked_on", f"must not be before the last check on {last}")
        milestone = milestone_due(self.started_on, checked_on)
        if milestone is None:
            first = RetentionMilestone.SIX_WEEKS.first_day
            raise RuleViolated(
                f"no retention check is due on {checked_on}: the 6-week check is due from "
                f"{self.started_on + timedelta(days=first)} (day {first} after the start "
                f"on {self.started_on})"
            )
        if milestone in self.checks:
            raise RuleViolated(self._already_checked(milestone))
        self.record(
            PlacementChecked.built_from(
                command,
                placement_id=self.id,
                client_id=self.client_id,
                employer_id=self.employer_id,
                milestone=milestone,
            )
        )
        if not command.still_employed:
            self._record_end(checked_on, command.reason or PlacementEndReason.OTHER)

    def _already_checked(self, milestone: RetentionMilestone) -> str:
        done = f"the {MILESTONE_WORDS[milestone]} check was recorded on {self.checks[milestone]}"
        if milestone is RetentionMilestone.SIX_WEEKS:
            due = self.started_on + timedelta(days=RetentionMilestone.SIX_MONTHS.first_day)
            return f"{done}; the 6-month check is due from {due}"
        return f"{done}; no retention check is left"

    def end(self, command: commands.EndPlacement, *, today: date) -> None:
        self._require_active("it cannot end again")
        ended_on = command.ended_on
        _not_in_the_future("ended_on", ended_on, today)
        if ended_on < self.started_on:
            raise InvalidValue("ended_on", f"must not be before the start on {self.started_on}")
        last = self.last_checked_on
        if last is not None and ended_on < last:
            raise InvalidValue(
                "ended_on", f"must not be before the last check on {last}, which found work"
            )
        self._record_end(ended_on, command.reason)

    def end_as_the_klien_leaves(self, *, left_on: date, reason: PlacementEndReason) -> None:
        """The klien's supervision at the placement's Bapas ended without an officer
        ending the placement (revoked, or the klien moved to another Bapas): it ends on
        ``left_on``, but never before it started nor before a check that found the klien
        at work; it ends on that day then."""
        self._require_active("it cannot end again")
        self._record_end(max(left_on, self.started_on, self.last_checked_on or left_on), reason)

    def _record_end(self, ended_on: date, reason: PlacementEndReason) -> None:
        self.record(
            PlacementEnded(
                placement_id=self.id,
                client_id=self.client_id,
                employer_id=self.employer_id,
                ended_on=ended_on,
                reason=reason,
            )
        )

    def apply(self, event: EventPayload) -> None:
        match event:
            case ClientPlaced():
                self.client_id = event.client_id
                self.employer_id = event.employer_id
                self.started_on = event.started_on
                self.status = PlacementStatus.ACTIVE
                self.checks = {}
                self.ended_on = None
            case PlacementChecked():
                self.checks[event.milestone] = event.checked_on
            case PlacementEnded():
                self.status = PlacementStatus.ENDED
                self.ended_on = event.ended_on
