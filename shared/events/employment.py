"""Events of the employment service: employers, their vacancies, and klien placed in work.

Written to ``employment.events.v1``. A placement names the klien only by the
pseudonymous ``client_id``, as every event does (UU 27/2022): no name, no NIK, no
criminal record. An employer's contact is a business contact, the person a Bapas
reaches at the employer, never a klien.

Each event derives from the base of its aggregate (:class:`EmployerEvent`,
:class:`VacancyEvent`, :class:`PlacementEvent`), which declares the aggregate's type and
its id, the payload's first field.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from shared.events.envelope import AggregateType, EventPayload, ShortText, Source, Text
from shared.events.pokmas import Contact, Skills
from shared.reference.kbli import KbliSection
from shared.reference.skills import SkillCode


class PlacementKind(StrEnum):
    EMPLOYED = "employed"
    APPRENTICESHIP = "apprenticeship"


class RetentionMilestone(StrEnum):
    """Which retention check: six weeks (day 42 on) or six months (day 183 on)."""

    SIX_WEEKS = "six_weeks"
    SIX_MONTHS = "six_months"

    @property
    def first_day(self) -> int:
        """The day after a placement's start from which this check is due: day 42 for
        the 6-week check, day 183 for the 6-month one."""
        return 42 if self is RetentionMilestone.SIX_WEEKS else 183


class PlacementEndReason(StrEnum):
    RESIGNED = "resigned"
    DISMISSED = "dismissed"
    CONTRACT_ENDED = "contract_ended"
    REOFFENDED = "reoffended"
    REVOKED = "revoked"
    MOVED = "moved"
    OTHER = "other"


class EmploymentServiceEvent(EventPayload):
    """An event of the employment service."""

    source: ClassVar[Source] = Source.EMPLOYMENT


class EmployerEvent(EmploymentServiceEvent):
    """An event of one employer (the Employer aggregate), named by its ``employer_id``."""

    aggregate_type: ClassVar[AggregateType] = AggregateType.EMPLOYER

    employer_id: UUID = Field(description="The employer.")

    @property
    def aggregate_id(self) -> UUID:
        return self.employer_id


class VacancyEvent(EmploymentServiceEvent):
    """An event of one vacancy (the Vacancy aggregate), named by its ``vacancy_id``."""

    aggregate_type: ClassVar[AggregateType] = AggregateType.VACANCY

    vacancy_id: UUID = Field(description="The vacancy (lowongan).")

    @property
    def aggregate_id(self) -> UUID:
        return self.vacancy_id


class PlacementEvent(EmploymentServiceEvent):
    """An event of one placement (the Placement aggregate), named by its ``placement_id``."""

    aggregate_type: ClassVar[AggregateType] = AggregateType.PLACEMENT

    placement_id: UUID = Field(description="The placement: one klien's job with one employer.")

    @property
    def aggregate_id(self) -> UUID:
        return self.placement_id


class EmployerRegistered(EmployerEvent):
    """A business, cooperative or workshop (a Pokmas too) was engaged by a Bapas as an
    employer of klien."""

    event_type: ClassVar[str] = "EmployerRegistered"
    schema_version: ClassVar[int] = 1

    name: ShortText = Field(description="The employer's business name.")
    sector: KbliSection = Field(description="The KBLI 2020 section the employer works in.")
    address: Text = Field(description="The employer's business address.")
    contact: Contact = Field(
        description="The person the Bapas reaches at the employer: a business contact."
    )
    skills: Skills = Field(description="The skills the employer hires for.")


class EmployerPledged(EmployerEvent):
    """An employer signed the fair-chance pledge: it considers klien on their skills."""

    event_type: ClassVar[str] = "EmployerPledged"
    schema_version: ClassVar[int] = 1

    signed_on: date = Field(description="The day the pledge was signed.")


class VacancyPosted(VacancyEvent):
    """An employer has positions open in one skill, which the Bapas may fill with klien."""

    event_type: ClassVar[str] = "VacancyPosted"
    schema_version: ClassVar[int] = 1

    employer_id: UUID = Field(description="The employer offering the positions.")
    title: ShortText = Field(description="The job's title, as the employer advertises it.")
    skill: SkillCode = Field(description="The skill the job needs.")
    positions: int = Field(ge=1, description="How many klien the employer will take.")
    opens_on: date = Field(description="The first day klien may be put forward.")
    closes_on: date = Field(description="The last day klien may be put forward.")
    candidates: int = Field(
        ge=0,
        description="How many klien were candidates when it was posted: under supervision "
        "at its Bapas, trained and assessed competent in its skill, and not placed.",
    )


class VacancyClosed(VacancyEvent):
    """A vacancy stopped taking placements before all its positions were filled."""

    event_type: ClassVar[str] = "VacancyClosed"
    schema_version: ClassVar[int] = 1

    closed_on: date = Field(description="The day the vacancy closed.")
    reason: Text = Field(description="Why the vacancy closed, in words.")


class ClientPlaced(PlacementEvent):
    """A klien starts work with an employer, from one of its vacancies or not. It counts
    as the klien's employment, as a ClientEmployed does."""

    event_type: ClassVar[str] = "ClientPlaced"
    schema_version: ClassVar[int] = 1

    client_id: UUID
    employer_id: UUID = Field(description="The employer the klien works for.")
    vacancy_id: UUID | None = Field(
        default=None, description="The vacancy the placement fills, if it came from one."
    )
    started_on: date = Field(description="The klien's first day of work.")
    kind: PlacementKind = Field(description="A job, or an apprenticeship.")
    skill: SkillCode | None = Field(
        default=None, description="The skill of the vacancy the placement fills, if any."
    )


class PlacementChecked(PlacementEvent):
    """A retention check: whether the klien is still employed six weeks, or six months,
    after the start. A klien no longer employed ends the placement (PlacementEnded
    follows)."""

    event_type: ClassVar[str] = "PlacementChecked"
    schema_version: ClassVar[int] = 1

    client_id: UUID
    employer_id: UUID = Field(description="The employer of the placement.")
    checked_on: date = Field(description="The day of the check.")
    milestone: RetentionMilestone = Field(
        description="Which check it is, from the days since the start: six weeks (day 42 "
        "on) or six months (day 183 on)."
    )
    still_employed: bool = Field(description="Whether the klien still works there.")


class PlacementEnded(PlacementEvent):
    """A placement ended: the klien no longer works for the employer."""

    event_type: ClassVar[str] = "PlacementEnded"
    schema_version: ClassVar[int] = 1

    client_id: UUID
    employer_id: UUID = Field(description="The employer of the placement.")
    ended_on: date = Field(description="The last day of the placement, as far as it is known.")
    reason: PlacementEndReason = Field(description="Why the placement ended.")
