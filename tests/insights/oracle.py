"""The insights figures computed again, naively, straight from the events.

The insights service answers from counters it keeps per office, month, skill and
Pokmas; a bug in how it folds events into them would go unnoticed if the test checked
it against the same folding. This module shares none of that code: it is written from
the definitions of the figures alone (the spec, and the contract that settles what the
spec leaves open), turns every event into a plain record and recomputes each figure of
each row by scanning lists, one definition at a time. It is slow and obviously
correct, which is all an oracle has to be.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from shared.events.employment import (
    ClientPlaced,
    EmployerPledged,
    PlacementChecked,
    PlacementEnded,
    VacancyPosted,
)
from shared.events.enrolment import (
    ClientEmployed,
    ClientEnrolled,
    ClientReleased,
    ClientReoffended,
    ClientTransferredIn,
    ClientTransferredOut,
    EnrolmentResumed,
    EnrolmentSuspended,
    ReportMissed,
    ReportRecorded,
    RevocationRecommended,
    SupervisionEnded,
    TrainingCompleted,
    TrainingWithdrawn,
)
from shared.events.envelope import Envelope, EventPayload
from shared.events.pokmas import (
    MoUExpired,
    MoURenewed,
    MoUSigned,
    MoUTerminated,
    PokmasRegistered,
    ProgrammeClosed,
    ProgrammeOpened,
)
from shared.reference.offices import (
    bapas_office,
    bapas_offices,
    is_known_bapas,
    offices_in_province,
    today_in,
)
from shared.reference.skills import skill_codes

Event = Envelope[EventPayload]

WITHDRAWAL_REASONS = ("moved", "employed", "health", "revoked", "non_attendance", "other")
SUPERVISION_OUTCOMES = ("completed", "revoked")
PLACEMENT_END_REASONS = (
    "resigned",
    "dismissed",
    "contract_ended",
    "reoffended",
    "revoked",
    "moved",
    "other",
)
MILESTONES = ("six_weeks", "six_months")
REPORT_STATUSES = ("reported", "late", "excused")
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
"""The figures of employers, their vacancies and the klien they took on."""
SUPERVISION_FIGURES = (
    "reports_recorded",
    "reports_recorded_by_status",
    "reports_missed",
    "klien_recommended_for_revocation",
    "klien_revocation_pending",
    "transfers_in",
    "transfers_out",
)
"""The figures of wajib lapor, revocation and transfers: the last keys."""

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
"""Every key of a figures object, in the contract's order."""

MAPS = {
    "withdrawals_by_reason": WITHDRAWAL_REASONS,
    "supervisions_ended": SUPERVISION_OUTCOMES,
    "placements_ended_by_reason": PLACEMENT_END_REASONS,
    "reports_recorded_by_status": REPORT_STATUSES,
}
"""The figures that are objects, with their keys (in the CSV, a column each)."""

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
"""Figures about the present: null in month rows, blind to the period."""

