"""How the messages write dates, times and codes in Bahasa Indonesia.

Readers are officers and Pokmas contacts: dates and skills read as everywhere on the
platform (:mod:`shared.indonesian`), a time carries the Bapas's own zone ("pukul 14.05
WITA"), and codes of the event contract become the words an officer uses
("Pembebasan Bersyarat").
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from shared.events.employment import PlacementKind, RetentionMilestone
from shared.events.enrolment import Assessment, IntegrationType, WithdrawalReason
from shared.indonesian import format_date, skill_name

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
