"""The Bapas offices the platform knows, and the local date at each of them.

Every event and every command belongs to one office, named by its ``bapas_code``.
Offices are data, not code: adding one is an edit of ``bapas_offices.json``. Each
office keeps dates in its own time zone (domain rule 5: WIB, WITA or WIT), so the
question "what day is it at this office" is answered here, once, for every service.
"""

from __future__ import annotations

import functools
from datetime import date, datetime
from enum import StrEnum
from importlib import resources
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"

IndonesianTimeZone = Literal["Asia/Jakarta", "Asia/Pontianak", "Asia/Makassar", "Asia/Jayapura"]
"""The IANA zones of WIB (Jakarta, Pontianak), WITA (Makassar) and WIT (Jayapura)."""


class BapasClass(StrEnum):
    """The office class (*kelas*) the ministry assigns to a Bapas."""

    I = "I"  # noqa: E741 - the official name of the class
    II = "II"


class UnknownBapas(KeyError):
    """No office has this code."""

    def __init__(self, bapas_code: str) -> None:
        super().__init__(bapas_code)
        self.bapas_code = bapas_code

    def __str__(self) -> str:
        return f"unknown bapas_code {self.bapas_code!r}"


class BapasOffice(BaseModel):
    """One Balai Pemasyarakatan, as ``bapas_offices.json`` describes it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: Annotated[str, Field(pattern=SLUG_PATTERN)]
    name: Annotated[str, Field(min_length=1)]
    office_class: Annotated[BapasClass, Field(alias="class")]
    province: Annotated[str, Field(pattern=SLUG_PATTERN)]
    time_zone: IndonesianTimeZone
    email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]+$")]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def today(self, now: datetime) -> date:
        """The date at this office at the instant ``now`` (which must be time-zone aware)."""
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("now must be a time-zone aware datetime")
        return now.astimezone(self.zone).date()


@functools.cache
def _offices_by_code() -> dict[str, BapasOffice]:
    data = resources.files("shared.reference").joinpath("bapas_offices.json").read_bytes()
    offices = TypeAdapter(tuple[BapasOffice, ...]).validate_json(data)
    by_code = {office.code: office for office in offices}
    if len(by_code) != len(offices):
        raise ValueError("bapas_offices.json lists an office code twice")
    return by_code


def bapas_offices() -> tuple[BapasOffice, ...]:
    """Every office, in the order of the data file."""
    return tuple(_offices_by_code().values())


def bapas_office(bapas_code: str) -> BapasOffice:
    """The office with this code; :class:`UnknownBapas` (a ``KeyError``) if there is none."""
    try:
        return _offices_by_code()[bapas_code]
    except KeyError:
        raise UnknownBapas(bapas_code) from None


def is_known_bapas(bapas_code: str) -> bool:
    return bapas_code in _offices_by_code()


def offices_in_province(province: str) -> tuple[BapasOffice, ...]:
    """The offices a regional office (Kanwil) of this province oversees; empty if none."""
    return tuple(office for office in _offices_by_code().values() if office.province == province)


def today_in(bapas_code: str, now: datetime) -> date:
    """The current date at the office, for every date rule of the domain (rule 5)."""
    return bapas_office(bapas_code).today(now)


def latest_today(now: datetime) -> date:
    """The latest date any office has at ``now`` (that of the office farthest east): a
    daily job selects what may be due anywhere with it, then decides by each office's
    own date."""
    return max(office.today(now) for office in bapas_offices())


def _known_bapas_code(bapas_code: str) -> str:
    if not is_known_bapas(bapas_code):
        raise ValueError(f"unknown bapas_code {bapas_code!r}")
    return bapas_code


KnownBapasCode = Annotated[str, AfterValidator(_known_bapas_code)]
"""A ``bapas_code`` field that must name an office of the data file (a 422 in the APIs)."""
