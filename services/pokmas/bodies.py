"""The bodies of the pokmas commands: closed, and as strict as the events they become.

Each field uses the contract's own types (``ShortText``, ``Contact``, ``Skills``…), so
a body that passes here makes a valid event; a bad field is a 422 naming it. Texts are
guarded as in every service (:class:`~shared.http.commands.RequestBody`); dates lie
between 2000 and 2100, an MoU's validity reaching further ahead than a release does.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from pydantic import Field

from shared.events.envelope import ShortText, Text
from shared.events.pokmas import Contact, PokmasKind, Skills
from shared.http.commands import RequestBody
from shared.reference import KnownBapasCode, SkillCode

FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)
BusinessDate = Annotated[date, Field(ge=FIRST_DAY, le=LAST_DAY)]
"""A date of the programme's business; far-off years are typing mistakes."""


class RegisterPokmas(RequestBody):
    bapas_code: KnownBapasCode
    name: ShortText
    kind: PokmasKind
    registration_number: ShortText | None = None
    contact: Contact
    address: Text
    skills: Skills


class ChangeContact(RequestBody):
    contact: Contact


class SignMoU(RequestBody):
    number: ShortText
    signed_on: BusinessDate
    valid_from: BusinessDate
    valid_until: BusinessDate
    scope: Skills


class RenewMoU(RequestBody):
    valid_until: BusinessDate


class TerminateMoU(RequestBody):
    effective_on: BusinessDate
    reason: Text


class OpenProgramme(RequestBody):
    mou_id: UUID
    skill: SkillCode
    title: ShortText
    capacity: int = Field(ge=1, le=10_000)
    starts_on: BusinessDate
    ends_on: BusinessDate
    sessions_planned: int = Field(ge=1, le=1_000)
    location: Text


class CloseProgramme(RequestBody):
    closed_on: BusinessDate
    reason: Text
