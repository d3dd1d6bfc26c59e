"""The bodies of the pokmas commands: closed, and as strict as the events they become.

Each field uses the contract's own types (``ShortText``, ``Contact``, ``Skills``…), so
a body that passes here makes a valid event; a bad field is a 422 naming it. Two
limits go beyond the contract, both to keep PostgreSQL from refusing a value: no text
holds a NUL, and dates lie between 2000 and 2100.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from pydantic import Field, field_validator

from shared.events.envelope import ShortText, Text
from shared.events.pokmas import Contact, PokmasKind, Skills
from shared.http.commands import RequestBody
from shared.reference import KnownBapasCode, SkillCode

FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)
BusinessDate = Annotated[date, Field(ge=FIRST_DAY, le=LAST_DAY)]
"""A date of the programme's business; far-off years are typing mistakes."""


def _holds_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(_holds_nul(item) for item in value)
    return False


class PokmasRequest(RequestBody):
    """Base of this service's bodies: no text may hold a NUL, which PostgreSQL refuses."""

    @field_validator("*", mode="before")
    @classmethod
    def _without_nul(cls, value: object) -> object:
        if _holds_nul(value):
            raise ValueError("must not contain a NUL character")
        return value


class RegisterPokmas(PokmasRequest):
    bapas_code: KnownBapasCode
    name: ShortText
    kind: PokmasKind
    registration_number: ShortText | None = None
    contact: Contact
    address: Text
    skills: Skills


class ChangeContact(PokmasRequest):
    contact: Contact


class SignMoU(PokmasRequest):
    number: ShortText
    signed_on: BusinessDate
    valid_from: BusinessDate
    valid_until: BusinessDate
    scope: Skills


class RenewMoU(PokmasRequest):
    valid_until: BusinessDate


class TerminateMoU(PokmasRequest):
    effective_on: BusinessDate
    reason: Text


class OpenProgramme(PokmasRequest):
    mou_id: UUID
    skill: SkillCode
    title: ShortText
    capacity: int = Field(ge=1, le=10_000)
    starts_on: BusinessDate
    ends_on: BusinessDate
    sessions_planned: int = Field(ge=1, le=1_000)
    location: Text


class CloseProgramme(PokmasRequest):
    closed_on: BusinessDate
    reason: Text
