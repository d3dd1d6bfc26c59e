"""The figures themselves: their names, how each is made from the aggregated counters,
where a figure does not apply, and the answer's rows as JSON or CSV.

Pure Python over the numbers :mod:`services.insights.queries` aggregates, so that the
definitions can be read in one place: counts of events, distinct klien, figures that
describe now, and rates (``None`` when their denominator is zero).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Any

from shared.events.enrolment import SupervisionOutcome, WithdrawalReason


class Level(StrEnum):
    NATIONAL = "national"
    PROVINCE = "province"
    BAPAS = "bapas"
    POKMAS = "pokmas"


class Breakdown(StrEnum):
    PROVINCE = "province"
    BAPAS = "bapas"
    POKMAS = "pokmas"
    SKILL = "skill"
    MONTH = "month"


BREAKDOWNS: Mapping[Level, tuple[Breakdown, ...]] = {
    Level.NATIONAL: (Breakdown.PROVINCE, Breakdown.SKILL, Breakdown.MONTH),
    Level.PROVINCE: (Breakdown.BAPAS, Breakdown.SKILL, Breakdown.MONTH),
    Level.BAPAS: (Breakdown.POKMAS, Breakdown.SKILL, Breakdown.MONTH),
    Level.POKMAS: (Breakdown.SKILL, Breakdown.MONTH),
}
"""Each level's breakdowns; the first is the CSV's default."""

FIGURES = (
    "klien_released",
    "klien_under_supervision",
    "enrolments",
    "completions",
    "completions_competent",
    "withdrawals",
    "withdrawals_by_reason",
    "enrolments_suspended",
    "klien_employed",
    "klien_employed_within_6_months_of_release",
    "klien_reoffended",
    "supervisions_ended",
    "pokmas_registered",
    "mous_active",
    "mous_expiring_within_30_days",
    "programmes_open",
    "seats_offered",
    "seats_taken",
    "klien_completed",
    "klien_employed_after_training",
    "completion_rate",
    "employment_rate_after_training",
    "reoffence_rate",
    "withdrawn_for_work_unrecorded",
)
"""Every figure, in the order of the answers and of the CSV's columns."""

NOW_FIGURES = frozenset(
    {
        "klien_under_supervision",
        "enrolments_suspended",
        "mous_active",
        "mous_expiring_within_30_days",
        "programmes_open",
        "seats_offered",
        "seats_taken",
    }
)
"""Figures of the present moment: a period does not change them, and no month has them."""

_WITHOUT_SKILL = frozenset(
    {
        "klien_released",
        "klien_under_supervision",
        "klien_employed_within_6_months_of_release",
        "klien_reoffended",
        "supervisions_ended",
        "pokmas_registered",
        "mous_active",
        "mous_expiring_within_30_days",
        "reoffence_rate",
    }
)
"""Figures of events or things that have no skill (a release, an MoU covering several)."""

_WITHOUT_POKMAS = frozenset(
    {
        "klien_released",
        "klien_under_supervision",
        "klien_employed",
        "klien_employed_within_6_months_of_release",
        "klien_reoffended",
        "supervisions_ended",
        "reoffence_rate",
    }
)
"""Figures of a klien's life outside training, which belongs to no Pokmas."""


def not_applicable(level: Level, breakdown: Breakdown | None) -> frozenset[str]:
    """The figures that are ``None`` in a row of ``breakdown`` (``None``: the totals)."""
    missing: frozenset[str] = frozenset()
    if level is Level.POKMAS or breakdown is Breakdown.POKMAS:
        missing |= _WITHOUT_POKMAS
    if breakdown is Breakdown.SKILL:
        missing |= _WITHOUT_SKILL
    if breakdown is Breakdown.MONTH:
        missing |= NOW_FIGURES
    return missing


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def figures_of(raw: Mapping[str, int], missing: frozenset[str]) -> dict[str, Any]:
    """One row's figures from its aggregated numbers (absent numbers are 0)."""

    def n(name: str) -> int:
        return int(raw.get(name) or 0)

    def klien(name: str) -> int:
        """Klien with one fact of a kind (counted) and with several (counted distinct)."""
        return n(f"{name}_single") + n(f"{name}_several")

    by_reason = {reason.value: n(f"withdrawn_{reason.value}") for reason in WithdrawalReason}
    withdrawals = sum(by_reason.values())
    completions = n("completions")
    values: dict[str, Any] = {
        "klien_released": n("klien_released"),
        "klien_under_supervision": n("klien_under_supervision"),
        "enrolments": n("enrolments"),
        "completions": completions,
        "completions_competent": n("completions_competent"),
        "withdrawals": withdrawals,
        "withdrawals_by_reason": by_reason,
        "enrolments_suspended": n("enrolments_suspended"),
        "klien_employed": klien("klien_employed"),
        "klien_employed_within_6_months_of_release": n("cohort_employed_within_6_months"),
        "klien_reoffended": klien("klien_reoffended"),
        "supervisions_ended": {
            outcome.value: n(f"supervisions_{outcome.value}") for outcome in SupervisionOutcome
        },
        "pokmas_registered": n("pokmas_registered"),
        "mous_active": n("mous_active"),
        "mous_expiring_within_30_days": n("mous_expiring_within_30_days"),
        "programmes_open": n("programmes_open"),
        "seats_offered": n("seats_offered"),
        "seats_taken": n("seats_taken"),
        "klien_completed": klien("klien_completed"),
        "klien_employed_after_training": klien("klien_employed_after"),
        "completion_rate": _rate(completions, completions + withdrawals),
        "employment_rate_after_training": _rate(
            klien("klien_employed_after"), klien("klien_completed")
        ),
        "reoffence_rate": _rate(n("cohort_reoffended"), n("klien_released")),
        "withdrawn_for_work_unrecorded": klien("withdrawn_for_work_unrecorded"),
    }
    return {name: None if name in missing else values[name] for name in FIGURES}


def csv_columns(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The CSV header: the row's key (and name), then every figure, maps flattened."""
    columns = ["key"]
    if rows and "name" in rows[0]:
        columns.append("name")
    for name in FIGURES:
        if name == "withdrawals_by_reason":
            columns += [f"{name}.{reason.value}" for reason in WithdrawalReason]
        elif name == "supervisions_ended":
            columns += [f"{name}.{outcome.value}" for outcome in SupervisionOutcome]
        else:
            columns.append(name)
    return columns


def _cell(row: Mapping[str, Any], column: str) -> object:
    name, _, part = column.partition(".")
    value = row.get(name)
    if part:
        value = None if value is None else value.get(part)
    return "" if value is None else value


def to_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    """The rows as RFC 4180 CSV (CRLF line ends), with a byte-order mark for spreadsheets."""
    columns = csv_columns(rows)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows(_csv_row(row, columns) for row in rows)
    return out.getvalue()


def _csv_row(row: Mapping[str, Any], columns: Iterable[str]) -> list[object]:
    return [_cell(row, column) for column in columns]