NOT_PER_SKILL = frozenset(
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
"""Null in skill rows."""

NOT_PER_POKMAS = frozenset(
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
"""Null at the pokmas level and in Pokmas rows."""

BREAKDOWNS = {
    "national": ("by_province", "by_skill", "by_month"),
    "province": ("by_bapas", "by_skill", "by_month"),
    "bapas": ("by_pokmas", "by_skill", "by_month"),
    "pokmas": ("by_skill", "by_month"),
}

SIX_MONTHS = timedelta(days=183)
EXPIRY_HORIZON = timedelta(days=30)

# Kinds of dated records.
RELEASED = "released"
ENROLLED = "enrolled"
COMPLETED = "completed"
WITHDRAWN = "withdrawn"
EMPLOYED = "employed"
REOFFENDED = "reoffended"
ENDED = "ended"
REGISTERED = "registered"
PLEDGED = "pledged"
POSTED = "posted"
PLACED = "placed"
CHECKED = "checked"
RETAINED = "retained"
PLACEMENT_ENDED = "placement ended"
REPORTED = "reported"
MISSED = "missed"
RECOMMENDED = "recommended"
MOVED_IN = "transferred in"
MOVED_OUT = "transferred out"
KINDS = (
    RELEASED,
    ENROLLED,
    COMPLETED,
    WITHDRAWN,
    EMPLOYED,
    REOFFENDED,
    ENDED,
    REGISTERED,
    PLEDGED,
    POSTED,
    PLACED,
    CHECKED,
    RETAINED,
    PLACEMENT_ENDED,
    REPORTED,
    MISSED,
    RECOMMENDED,
    MOVED_IN,
    MOVED_OUT,
)
POKMAS_KINDS = (ENROLLED, COMPLETED, WITHDRAWN, REGISTERED)
"""The dated records that have a non-null figure at the pokmas level."""


@dataclass(frozen=True)
class Period:
    """``from`` and ``to`` of a query, inclusive; ``None`` is unbounded."""

    start: date | None = None
    end: date | None = None

    def holds(self, day: date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)

    def params(self) -> dict[str, str]:
        """The query parameters that ask the API for this period."""
        found: dict[str, str] = {}
        if self.start is not None:
            found["from"] = self.start.isoformat()
        if self.end is not None:
            found["to"] = self.end.isoformat()
        return found

    def as_json(self) -> dict[str, str | None]:
        return {
            "from": None if self.start is None else self.start.isoformat(),
            "to": None if self.end is None else self.end.isoformat(),
        }


@dataclass(frozen=True)
class Dated:
    """One event a dated figure counts: its business date and the rows it belongs to."""

    kind: str
    office: str
    day: date
    client_id: UUID | None = None
    pokmas_id: UUID | None = None
    skill: str | None = None
    detail: str | None = None
    """The assessment, the withdrawal's reason code, the supervision's outcome, the
    check's milestone, the placement's end reason or the report's status."""
    amount: int = 1
    """How many it counts for: a vacancy's positions."""


@dataclass(frozen=True)
class Standing:
    """Something that counts now: a klien under supervision (or with a revocation
    pending), a suspended enrolment, an active MoU or an open programme."""

    office: str
    pokmas_id: UUID | None = None
    skill: str | None = None
    client_id: UUID | None = None
    valid_until: date | None = None
    capacity: int = 0
    seats_taken: int = 0


@dataclass(frozen=True)
class Row:
    """A row of an answer: the scope intersected with the row's key."""

    offices: frozenset[str] | None = None
    pokmas_id: UUID | None = None
    skill: str | None = None
    month: str | None = None

    def holds_now(self, office: str, pokmas_id: UUID | None, skill: str | None) -> bool:
        return (
            (self.offices is None or office in self.offices)
            and (self.pokmas_id is None or pokmas_id == self.pokmas_id)
            and (self.skill is None or skill == self.skill)
        )

    def holds(self, record: Dated, period: Period) -> bool:
        return (
            self.holds_now(record.office, record.pokmas_id, record.skill)
            and (self.month is None or record.day.strftime("%Y-%m") == self.month)
            and period.holds(record.day)
        )

    def nulls(self) -> frozenset[str]:
        found: set[str] = set()
        if self.skill is not None:
            found |= NOT_PER_SKILL
        if self.pokmas_id is not None:
            found |= NOT_PER_POKMAS
        if self.month is not None:
            found |= NOW_FIGURES
        return frozenset(found)


def kept_events(events: Iterable[Event]) -> list[Event]:
    """The events that count: the first of each (aggregate_id, aggregate_version), and
    only those of offices of the reference data."""
    seen: set[tuple[UUID, int]] = set()
    kept: list[Event] = []
    for event in events:
        identity = (event.aggregate_id, event.aggregate_version)
        if identity in seen:
            continue
        seen.add(identity)
        if is_known_bapas(event.bapas_code):
            kept.append(event)
    return kept


def _month_after(month: str) -> str:
    year, number = int(month[:4]), int(month[5:])
    return f"{year + number // 12}-{number % 12 + 1:02d}"


def _months(first: str, last: str) -> list[str]:
    months = [first]
    while months[-1] != last:
        months.append(_month_after(months[-1]))
    return months


class Oracle:
    """Every figure of every answer, recomputed from a list of events."""

    def __init__(self, events: Iterable[Event]) -> None:
        self.events = kept_events(events)
        self.as_of: datetime | None = max((e.recorded_at for e in self.events), default=None)

        programmes: dict[UUID, ProgrammeOpened] = {}
        enrolled: dict[UUID, ClientEnrolled] = {}
        self.pokmas: dict[UUID, tuple[str, str]] = {}
        """Registered Pokmas: id → (office, name)."""
        by_aggregate: dict[UUID, list[Event]] = defaultdict(list)
        for event in self.events:
            by_aggregate[event.aggregate_id].append(event)
            payload = event.payload
            if isinstance(payload, ProgrammeOpened):
                programmes.setdefault(payload.programme_id, payload)
            elif isinstance(payload, ClientEnrolled):
                enrolled.setdefault(payload.enrolment_id, payload)
            elif isinstance(payload, PokmasRegistered):
                self.pokmas.setdefault(payload.pokmas_id, (event.bapas_code, payload.name))
        for history in by_aggregate.values():
            history.sort(key=lambda event: event.aggregate_version)

        def skill_of(programme_id: UUID) -> str | None:
            programme = programmes.get(programme_id)
            return None if programme is None else programme.skill

        placement_skill = {
            event.payload.placement_id: event.payload.skill
            for event in self.events
            if isinstance(event.payload, ClientPlaced)
        }

        def enrolment_of(enrolment_id: UUID, programme_id: UUID) -> tuple[UUID | None, UUID]:
            """The Pokmas and programme of an enrolment, from its ClientEnrolled."""
            found = enrolled.get(enrolment_id)
            if found is None:
                return None, programme_id
            return found.pokmas_id, found.programme_id

        self.dated: dict[str, list[Dated]] = {kind: [] for kind in KINDS}
        for event in self.events:
            office = event.bapas_code
            payload = event.payload
            record: Dated | None = None
            if isinstance(payload, ClientPlaced):
                # A placement is an employment too: the klien started work.
                for kind in (PLACED, EMPLOYED):
                    self.dated[kind].append(
                        Dated(
                            kind, office, payload.started_on, payload.client_id, skill=payload.skill
                        )
                    )
            elif isinstance(payload, PlacementChecked):
                skill = placement_skill.get(payload.placement_id)
                milestone = payload.milestone.value
                for kind in (CHECKED, RETAINED) if payload.still_employed else (CHECKED,):
                    self.dated[kind].append(
                        Dated(kind, office, payload.checked_on, skill=skill, detail=milestone)
                    )
            elif isinstance(payload, PlacementEnded):
                record = Dated(
                    PLACEMENT_ENDED,
                    office,
                    payload.ended_on,
                    skill=placement_skill.get(payload.placement_id),
                    detail=payload.reason.value,
                )
            elif isinstance(payload, EmployerPledged):
                record = Dated(PLEDGED, office, payload.signed_on)
            elif isinstance(payload, VacancyPosted):
                record = Dated(
                    POSTED, office, payload.opens_on, skill=payload.skill, amount=payload.positions
                )
            elif isinstance(payload, ClientReleased):
                record = Dated(RELEASED, office, payload.released_on, payload.client_id)
            elif isinstance(payload, ClientEnrolled):
                record = Dated(
                    ENROLLED,
                    office,
                    payload.enrolled_on,
                    payload.client_id,
                    payload.pokmas_id,
                    skill_of(payload.programme_id),
                )
            elif isinstance(payload, TrainingCompleted):
                pokmas_id, programme_id = enrolment_of(payload.enrolment_id, payload.programme_id)
                record = Dated(
                    COMPLETED,
                    office,
                    payload.completed_on,
                    payload.client_id,
                    pokmas_id,
                    skill_of(programme_id),
                    payload.assessment.value,
                )
            elif isinstance(payload, TrainingWithdrawn):
                pokmas_id, programme_id = enrolment_of(payload.enrolment_id, payload.programme_id)
                record = Dated(
                    WITHDRAWN,
                    office,
                    payload.withdrawn_on,
                    payload.client_id,
                    pokmas_id,
                    skill_of(programme_id),
                    payload.reason_code.value,
                )
            elif isinstance(payload, ClientEmployed):
                record = Dated(
                    EMPLOYED, office, payload.started_on, payload.client_id, skill=payload.skill
                )
            elif isinstance(payload, ClientReoffended):
                record = Dated(REOFFENDED, office, payload.recorded_on, payload.client_id)
            elif isinstance(payload, SupervisionEnded):
                record = Dated(
                    ENDED, office, payload.ended_on, payload.client_id, detail=payload.outcome.value
                )
            elif isinstance(payload, PokmasRegistered):
                local_day = event.occurred_at.astimezone(bapas_office(office).zone).date()
                record = Dated(REGISTERED, office, local_day, pokmas_id=payload.pokmas_id)
            elif isinstance(payload, ReportRecorded):
                record = Dated(
                    REPORTED,
                    office,
                    payload.reported_on,
                    payload.client_id,
                    detail=payload.status.value,
                )
            elif isinstance(payload, ReportMissed):
                record = Dated(MISSED, office, payload.due_on, payload.client_id)
            elif isinstance(payload, RevocationRecommended):
                record = Dated(RECOMMENDED, office, payload.recommended_on, payload.client_id)
            elif isinstance(payload, ClientTransferredIn):
                record = Dated(MOVED_IN, office, payload.transferred_on, payload.client_id)
            elif isinstance(payload, ClientTransferredOut):
                record = Dated(MOVED_OUT, office, payload.transferred_on, payload.client_id)
            if record is not None:
                self.dated[record.kind].append(record)

        # Facts about each klien at any time and in any office.
        self.first_employment: dict[UUID, date] = {}
        self.employment_starts: dict[UUID, list[date]] = defaultdict(list)
        for record in self.dated[EMPLOYED]:
            assert record.client_id is not None
            self.employment_starts[record.client_id].append(record.day)
            first = self.first_employment.get(record.client_id)
            if first is None or record.day < first:
                self.first_employment[record.client_id] = record.day
        self.reoffenders = {record.client_id for record in self.dated[REOFFENDED]}
        ended_klien = {record.client_id for record in self.dated[ENDED]}

        # What stands now. A klien is held by the office that released it, or by the
        # one it last moved to; a revocation recommended stands until a report comes.
        holding: dict[UUID, str] = {}
        recommended: dict[UUID, bool] = {}
        for history in by_aggregate.values():
            for event in history:
                payload = event.payload
                if isinstance(payload, ClientReleased | ClientTransferredIn):
                    holding[payload.client_id] = event.bapas_code
                elif isinstance(payload, RevocationRecommended | ReportRecorded):
                    recommended[payload.client_id] = isinstance(payload, RevocationRecommended)
        self.under_supervision = [
            Standing(holding[record.client_id], client_id=record.client_id)
            for record in self.dated[RELEASED]
            if record.client_id is not None and record.client_id not in ended_klien
        ]
        self.revocation_pending = [
            klien
            for klien in self.under_supervision
            if klien.client_id is not None and recommended.get(klien.client_id, False)
        ]
        self.suspended: list[Standing] = []
        self.active_mous: list[Standing] = []
        self.open_programmes: list[Standing] = []
        withdrawn_from: dict[UUID, int] = defaultdict(int)
        enrolled_in: dict[UUID, int] = defaultdict(int)
        for event in self.events:
            payload = event.payload
            if isinstance(payload, ClientEnrolled):
                enrolled_in[payload.programme_id] += 1
            elif isinstance(payload, TrainingWithdrawn):
                withdrawn_from[enrolment_of(payload.enrolment_id, payload.programme_id)[1]] += 1
        for history in by_aggregate.values():
            enrolment_states = [
                event
                for event in history
                if isinstance(
                    event.payload,
                    EnrolmentSuspended | EnrolmentResumed | TrainingCompleted | TrainingWithdrawn,
                )
            ]
            if enrolment_states and isinstance(enrolment_states[-1].payload, EnrolmentSuspended):
                last = enrolment_states[-1]
                assert isinstance(last.payload, EnrolmentSuspended)
                pokmas_id, programme_id = enrolment_of(
                    last.payload.enrolment_id, last.payload.programme_id
                )
                self.suspended.append(Standing(last.bapas_code, pokmas_id, skill_of(programme_id)))

            mou_states = [
                event
                for event in history
                if isinstance(event.payload, MoUSigned | MoURenewed | MoUTerminated | MoUExpired)
            ]
            if mou_states and isinstance(mou_states[-1].payload, MoUSigned | MoURenewed):
                signed = [e for e in mou_states if isinstance(e.payload, MoUSigned)]
                office = signed[0].bapas_code if signed else mou_states[0].bapas_code
                pokmas_id = None
                valid_until: date | None = None
                for event in mou_states:
                    if isinstance(event.payload, MoUSigned):
                        pokmas_id = event.payload.pokmas_id
                        valid_until = event.payload.valid_until
                    elif isinstance(event.payload, MoURenewed):
                        valid_until = event.payload.valid_until
                self.active_mous.append(Standing(office, pokmas_id, valid_until=valid_until))

            opened = [event for event in history if isinstance(event.payload, ProgrammeOpened)]
            closed = [event for event in history if isinstance(event.payload, ProgrammeClosed)]
            if opened and not closed:
                programme = opened[0].payload
                assert isinstance(programme, ProgrammeOpened)
                self.open_programmes.append(
                    Standing(
                        opened[0].bapas_code,
                        programme.pokmas_id,
                        programme.skill,
                        capacity=programme.capacity,
                        seats_taken=enrolled_in[programme.programme_id]
                        - withdrawn_from[programme.programme_id],
                    )
                )

    # What the scenario holds, for the test to walk through.

    def provinces(self) -> list[str]:
        """Provinces with at least one counted event."""
        return sorted({bapas_office(event.bapas_code).province for event in self.events})

    def offices(self) -> list[str]:
        """Offices with at least one counted event."""
        return sorted({event.bapas_code for event in self.events})

    def pokmas_ids(self) -> list[UUID]:
        return sorted(self.pokmas)

    # The figures.

    def figures(self, row: Row, period: Period, now: datetime) -> dict[str, Any]:
        """The figures object of one row."""

        def dated(kind: str) -> list[Dated]:
            return [record for record in self.dated[kind] if row.holds(record, period)]

        def klien(records: Iterable[Dated]) -> set[UUID]:
            return {record.client_id for record in records if record.client_id is not None}

        def standing(items: Iterable[Standing]) -> list[Standing]:
            return [
                item for item in items if row.holds_now(item.office, item.pokmas_id, item.skill)
            ]

        released = dated(RELEASED)
        completed = dated(COMPLETED)
        withdrawn = dated(WITHDRAWN)
        employed = dated(EMPLOYED)
        ended = dated(ENDED)

        checked = dated(CHECKED)
        retained = dated(RETAINED)
        placements_ended = dated(PLACEMENT_ENDED)
        reported = dated(REPORTED)

        def milestone(records: list[Dated], which: str) -> int:
            return sum(1 for record in records if record.detail == which)

        released_klien = klien(released)
        completed_klien = klien(completed)
        employed_after_training = {
            client_id
            for client_id in completed_klien
            if any(
                start >= record.day
                for record in completed
                if record.client_id == client_id
                for start in self.employment_starts.get(client_id, [])
            )
        }
        within_six_months = {
            record.client_id
            for record in released
            if record.client_id in self.first_employment
            and self.first_employment[record.client_id] <= record.day + SIX_MONTHS
        }
        open_programmes = standing(self.open_programmes)
        active_mous = standing(self.active_mous)
        expiring = 0
        for mou in active_mous:
            today = today_in(mou.office, now)
            assert mou.valid_until is not None
            if today <= mou.valid_until <= today + EXPIRY_HORIZON:
                expiring += 1

        completions = len(completed)
        withdrawals = len(withdrawn)
        values: dict[str, Any] = {
            "klien_released": len(released),
            "klien_under_supervision": len(
                {item.client_id for item in standing(self.under_supervision)}
            ),
            "enrolments": len(dated(ENROLLED)),
            "completions": completions,
            "completions_competent": sum(1 for r in completed if r.detail == "competent"),
            "withdrawals": withdrawals,
            "withdrawals_by_reason": {
                reason: sum(1 for r in withdrawn if r.detail == reason)
                for reason in WITHDRAWAL_REASONS
            },
            "enrolments_suspended": len(standing(self.suspended)),
            "klien_employed": len(klien(employed)),
            "klien_employed_within_6_months_of_release": len(within_six_months),
            "klien_reoffended": len(klien(dated(REOFFENDED))),
            "supervisions_ended": {
                outcome: sum(1 for r in ended if r.detail == outcome)
                for outcome in SUPERVISION_OUTCOMES
            },
            "pokmas_registered": len(dated(REGISTERED)),
            "mous_active": len(active_mous),
            "mous_expiring_within_30_days": expiring,
            "programmes_open": len(open_programmes),
            "seats_offered": sum(item.capacity for item in open_programmes),
            "seats_taken": sum(item.seats_taken for item in open_programmes),
            "klien_completed": len(completed_klien),
            "klien_employed_after_training": len(employed_after_training),
            "completion_rate": (
                completions / (completions + withdrawals) if completions + withdrawals else None
            ),
            "employment_rate_after_training": (
                len(employed_after_training) / len(completed_klien) if completed_klien else None
            ),
            "reoffence_rate": (
                len(released_klien & self.reoffenders) / len(released_klien)
                if released_klien
                else None
            ),
            "withdrawn_for_work_unrecorded": len(
                {
                    client_id
                    for client_id in klien(r for r in withdrawn if r.detail == "employed")
                    if client_id not in self.employment_starts
                }
            ),
            "employers_pledged": len(dated(PLEDGED)),
            "vacancies_posted": len(dated(POSTED)),
            "positions_offered": sum(record.amount for record in dated(POSTED)),
            "klien_placed": len(klien(dated(PLACED))),
            "placements_checked_6_weeks": milestone(checked, "six_weeks"),
            "placements_retained_6_weeks": milestone(retained, "six_weeks"),
            "placements_checked_6_months": milestone(checked, "six_months"),
            "placements_retained_6_months": milestone(retained, "six_months"),
            "retention_rate_6_months": (
                milestone(retained, "six_months") / milestone(checked, "six_months")
                if milestone(checked, "six_months")
                else None
            ),
            "placements_ended": len(placements_ended),
            "placements_ended_by_reason": {
                reason: sum(1 for r in placements_ended if r.detail == reason)
                for reason in PLACEMENT_END_REASONS
            },
            "reports_recorded": len(reported),
            "reports_recorded_by_status": {
                status: sum(1 for r in reported if r.detail == status) for status in REPORT_STATUSES
            },
            "reports_missed": len(dated(MISSED)),
            "klien_recommended_for_revocation": len(klien(dated(RECOMMENDED))),
            "klien_revocation_pending": len(
                {item.client_id for item in standing(self.revocation_pending)}
            ),
            "transfers_in": len(dated(MOVED_IN)),
            "transfers_out": len(dated(MOVED_OUT)),
        }
        nulls = row.nulls()
        return {name: None if name in nulls else values[name] for name in FIGURES}

    def months(self, scope: Row, period: Period, kinds: Sequence[str]) -> list[str]:
        """The contiguous months from the first to the last with a dated figure above 0."""
        found = sorted(
            record.day.strftime("%Y-%m")
            for kind in kinds
            for record in self.dated[kind]
            if scope.holds(record, period)
        )
        return _months(found[0], found[-1]) if found else []

    def answer(self, level: str, code: str | None, period: Period, now: datetime) -> dict[str, Any]:
        """The whole JSON answer of ``GET /api/v1/figures[/<level>/<code>]``."""
        name: str | None = None
        kinds: Sequence[str] = KINDS
        keyed: list[tuple[str, str | None, Row]]
        if level == "national":
            scope = Row()
            keyed = [
                (
                    province,
                    None,
                    Row(offices=frozenset(o.code for o in offices_in_province(province))),
                )
                for province in sorted({office.province for office in bapas_offices()})
            ]
        elif level == "province":
            assert code is not None
            offices = sorted(offices_in_province(code), key=lambda office: office.code)
            scope = Row(offices=frozenset(office.code for office in offices))
            keyed = [(o.code, o.name, Row(offices=frozenset({o.code}))) for o in offices]
        elif level == "bapas":
            assert code is not None
            name = bapas_office(code).name
            scope = Row(offices=frozenset({code}))
            registered = sorted(
                (pokmas_name, str(pokmas_id))
                for pokmas_id, (office, pokmas_name) in self.pokmas.items()
                if office == code
            )
            keyed = [
                (pokmas_id, pokmas_name, replace(scope, pokmas_id=UUID(pokmas_id)))
                for pokmas_name, pokmas_id in registered
            ]
        elif level == "pokmas":
            assert code is not None
            name = self.pokmas[UUID(code)][1]
            scope = Row(pokmas_id=UUID(code))
            kinds = POKMAS_KINDS
            keyed = []
        else:
            raise ValueError(f"unknown level {level!r}")

        def row(key: str, row_name: str | None, which: Row) -> dict[str, Any]:
            head: dict[str, Any] = {"key": key}
            if row_name is not None:
                head["name"] = row_name
            return head | self.figures(which, period, now)

        by_skill = [
            row(skill, None, replace(scope, skill=skill)) for skill in sorted(skill_codes())
        ]
        by_month = [
            row(month, None, replace(scope, month=month))
            for month in self.months(scope, period, kinds)
        ]
        answer: dict[str, Any] = {
            "scope": {"level": level, "code": code, "name": name},
            "period": period.as_json(),
            "as_of": self.as_of,
            "totals": self.figures(scope, period, now),
        }
        for breakdown in BREAKDOWNS[level]:
            if breakdown == "by_skill":
                answer[breakdown] = by_skill
            elif breakdown == "by_month":
                answer[breakdown] = by_month
            else:
                answer[breakdown] = [row(key, n, which) for key, n, which in keyed]
        return answer


def csv_columns(with_name: bool) -> list[str]:
    """The header of the CSV form: key, name if the rows have one, then every figure
    with the maps flattened."""
    columns = ["key", "name"] if with_name else ["key"]
    for figure in FIGURES:
        if figure in MAPS:
            columns += [f"{figure}.{key}" for key in MAPS[figure]]
        else:
            columns.append(figure)
    return columns


def csv_values(row: dict[str, Any]) -> list[Any]:
    """A JSON row's values in the order of :func:`csv_columns` (maps flattened)."""
    values: list[Any] = [row["key"]]
    if "name" in row:
        values.append(row["name"])
    for figure in FIGURES:
        value = row[figure]
        if figure in MAPS:
            values += [None if value is None else value[key] for key in MAPS[figure]]
        else:
            values.append(value)
    return values
