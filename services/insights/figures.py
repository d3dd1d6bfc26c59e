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

from shared.events.employment import PlacementEndReason
from shared.events.enrolment import ReportStatus, SupervisionOutcome, WithdrawalReason


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

EMPLOYER_FIGURES = (
    "employers_pledged",
    "vacancies_posted",
    "positions_offered",
    "klien_placed",
    "placements_checked_6_weeks",
    "placements_retained_6_weeks",
    "placements_checked_6_months",
    "placements_retained_6_months",
    "retention_rate_6_months",
    "placements_ended",
    "placements_ended_by_reason",
)
"""Figures of employers, their vacancies and the klien they took on."""

SUPERVISION_FIGURES = (
    "reports_recorded",
    "reports_recorded_by_status",
    "reports_missed",
    "klien_recommended_for_revocation",
    "klien_revocation_pending",
    "transfers_in",
    "transfers_out",
)
"""Figures of wajib lapor, revocation recommended and klien moving between offices (the
last figures): none has a skill or a Pokmas."""

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
    *EMPLOYER_FIGURES,
    *SUPERVISION_FIGURES,
)
"""Every figure, in the order of the answers and of the CSV's columns (a new group of
figures comes last, so that spreadsheets made before it still line up)."""

MAP_FIGURES: Mapping[str, tuple[str, ...]] = {
    "withdrawals_by_reason": tuple(reason.value for reason in WithdrawalReason),
    "supervisions_ended": tuple(outcome.value for outcome in SupervisionOutcome),
    "placements_ended_by_reason": tuple(reason.value for reason in PlacementEndReason),
    "reports_recorded_by_status": tuple(status.value for status in ReportStatus),
}
"""The figures that are maps, with their keys (every key always present): the CSV has a
column per key."""

NOW_FIGURES = frozenset(
    {
        "klien_under_supervision",
        "enrolments_suspended",
        "mous_active",
        "mous_expiring_within_30_days",
        "programmes_open",
        "seats_offered",
        "seats_taken",
        "klien_revocation_pending",
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
        "employers_pledged",
        *SUPERVISION_FIGURES,
    }
)
"""Figures of events or things that have no skill (a release, an MoU or an employer
covering several)."""

_WITHOUT_POKMAS = frozenset(
    {
        "klien_released",
        "klien_under_supervision",
        "klien_employed",
        "klien_employed_within_6_months_of_release",
        "klien_reoffended",
        "supervisions_ended",
        "reoffence_rate",
        *EMPLOYER_FIGURES,
        *SUPERVISION_FIGURES,
    }
)
"""Figures of a klien's life outside training, and of employers, which belong to no
Pokmas."""


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

    by_reason = {
        reason: n(f"withdrawn_{reason}") for reason in MAP_FIGURES["withdrawals_by_reason"]
    }
    withdrawals = sum(by_reason.values())
    completions = n("completions")
    ended_by_reason = {
        reason: n(f"placements_ended_{reason}")
        for reason in MAP_FIGURES["placements_ended_by_reason"]
    }
    reports_by_status = {
        status: n(f"reports_{status}") for status in MAP_FIGURES["reports_recorded_by_status"]
    }
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
            outcome: n(f"supervisions_{outcome}") for outcome in MAP_FIGURES["supervisions_ended"]
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
        "employers_pledged": n("employers_pledged"),
        "vacancies_posted": n("vacancies_posted"),
        "positions_offered": n("positions_offered"),
        "klien_placed": klien("klien_placed"),
        "placements_checked_6_weeks": n("placements_checked_6_weeks"),
        "placements_retained_6_weeks": n("placements_retained_6_weeks"),
        "placements_checked_6_months": n("placements_checked_6_months"),
        "placements_retained_6_months": n("placements_retained_6_months"),
        "retention_rate_6_months": _rate(
            n("placements_retained_6_months"), n("placements_checked_6_months")
        ),
        "placements_ended": sum(ended_by_reason.values()),
        "placements_ended_by_reason": ended_by_reason,
        "reports_recorded": sum(reports_by_status.values()),
        "reports_recorded_by_status": reports_by_status,
        "reports_missed": n("reports_missed"),
        "klien_recommended_for_revocation": klien("klien_recommended_for_revocation"),
        "klien_revocation_pending": n("klien_revocation_pending"),
        "transfers_in": n("transfers_in"),
        "transfers_out": n("transfers_out"),
    }
    return {name: None if name in missing else values[name] for name in FIGURES}


def csv_columns(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The CSV header: the row's key (and name), then every figure, maps flattened."""
    columns = ["key"]
    if rows and "name" in rows[0]:
        columns.append("name")
    for name in FIGURES:
        columns += [f"{name}.{key}" for key in MAP_FIGURES[name]] if name in MAP_FIGURES else [name]
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
