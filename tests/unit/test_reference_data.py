"""The reference data shipped with the platform: Bapas offices and skill codes."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import TypeAdapter, ValidationError

from shared.reference import (
    BapasClass,
    KnownBapasCode,
    SkillCode,
    UnknownBapas,
    bapas_office,
    bapas_offices,
    is_known_bapas,
    offices_in_province,
    skill_codes,
    skills,
    today_in,
)

# 16:30 UTC on 31 March is still 31 March in WIB (23:30) but 1 April in WITA and WIT.
EVENING_IN_UTC = datetime(2024, 3, 31, 16, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("bapas_code", "province", "time_zone"),
    [
        ("balikpapan", "kalimantan-timur", "Asia/Makassar"),
        ("samarinda", "kalimantan-timur", "Asia/Makassar"),
        ("jakarta-pusat", "dki-jakarta", "Asia/Jakarta"),
        ("surabaya", "jawa-timur", "Asia/Jakarta"),
        ("makassar", "sulawesi-selatan", "Asia/Makassar"),
        ("jayapura", "papua", "Asia/Jayapura"),
    ],
)
def test_offices_named_in_the_domain_are_shipped(
    bapas_code: str, province: str, time_zone: str
) -> None:
    office = bapas_office(bapas_code)

    assert (office.province, office.time_zone) == (province, time_zone)


def test_balikpapan_is_a_class_ii_office() -> None:
    assert bapas_office("balikpapan").office_class is BapasClass.II


def test_offices_cover_wib_wita_and_wit() -> None:
    utc_offsets = {office.zone.utcoffset(EVENING_IN_UTC) for office in bapas_offices()}

    assert utc_offsets == {timedelta(hours=7), timedelta(hours=8), timedelta(hours=9)}


def test_at_least_twenty_offices_are_shipped() -> None:
    assert len(bapas_offices()) >= 20


def test_each_office_has_an_office_email() -> None:
    assert all(office.email.endswith(".go.id") for office in bapas_offices())


def test_every_province_lies_in_one_time_zone() -> None:
    zones_by_province: defaultdict[str, set[str]] = defaultdict(set)
    for office in bapas_offices():
        zones_by_province[office.province].add(office.time_zone)

    assert {province for province, zones in zones_by_province.items() if len(zones) > 1} == set()


def test_office_time_zones_are_in_the_time_zone_database() -> None:
    assert all(office.zone == ZoneInfo(office.time_zone) for office in bapas_offices())


def test_unknown_office_code_raises_unknown_bapas() -> None:
    with pytest.raises(UnknownBapas, match="atlantis"):
        bapas_office("atlantis")


def test_unknown_bapas_is_a_key_error() -> None:
    assert issubclass(UnknownBapas, KeyError)


def test_is_known_bapas_tells_known_from_unknown_codes() -> None:
    assert (is_known_bapas("balikpapan"), is_known_bapas("atlantis")) == (True, False)


def test_offices_in_province_lists_the_offices_of_that_province() -> None:
    codes = {office.code for office in offices_in_province("kalimantan-timur")}

    assert codes == {"balikpapan", "samarinda"}


def test_offices_in_an_unknown_province_is_empty() -> None:
    assert offices_in_province("atlantis") == ()


@pytest.mark.parametrize(
    ("bapas_code", "expected"),
    [
        ("jakarta-pusat", date(2024, 3, 31)),
        ("balikpapan", date(2024, 4, 1)),
        ("jayapura", date(2024, 4, 1)),
    ],
)
def test_today_in_is_the_date_in_the_office_time_zone(bapas_code: str, expected: date) -> None:
    assert today_in(bapas_code, EVENING_IN_UTC) == expected


def test_today_in_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="aware"):
        today_in("balikpapan", datetime(2024, 3, 31, 16, 30))


def test_known_bapas_code_field_rejects_an_unknown_office() -> None:
    with pytest.raises(ValidationError, match="unknown bapas_code"):
        TypeAdapter(KnownBapasCode).validate_python("atlantis")


def test_known_bapas_code_field_accepts_a_known_office() -> None:
    assert TypeAdapter(KnownBapasCode).validate_python("balikpapan") == "balikpapan"


def test_skill_codes_are_those_of_the_domain() -> None:
    assert skill_codes() == {
        "ac_repair",
        "car_upholstery",
        "wallpaper_installation",
        "interior_design",
        "welding",
        "sewing",
        "barbering",
        "culinary",
        "motorcycle_repair",
        "agriculture",
        "other",
    }


def test_each_skill_has_an_indonesian_and_an_english_name() -> None:
    assert all(skill.name_id and skill.name_en for skill in skills())


def test_skill_code_field_rejects_an_unknown_skill() -> None:
    with pytest.raises(ValidationError, match="unknown skill code"):
        TypeAdapter(SkillCode).validate_python("juggling")


def test_skill_code_field_is_published_as_an_enum_of_the_skill_codes() -> None:
    schema = TypeAdapter(SkillCode).json_schema()

    assert set(schema["enum"]) == skill_codes()
