"""Dates and times as Indonesian readers write them, on the clock of the Bapas."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from shared.indonesian import format_date, format_time, skill_names


@pytest.mark.parametrize(
    ("day", "written"),
    [
        (date(2026, 11, 28), "28 November 2026"),
        (date(2027, 1, 1), "1 Januari 2027"),
        (date(2026, 8, 17), "17 Agustus 2026"),
        (date(2026, 3, 5), "5 Maret 2026"),
        (date(2026, 5, 31), "31 Mei 2026"),
        (date(2026, 12, 25), "25 Desember 2026"),
    ],
)
def test_a_date_is_written_with_the_indonesian_month(day: date, written: str) -> None:
    assert format_date(day) == written


@pytest.mark.parametrize(
    ("time_zone", "written"),
    [
        ("Asia/Jakarta", "28 November 2026 pukul 23.30 WIB"),
        ("Asia/Makassar", "29 November 2026 pukul 00.30 WITA"),
        ("Asia/Jayapura", "29 November 2026 pukul 01.30 WIT"),
    ],
)
def test_a_time_is_written_on_the_clock_of_the_zone(time_zone: str, written: str) -> None:
    instant = datetime(2026, 11, 28, 16, 30, tzinfo=UTC)

    assert format_time(instant, time_zone) == written


def test_skills_are_listed_by_their_indonesian_names() -> None:
    assert skill_names(["ac_repair", "welding", "sewing"]) == "Servis AC, Pengelasan dan Menjahit"
