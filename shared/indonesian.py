"""How the platform writes dates, times, skills and codes in Bahasa Indonesia, wherever
a person reads them (a message, a certificate, its verification page, the summary of a
klien's export): a date reads "28 November 2026" (never an ISO date, nor the English
month names ``strftime`` gives under a default locale), a time carries the Bapas's own
zone ("pukul 14.05 WITA"), a skill reads by its Indonesian name ("Servis AC"), and
codes of the event contract become the words an officer uses ("Pembebasan
Bersyarat")."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from shared.events.employment import PlacementKind, RetentionMilestone
from shared.events.enrolment import Assessment, IntegrationType, WithdrawalReason
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


_ZONE_NAMES = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}

INTEGRATION_TYPES = {
    IntegrationType.PB: "Pembebasan Bersyarat",
    IntegrationType.CB: "Cuti Bersyarat",
    IntegrationType.CMB: "Cuti Menjelang Bebas",
    IntegrationType.ASIMILASI: "Asimilasi",
}

WITHDRAWAL_REASONS = {
    WithdrawalReason.MOVED: "pindah domisili",
    WithdrawalReason.EMPLOYED: "sudah bekerja",
    WithdrawalReason.HEALTH: "alasan kesehatan",
    WithdrawalReason.REVOKED: "pembimbingan dicabut",
    WithdrawalReason.NON_ATTENDANCE: "tidak hadir",
    WithdrawalReason.OTHER: "alasan lain",
}

ASSESSMENTS = {
    Assessment.COMPETENT: "kompeten",
    Assessment.NOT_YET_COMPETENT: "belum kompeten",
}

PLACEMENT_KINDS = {
    PlacementKind.EMPLOYED: "bekerja",
    PlacementKind.APPRENTICESHIP: "magang",
}

RETENTION_MILESTONES = {
    RetentionMilestone.SIX_WEEKS: "6 minggu",
    RetentionMilestone.SIX_MONTHS: "6 bulan",
}


def format_time(instant: datetime, time_zone: str) -> str:
    """``28 November 2026 pukul 14.05 WITA``: the instant on the clock of that zone."""
    local = instant.astimezone(ZoneInfo(time_zone))
    zone = _ZONE_NAMES.get(time_zone, local.tzname() or time_zone)
    return f"{format_date(local.date())} pukul {local:%H.%M} {zone}"


def enumeration(words: Iterable[str]) -> str:
    """``a``, ``a dan b``, ``a, b dan c``: a list as a sentence says it."""
    items = list(words)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} dan {items[-1]}"


def skill_names(codes: Iterable[str]) -> str:
    """``Servis AC, Pengelasan dan Menjahit``."""
    return enumeration(skill_name(code) for code in codes)


def dates(days: Iterable[date]) -> str:
    """``2 April 2026, 2 Mei 2026 dan 1 Juni 2026``."""
    return enumeration(format_date(day) for day in days)
