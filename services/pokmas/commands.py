"""The pokmas commands: what a caller asks of a Pokmas, an MoU or a programme, as one
object each, from the request's body through the application service to the aggregate.

Closed, frozen and with clean texts (:class:`~shared.commands.Command`), and as strict
as the events they become: each field uses the contract's own types (``ShortText``,
``Contact``, ``Skills``…), so a command that validates makes a valid event, and a bad
field is a 422 naming it. Dates lie between 2000 and 2100, an MoU's validity reaching
further ahead than a release does.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from pydantic import Field

from shared.commands import Command
from shared.events.envelope import ShortText, Text
from shared.events.pokmas import Contact, PokmasKind, Skills
from shared.reference import KnownBapasCode, SkillCode

FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)
BusinessDate = Annotated[date, Field(ge=FIRST_DAY, le=LAST_DAY)]
"""A date of the programme's business; far-off years are typing mistakes."""


class RegisterPokmas(Command):
    bapas_code: KnownBapasCode
    name: ShortText
    kind: PokmasKind
    registration_number: ShortText | None = None
    contact: Contact
    address: Text
    skills: Skills


class ChangeContact(Command):
    contact: Contact


class SignMoU(Command):
    number: ShortText
    signed_on: BusinessDate
    valid_from: BusinessDate
    valid_until: BusinessDate
    scope: Skills


class RenewMoU(Command):
    valid_until: BusinessDate


class TerminateMoU(Command):
    effective_on: BusinessDate
    reason: Text


class OpenProgramme(Command):
    mou_id: UUID
    skill: SkillCode
    title: ShortText
    capacity: int = Field(ge=1, le=10_000)
    starts_on: BusinessDate
    ends_on: BusinessDate
    sessions_planned: int = Field(ge=1, le=1_000)
    location: Text


class CloseProgramme(Command):
    closed_on: BusinessDate
    reason: Text
