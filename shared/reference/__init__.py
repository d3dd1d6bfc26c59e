"""Reference data shipped with the platform: the Bapas offices and the skill codes.

The data lives in JSON files beside this package (package data, so it travels in the
wheel); the loaders read each file once and validate it.
"""

from shared.reference.offices import (
    BapasClass,
    BapasOffice,
    IndonesianTimeZone,
    KnownBapasCode,
    UnknownBapas,
    bapas_office,
    bapas_offices,
    is_known_bapas,
    latest_today,
    offices_in_province,
    today_in,
)
from shared.reference.skills import Skill, SkillCode, skill_codes, skills

__all__ = [
    "BapasClass",
    "BapasOffice",
    "IndonesianTimeZone",
    "KnownBapasCode",
    "Skill",
    "SkillCode",
    "UnknownBapas",
    "bapas_office",
    "bapas_offices",
    "is_known_bapas",
    "latest_today",
    "offices_in_province",
    "skill_codes",
    "skills",
    "today_in",
]
