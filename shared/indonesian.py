"""How the platform writes dates and skills in Bahasa Indonesia, wherever a person
reads them (a message, a certificate, its verification page): a date reads
"28 November 2026" (never an ISO date, nor the English month names ``strftime`` gives
under a default locale), and a skill by its Indonesian name ("Servis AC")."""

from __future__ import annotations

import functools
from datetime import date

from shared.reference import skills

MONTHS = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)


def format_date(day: date) -> str:
    """``28 November 2026``."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


@functools.cache
def _skill_names() -> dict[str, str]:
    return {skill.code: skill.name_id for skill in skills()}


def skill_name(code: str) -> str:
    """The Indonesian name of a skill (``Servis AC``); the code if the data lacks it."""
    return _skill_names().get(code, code)
