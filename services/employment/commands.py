"""The employment service's commands: what a caller asks of an employer, a vacancy or a
placement, one typed object each, from the request's body through the application
service to the aggregate.

Closed, frozen and with clean texts (:class:`~shared.commands.Command`), each field of
the contract's own type (``ShortText``, ``Contact``, ``KbliSection``, ``SkillCode``…),
so a command that validates makes a valid event and a bad field is a 422 naming it.
Dates are plausible: since 2000 and not over a year ahead.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import Field, StrictBool, StrictInt

from shared.commands import Command
from shared.events.employment import PlacementEndReason, PlacementKind
from shared.events.envelope import ShortText, Text
from shared.events.pokmas import Contact, Skills
from shared.guards import PlausibleDate
from shared.reference import KnownBapasCode, SkillCode
from shared.reference.kbli import KbliSection

MAX_POSITIONS = 1_000
"""More positions than any one employer takes in klien is a typing mistake."""


class RegisterEmployer(Command):
    bapas_code: KnownBapasCode
    name: ShortText
    sector: KbliSection
    address: Text
    contact: Contact
    skills: Skills


class SignPledge(Command):
    signed_on: PlausibleDate


class PostVacancy(Command):
    title: ShortText
    skill: SkillCode
    positions: Annotated[StrictInt, Field(ge=1, le=MAX_POSITIONS)]
    opens_on: PlausibleDate
    closes_on: PlausibleDate


class CloseVacancy(Command):
    closed_on: PlausibleDate
    reason: Text


class PlaceClient(Command):
    client_id: UUID
    employer_id: UUID
    vacancy_id: UUID | None = None
    started_on: PlausibleDate
    kind: PlacementKind


class CheckPlacement(Command):
    checked_on: PlausibleDate
    still_employed: StrictBool
    reason: PlacementEndReason | None = Field(
        default=None,
        description="Why the klien no longer works there, when `still_employed` is false "
        "(the check ends the placement); `other` if not given.",
    )


class EndPlacement(Command):
    ended_on: PlausibleDate
    reason: PlacementEndReason
