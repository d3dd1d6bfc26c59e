"""The projection behind every figure: the pokmas, enrolment and employment events
folded into counters and the little state that "now" figures need.

Each batch is read once, in order, into :class:`FigureChanges` (plain Python, no SQL),
which then writes itself in a handful of set-based statements: one upsert of counters
however many events the batch holds, one per kind of entity it touched. Nothing here
stores a klien's personal data; the events carry none.

The topics are read side by side, so an enrolment may arrive before the ProgrammeOpened
of its programme. The counters therefore keep the programme, not its skill: a skill is
looked up when a figure is asked for, and a programme learnt late still lands in the
right skill. A placement's events come in order on one topic (keyed by its office), so
its checks and its end take the skill of its start from the ``placements`` table.
Events of an office that the reference data does not know are refused (dead letter):
no figure could place them.

A placement (ClientPlaced) is an employment of its klien as a ClientEmployed is: both
are facts of kind ``employment``, and the figures count klien with such facts, each
klien once however many it has.

A klien moves between offices (ClientTransferredOut at the old office, then
ClientTransferredIn at the new one). Every event counts at the office named on it; what
a klien is now (under supervision, a revocation pending) counts at the office holding
it, and moves with it; its release cohort's counters stay on the row of its release.
The shared consumer hands a klien's events over in order across the two offices'
partitions, so the In is folded after the Out.
"""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

import asyncpg

from services.insights.settings import InsightsSettings
from shared.events.employment import (
    ClientPlaced,
    EmployerPledged,
    PlacementChecked,
    PlacementEnded,
    PlacementEndReason,
    RetentionMilestone,
    VacancyPosted,
)
from shared.events.enrolment import (
    Assessment,
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
    ReportStatus,
    RevocationRecommended,
    SupervisionEnded,
    TrainingCompleted,
    TrainingWithdrawn,
    WithdrawalReason,
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
from shared.projections import EventRejected, Projection
from shared.reference import bapas_office, is_known_bapas

NIL = UUID(int=0)
"""The programme or Pokmas of a counter row whose events have none."""

EMPLOYED_WITHIN = timedelta(days=183)
"""Six months after release: the window of ``klien_employed_within_6_months_of_release``."""

COUNTERS = (
    "klien_released",
    "enrolments",
    "completions",
    "completions_competent",
    *(f"withdrawn_{reason.value}" for reason in WithdrawalReason),
    "supervisions_completed",
    "supervisions_revoked",
    "pokmas_registered",
    "cohort_reoffended",
    "cohort_employed_within_6_months",
    "klien_employed_single",
    "klien_reoffended_single",
    "klien_completed_single",
    "klien_employed_after_single",
    "withdrawn_for_work_unrecorded_single",
    "employers_pledged",
    "vacancies_posted",
    "positions_offered",
    "placements_checked_6_weeks",
    "placements_retained_6_weeks",
    "placements_checked_6_months",
    "placements_retained_6_months",
    *(f"placements_ended_{reason.value}" for reason in PlacementEndReason),
    "klien_placed_single",
    *(f"reports_{status.value}" for status in ReportStatus),
    "reports_missed",
    "klien_recommended_for_revocation_single",
    "transfers_in",
    "transfers_out",
)
"""The columns of ``daily_counts``, in the order the upsert writes them."""
_COLUMN = {name: index for index, name in enumerate(COUNTERS)}

OFFICE_COUNTERS = ("klien_under_supervision", "klien_revocation_pending")
"""The columns of ``office_counts``: of the klien each office holds now, those under
supervision and those whose revocation is recommended."""

_CHECK_COUNTERS: Mapping[RetentionMilestone, tuple[str, str]] = {
    RetentionMilestone.SIX_WEEKS: ("placements_checked_6_weeks", "placements_retained_6_weeks"),
    RetentionMilestone.SIX_MONTHS: (
        "placements_checked_6_months",
        "placements_retained_6_months",
    ),
}
"""Per milestone, the counters of its checks and of those finding the klien at work."""

HANDLED = (
    PokmasRegistered,
    MoUSigned,
    MoURenewed,
    MoUTerminated,
    MoUExpired,
    ProgrammeOpened,
    ProgrammeClosed,
    ClientReleased,
    ClientEnrolled,
    TrainingCompleted,
    TrainingWithdrawn,
    EnrolmentSuspended,
    EnrolmentResumed,
    ClientEmployed,
    ClientReoffended,
    SupervisionEnded,
    EmployerPledged,
    VacancyPosted,
    ClientPlaced,
    PlacementChecked,
    PlacementEnded,
    ReportRecorded,
    ReportMissed,
    RevocationRecommended,
    ClientTransferredOut,
    ClientTransferredIn,
)

CountKey = tuple[str, date, UUID, UUID, str]
"""A row of ``daily_counts``: office, business date, programme, Pokmas, own skill."""


class FactKind(StrEnum):
    """The facts of a klien that figures count distinct klien of."""

    EMPLOYMENT = "employment"
    """A ClientEmployed or a ClientPlaced: the klien started work."""
    PLACEMENT = "placement"
    """A ClientPlaced alone: the klien was placed with an employer."""
    REOFFENCE = "reoffence"
    COMPLETION = "completion"
    WORK_WITHDRAWAL = "work_withdrawal"
    REVOCATION = "revocation"
    """A RevocationRecommended: the klien missed three due dates of wajib lapor in a row."""


@dataclass
class Fact:
    """One fact of a klien, at the row of ``daily_counts`` it falls in.

    ``single``: the klien has no other fact of this kind, so the counters count it.
    ``flag``: a completion followed by an employment starting on or after it; a
    withdrawal for work of a klien with no employment recorded.
    """

    kind: FactKind
    aggregate_id: UUID
    version: int
    bapas_code: str
    day: date
    programme_id: UUID
    pokmas_id: UUID
    skill: str
    single: bool = True
    flag: bool = False

    @property
    def key(self) -> CountKey:
        return (self.bapas_code, self.day, self.programme_id, self.pokmas_id, self.skill)

    @property
    def identity(self) -> tuple[FactKind, UUID, int]:
        return (self.kind, self.aggregate_id, self.version)

    def counted(self) -> dict[str, int]:
        """What the fact adds to the counters of its row."""
        if not self.single:
            return {}
        match self.kind:
            case FactKind.EMPLOYMENT:
                return {"klien_employed_single": 1}
            case FactKind.PLACEMENT:
                return {"klien_placed_single": 1}
            case FactKind.REOFFENCE:
                return {"klien_reoffended_single": 1}
            case FactKind.COMPLETION:
                return {"klien_completed_single": 1, "klien_employed_after_single": int(self.flag)}
            case FactKind.WORK_WITHDRAWAL:
                return {"withdrawn_for_work_unrecorded_single": int(self.flag)}
            case FactKind.REVOCATION:
                return {"klien_recommended_for_revocation_single": 1}


def settle_facts(facts: Sequence[Fact]) -> None:
    """Set ``single`` and ``flag`` of one klien's facts from all of them."""
    kinds = Counter(fact.kind for fact in facts)
    employed = [fact.day for fact in facts if fact.kind is FactKind.EMPLOYMENT]
    last_start = max(employed, default=None)
    for fact in facts:
        fact.single = kinds[fact.kind] == 1
        if fact.kind is FactKind.COMPLETION:
            fact.flag = last_start is not None and last_start >= fact.day
        elif fact.kind is FactKind.WORK_WITHDRAWAL:
            fact.flag = last_start is None


@dataclass
class Klien:
    """What the figures follow about one klien (by its pseudonymous id only).

    ``bapas_code``: the office holding the klien now; ``release_bapas_code``: the one
    that released it, where its release cohort is counted.
    """

    bapas_code: str
    released_on: date | None = None
    supervised: bool = False
    first_employed_on: date | None = None
    reoffended: bool = False
    release_bapas_code: str | None = None
    revocation_recommended: bool = False
    """A recommendation for revocation stands: none of the klien's reports came since."""

    def standing(self) -> tuple[int, int]:
        """What the klien adds now to its office's :data:`OFFICE_COUNTERS`."""
        return int(self.supervised), int(self.supervised and self.revocation_recommended)

    def cohort(self) -> tuple[int, int]:
        """Whether the klien counts in its release cohort as re-offended and as employed
        within six months; nothing before its release is known."""
        if self.released_on is None:
            return 0, 0
        employed_soon = (
            self.first_employed_on is not None
            and self.first_employed_on <= self.released_on + EMPLOYED_WITHIN
        )
        return int(self.reoffended), int(employed_soon)


@dataclass
class Enrolment:
    bapas_code: str
    client_id: UUID | None = None
    programme_id: UUID | None = None
    pokmas_id: UUID | None = None
    suspended: bool = False


@dataclass
class ProgrammeChange:
    bapas_code: str
    pokmas_id: UUID | None = None
    skill: str | None = None
    capacity: int | None = None
    status: str | None = None
    seats_taken: int = 0


@dataclass
class MoUChange:
    bapas_code: str
    pokmas_id: UUID | None = None
    active: bool | None = None
    valid_until: date | None = None


@dataclass
class FigureChanges:
    """Everything one batch changes, gathered in memory before it is written."""

    klien: dict[UUID, Klien]
    enrolments: dict[UUID, Enrolment]
    facts: dict[UUID, list[Fact]]
    """Every fact of the klien the batch adds facts to, as loaded, then with the new ones."""
    placements: dict[UUID, str]
    """The skill of each placement the batch checks or ends, as loaded."""
    counts: defaultdict[CountKey, list[int]] = field(
        default_factory=lambda: defaultdict(lambda: [0] * len(COUNTERS))
    )
    standing: defaultdict[str, list[int]] = field(
        default_factory=lambda: defaultdict(lambda: [0] * len(OFFICE_COUNTERS))
    )
    """Change of the :data:`OFFICE_COUNTERS` per office."""
    settled_before: dict[tuple[UUID, tuple[FactKind, UUID, int]], tuple[bool, bool]] = field(
        default_factory=dict
    )
    """``single`` and ``flag`` of the loaded facts, to write only those that changed."""
    programmes: dict[UUID, ProgrammeChange] = field(default_factory=dict)
    mous: dict[UUID, MoUChange] = field(default_factory=dict)
    pokmas: dict[UUID, tuple[str, str]] = field(default_factory=dict)
    placed: dict[UUID, str] = field(default_factory=dict)
    """The skill of each placement the batch starts."""
    loaded: dict[UUID, tuple[object, ...]] = field(default_factory=dict)
    """The klien and enrolment rows as loaded: only those that changed are written."""

    def __post_init__(self) -> None:
        for rows in (self.klien, self.enrolments):
            for key, row in rows.items():
                self.loaded[key] = tuple(vars(row).values())

    def changed(self, rows: Mapping[UUID, Klien | Enrolment]) -> list[tuple[object, ...]]:
        """The rows new or changed since loaded, as (id, *columns)."""
        found = []
        for key, row in rows.items():
            values = tuple(vars(row).values())
            if self.loaded.get(key) != values:
                found.append((key, *values))
        return found

    def count(
        self,
        counter: str,
        bapas_code: str,
        day: date,
        *,
        programme_id: UUID | None = None,
        pokmas_id: UUID | None = None,
        skill: str = "",
        by: int = 1,
    ) -> None:
        key = (bapas_code, day, programme_id or NIL, pokmas_id or NIL, skill)
        self.counts[key][_COLUMN[counter]] += by

    def skill_of_placement(self, placement_id: UUID) -> str:
        """The skill of a placement's start ('' when it filled no vacancy, or is unknown)."""
        return self.placed.get(placement_id, self.placements.get(placement_id, ""))

    def _fact(self, client_id: UUID, fact: Fact) -> None:
        known = self.facts.setdefault(client_id, [])
        if all(other.identity != fact.identity for other in known):
            known.append(fact)

    def fold(self, event: Envelope[EventPayload]) -> None:
        """Fold one event into the changes (events of one office come in order)."""
        office = event.bapas_code
        match event.payload:
            case PokmasRegistered(pokmas_id=pokmas_id, name=name):
                self.pokmas[pokmas_id] = (office, name)
                day = bapas_office(office).today(event.occurred_at)
                self.count("pokmas_registered", office, day, pokmas_id=pokmas_id)
            case MoUSigned(mou_id=mou_id, pokmas_id=pokmas_id, valid_until=until):
                change = self._mou(mou_id, office)
                change.pokmas_id, change.active, change.valid_until = pokmas_id, True, until
            case MoURenewed(mou_id=mou_id, valid_until=until):
                change = self._mou(mou_id, office)
                change.active, change.valid_until = True, until
            case MoUTerminated(mou_id=mou_id) | MoUExpired(mou_id=mou_id):
                self._mou(mou_id, office).active = False
            case ProgrammeOpened() as opened:
                programme = self._programme(opened.programme_id, office)
                programme.pokmas_id, programme.skill = opened.pokmas_id, opened.skill
                programme.capacity, programme.status = opened.capacity, "open"
            case ProgrammeClosed(programme_id=programme_id):
                self._programme(programme_id, office).status = "closed"
            case ClientReleased(client_id=client_id, released_on=released_on):
                self.count("klien_released", office, released_on)
                self._change_klien(client_id, office, released=released_on)
            case ClientEmployed(client_id=client_id, started_on=started_on, skill=skill):
                self._fact(
                    client_id,
                    Fact(
                        FactKind.EMPLOYMENT,
                        client_id,
                        event.aggregate_version,
                        office,
                        started_on,
                        NIL,
                        NIL,
                        skill or "",
                    ),
                )
                self._change_klien(client_id, office, employed=started_on)
            case ClientReoffended(client_id=client_id, recorded_on=recorded_on):
                self._fact(
                    client_id,
                    Fact(
                        FactKind.REOFFENCE,
                        client_id,
                        event.aggregate_version,
                        office,
                        recorded_on,
                        NIL,
                        NIL,
                        "",
                    ),
                )
                self._change_klien(client_id, office, reoffended=True)
            case SupervisionEnded(client_id=client_id, ended_on=ended_on, outcome=outcome):
                self.count(f"supervisions_{outcome.value}", office, ended_on)
                self._change_klien(client_id, office, ended=True)
            case ReportRecorded(client_id=client_id, reported_on=reported_on, status=status):
                self.count(f"reports_{status.value}", office, reported_on)
                self._change_klien(client_id, office, recommended=False)
            case ReportMissed(due_on=due_on):
                self.count("reports_missed", office, due_on)
            case RevocationRecommended(client_id=client_id, recommended_on=recommended_on):
                self._fact(
                    client_id,
                    Fact(
                        FactKind.REVOCATION,
                        client_id,
                        event.aggregate_version,
                        office,
                        recommended_on,
                        NIL,
                        NIL,
                        "",
                    ),
                )
                self._change_klien(client_id, office, recommended=True)
            case ClientTransferredOut(transferred_on=transferred_on):
                self.count("transfers_out", office, transferred_on)
            case ClientTransferredIn(client_id=client_id, transferred_on=transferred_on):
                self.count("transfers_in", office, transferred_on)
                self._change_klien(client_id, office, moved=True)
            case ClientEnrolled() as enrolled:
                enrolment = self._enrolment(enrolled.enrolment_id, office)
                enrolment.client_id = enrolled.client_id
                enrolment.programme_id = enrolled.programme_id
                enrolment.pokmas_id = enrolled.pokmas_id
                self.count(
                    "enrolments",
                    office,
                    enrolled.enrolled_on,
                    programme_id=enrolled.programme_id,
                    pokmas_id=enrolled.pokmas_id,
                )
                self._programme(enrolled.programme_id, office).seats_taken += 1
            case TrainingCompleted() as completed:
                enrolment = self._enrolment(completed.enrolment_id, office)
                enrolment.suspended = False
                counters = ["completions"]
                if completed.assessment is Assessment.COMPETENT:
                    counters.append("completions_competent")
                for counter in counters:
                    self.count(
                        counter,
                        office,
                        completed.completed_on,
                        programme_id=completed.programme_id,
                        pokmas_id=enrolment.pokmas_id,
                    )
                self._fact(
                    completed.client_id,
                    Fact(
                        FactKind.COMPLETION,
                        completed.enrolment_id,
                        event.aggregate_version,
                        office,
                        completed.completed_on,
                        completed.programme_id,
                        enrolment.pokmas_id or NIL,
                        "",
                    ),
                )
            case TrainingWithdrawn() as withdrawn:
                enrolment = self._enrolment(withdrawn.enrolment_id, office)
                enrolment.suspended = False
                self.count(
                    f"withdrawn_{withdrawn.reason_code.value}",
                    office,
                    withdrawn.withdrawn_on,
                    programme_id=withdrawn.programme_id,
                    pokmas_id=enrolment.pokmas_id,
                )
                self._programme(withdrawn.programme_id, office).seats_taken -= 1
                if withdrawn.reason_code is WithdrawalReason.EMPLOYED:
                    self._fact(
                        withdrawn.client_id,
                        Fact(
                            FactKind.WORK_WITHDRAWAL,
                            withdrawn.enrolment_id,
                            event.aggregate_version,
                            office,
                            withdrawn.withdrawn_on,
                            withdrawn.programme_id,
                            enrolment.pokmas_id or NIL,
                            "",
                        ),
                    )
            case EnrolmentSuspended(enrolment_id=enrolment_id, programme_id=programme_id):
                enrolment = self._enrolment(enrolment_id, office)
                enrolment.programme_id = enrolment.programme_id or programme_id
                enrolment.suspended = True
            case EnrolmentResumed(enrolment_id=enrolment_id):
                self._enrolment(enrolment_id, office).suspended = False
            case EmployerPledged(signed_on=signed_on):
                self.count("employers_pledged", office, signed_on)
            case VacancyPosted(skill=skill, positions=positions, opens_on=opens_on):
                self.count("vacancies_posted", office, opens_on, skill=skill)
                self.count("positions_offered", office, opens_on, skill=skill, by=positions)
            case ClientPlaced() as placed:
                self._placed(placed, office, event.aggregate_version)
            case PlacementChecked() as checked:
                checks, retained = _CHECK_COUNTERS[checked.milestone]
                skill = self.skill_of_placement(checked.placement_id)
                self.count(checks, office, checked.checked_on, skill=skill)
                if checked.still_employed:
                    self.count(retained, office, checked.checked_on, skill=skill)
            case PlacementEnded(placement_id=placement_id, ended_on=ended_on, reason=reason):
                self.count(
                    f"placements_ended_{reason.value}",
                    office,
                    ended_on,
                    skill=self.skill_of_placement(placement_id),
                )

    def _placed(self, placed: ClientPlaced, office: str, version: int) -> None:
        """A placement: an employment of the klien (as a ClientEmployed is) and a klien
        placed, both on its start day and in its vacancy's skill."""
        skill = placed.skill or ""
        self.placed[placed.placement_id] = skill
        for kind in (FactKind.EMPLOYMENT, FactKind.PLACEMENT):
            self._fact(
                placed.client_id,
                Fact(
                    kind, placed.placement_id, version, office, placed.started_on, NIL, NIL, skill
                ),
            )
        self._change_klien(placed.client_id, office, employed=placed.started_on)

    def _mou(self, mou_id: UUID, office: str) -> MoUChange:
        return self.mous.setdefault(mou_id, MoUChange(office))

    def _programme(self, programme_id: UUID, office: str) -> ProgrammeChange:
        return self.programmes.setdefault(programme_id, ProgrammeChange(office))

    def _enrolment(self, enrolment_id: UUID, office: str) -> Enrolment:
        return self.enrolments.setdefault(enrolment_id, Enrolment(office))

    def _change_klien(
        self,
        client_id: UUID,
        office: str,
        *,
        released: date | None = None,
        employed: date | None = None,
        reoffended: bool = False,
        ended: bool = False,
        recommended: bool | None = None,
        moved: bool = False,
    ) -> None:
        """Change a klien (``office``: the event's), and move the now figures of the
        offices holding it before and after, and its release cohort's counters, by what
        changed."""
        klien = self.klien.setdefault(client_id, Klien(office))
        held_by, standing, cohort = klien.bapas_code, klien.standing(), klien.cohort()
        if released is not None and klien.released_on is None:
            klien.released_on, klien.supervised = released, True
            klien.bapas_code = klien.release_bapas_code = office
        if moved:
            klien.bapas_code = office
        if employed is not None and (
            klien.first_employed_on is None or employed < klien.first_employed_on
        ):
            klien.first_employed_on = employed
        klien.reoffended = klien.reoffended or reoffended
        if ended:
            klien.supervised = False
        if recommended is not None:
            klien.revocation_recommended = recommended
        for index, (before, after) in enumerate(zip(standing, klien.standing(), strict=True)):
            self.standing[held_by][index] -= before
            self.standing[klien.bapas_code][index] += after
        changed = klien.cohort()
        if changed != cohort and klien.released_on and klien.release_bapas_code is not None:
            office_of_release, day = klien.release_bapas_code, klien.released_on
            self.count("cohort_reoffended", office_of_release, day, by=changed[0] - cohort[0])
            self.count(
                "cohort_employed_within_6_months",
                office_of_release,
                day,
                by=changed[1] - cohort[1],
            )


class FiguresProjection:
    """Projection ``insights.figures``: every figure's counters and state."""

    name = "insights.figures"
    event_types = frozenset(kind.event_type for kind in HANDLED)
    """Attendance, contact changes, erasures, employers registered and vacancies closed
    move no figure: skipped unparsed."""

    def __init__(self, topics: Sequence[str]) -> None:
        self.topics = tuple(topics)

    async def apply(
        self, connection: asyncpg.Connection, events: Sequence[Envelope[EventPayload]]
    ) -> None:
        for event in events:
            if not is_known_bapas(event.bapas_code):
                raise EventRejected(event, f"no office has the code {event.bapas_code!r}")
        klien_ids, enrolment_ids, fact_ids, placement_ids = _ids(events)
        changes = FigureChanges(
            klien=await _load_klien(connection, klien_ids),
            enrolments=await _load_enrolments(connection, enrolment_ids),
            facts=await _load_facts(connection, fact_ids),
            placements=await _load_placements(connection, placement_ids),
        )
        counted_before = _counted(changes.facts)
        changes.settled_before = {
            (client_id, fact.identity): (fact.single, fact.flag)
            for client_id, known in changes.facts.items()
            for fact in known
        }
        for event in events:
            changes.fold(event)
        for facts in changes.facts.values():
            settle_facts(facts)
        moved = _counted(changes.facts)
        moved.subtract(counted_before)
        for (key, column), change in moved.items():
            changes.counts[key][_COLUMN[column]] += change
        await _write(connection, changes)
        newest = max(event.recorded_at for event in events)
        await connection.execute(
            "UPDATE figures_state SET as_of = GREATEST(as_of, $1::timestamptz),"
            " events_applied = events_applied + $2",
            newest,
            len(events),
        )

    async def reset(self, connection: asyncpg.Connection) -> None:
        await connection.execute(
            "TRUNCATE daily_counts, klien, enrolments, programmes, mous, pokmas, klien_facts,"
            " office_counts, placements;"
            " UPDATE figures_state SET as_of = NULL, events_applied = 0, rebuilds = rebuilds + 1"
        )


_ROWS_TO_LOAD: Mapping[str, tuple[bool, bool, bool, bool]] = {
    kind.event_type: (
        kind
        in (
            ClientReleased,
            ClientEmployed,
            ClientPlaced,
            ClientReoffended,
            SupervisionEnded,
            ReportRecorded,
            RevocationRecommended,
            ClientTransferredIn,
        ),
        kind
        in (
            ClientEnrolled,
            TrainingCompleted,
            TrainingWithdrawn,
            EnrolmentSuspended,
            EnrolmentResumed,
        ),
        kind
        in (
            ClientEmployed,
            ClientPlaced,
            ClientReoffended,
            TrainingCompleted,
            TrainingWithdrawn,
            RevocationRecommended,
        ),
        kind in (PlacementChecked, PlacementEnded),
    )
    for kind in HANDLED
}
"""Per event type: whether it changes its klien's row, its enrolment's row, adds a fact
to its klien (see :class:`Fact`), and needs its placement's skill; those rows are
loaded before the batch folds."""


def _ids(
    events: Iterable[Envelope[EventPayload]],
) -> tuple[list[UUID], list[UUID], list[UUID], list[UUID]]:
    """The klien, the enrolments, the klien with facts and the placements whose rows the
    batch needs."""
    klien: set[UUID] = set()
    enrolments: set[UUID] = set()
    facts: set[UUID] = set()
    placements: set[UUID] = set()
    for event in events:
        of_klien, of_enrolment, of_facts, of_placement = _ROWS_TO_LOAD[event.event_type]
        payload: Any = event.payload
        if of_klien:
            klien.add(payload.client_id)
        if of_enrolment:
            enrolments.add(payload.enrolment_id)
        if of_facts:
            facts.add(payload.client_id)
        if of_placement:
            placements.add(payload.placement_id)
    return list(klien), list(enrolments), list(facts), list(placements)


def _counted(facts: Mapping[UUID, Sequence[Fact]]) -> Counter[tuple[CountKey, str]]:
    """What the facts add to the counters, by row and column."""
    counted: Counter[tuple[CountKey, str]] = Counter()
    for known in facts.values():
        for fact in known:
            for column, value in fact.counted().items():
                counted[(fact.key, column)] += value
    return counted


async def _load_klien(connection: asyncpg.Connection, ids: list[UUID]) -> dict[UUID, Klien]:
    if not ids:
        return {}
    rows = await connection.fetch(
        "SELECT client_id, bapas_code, released_on, supervised, first_employed_on, reoffended,"
        " release_bapas_code, revocation_recommended"
        " FROM klien WHERE client_id = ANY($1::uuid[])",
        ids,
    )
    return {row["client_id"]: Klien(*list(row.values())[1:]) for row in rows}


async def _load_enrolments(
    connection: asyncpg.Connection, ids: list[UUID]
) -> dict[UUID, Enrolment]:
    if not ids:
        return {}
    rows = await connection.fetch(
        "SELECT enrolment_id, bapas_code, client_id, programme_id, pokmas_id, suspended"
        " FROM enrolments WHERE enrolment_id = ANY($1::uuid[])",
        ids,
    )
    return {row["enrolment_id"]: Enrolment(*list(row.values())[1:]) for row in rows}


async def _load_placements(connection: asyncpg.Connection, ids: list[UUID]) -> dict[UUID, str]:
    if not ids:
        return {}
    rows = await connection.fetch(
        "SELECT placement_id, skill FROM placements WHERE placement_id = ANY($1::uuid[])", ids
    )
    return {row["placement_id"]: row["skill"] for row in rows}


_FACT_COLUMNS = (
    "kind, aggregate_id, version, bapas_code, day, programme_id, pokmas_id, skill, single, flag"
)


async def _load_facts(connection: asyncpg.Connection, ids: list[UUID]) -> dict[UUID, list[Fact]]:
    if not ids:
        return {}
    rows = await connection.fetch(
        f"SELECT client_id, {_FACT_COLUMNS} FROM klien_facts WHERE client_id = ANY($1::uuid[])",
        ids,
    )
    facts: dict[UUID, list[Fact]] = {}
    for row in rows:
        values = list(row.values())
        facts.setdefault(values[0], []).append(Fact(FactKind(values[1]), *values[2:]))
    return facts


def _columns(rows: Iterable[Sequence[Any]], width: int) -> list[list[Any]]:
    """Rows turned into one list per column, as ``unnest`` takes them."""
    columns = [list(column) for column in zip(*rows, strict=True)]
    return columns or [[] for _ in range(width)]


@functools.cache
def _upsert_counts(columns: tuple[str, ...]) -> str:
    """The upsert adding to ``columns`` only: a batch moves a few of the many counters
    (its statement is prepared once per set of columns)."""
    types = ", ".join(f"${index + 6}::int[]" for index in range(len(columns)))
    return (
        "INSERT INTO daily_counts (bapas_code, day, programme_id, pokmas_id, skill,"
        f" {', '.join(columns)})"
        f" SELECT * FROM unnest($1::text[], $2::date[], $3::uuid[], $4::uuid[], $5::text[],"
        f" {types})"
        " ON CONFLICT (bapas_code, day, programme_id, pokmas_id, skill) DO UPDATE SET "
        + ", ".join(f"{name} = daily_counts.{name} + EXCLUDED.{name}" for name in columns)
    )


_UPSERT_OFFICE_COUNTS = (
    f"INSERT INTO office_counts (bapas_code, {', '.join(OFFICE_COUNTERS)})"
    " SELECT * FROM unnest($1::text[], "
    + ", ".join(f"${index + 2}::int[]" for index in range(len(OFFICE_COUNTERS)))
    + ") ON CONFLICT (bapas_code) DO UPDATE SET "
    + ", ".join(f"{name} = office_counts.{name} + EXCLUDED.{name}" for name in OFFICE_COUNTERS)
)
"""Adds each office's changes to what its klien are now."""


async def _write(connection: asyncpg.Connection, changes: FigureChanges) -> None:
    """Write one batch's changes: one statement per table it touched."""
    rows = {key: values for key, values in changes.counts.items() if any(values)}
    moved = [index for index in range(len(COUNTERS)) if any(v[index] for v in rows.values())]
    if moved:
        await connection.execute(
            _upsert_counts(tuple(COUNTERS[index] for index in moved)),
            *_columns(
                ((*key, *(values[index] for index in moved)) for key, values in rows.items()),
                5 + len(moved),
            ),
        )
    standing = [(office, *change) for office, change in changes.standing.items() if any(change)]
    if standing:
        await connection.execute(
            _UPSERT_OFFICE_COUNTS,
            *_columns(standing, 1 + len(OFFICE_COUNTERS)),
        )
    if touched := changes.changed(changes.klien):
        await connection.execute(
            "INSERT INTO klien (client_id, bapas_code, released_on, supervised,"
            " first_employed_on, reoffended, release_bapas_code, revocation_recommended)"
            " SELECT * FROM unnest($1::uuid[], $2::text[], $3::date[], $4::bool[],"
            " $5::date[], $6::bool[], $7::text[], $8::bool[])"
            " ON CONFLICT (client_id) DO UPDATE SET bapas_code = EXCLUDED.bapas_code,"
            " released_on = EXCLUDED.released_on, supervised = EXCLUDED.supervised,"
            " first_employed_on = EXCLUDED.first_employed_on, reoffended = EXCLUDED.reoffended,"
            " release_bapas_code = EXCLUDED.release_bapas_code,"
            " revocation_recommended = EXCLUDED.revocation_recommended",
            *_columns(touched, 8),
        )
    if touched := changes.changed(changes.enrolments):
        await connection.execute(
            "INSERT INTO enrolments (enrolment_id, bapas_code, client_id, programme_id,"
            " pokmas_id, suspended)"
            " SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::uuid[], $5::uuid[],"
            " $6::bool[])"
            " ON CONFLICT (enrolment_id) DO UPDATE SET client_id = EXCLUDED.client_id,"
            " programme_id = EXCLUDED.programme_id, pokmas_id = EXCLUDED.pokmas_id,"
            " suspended = EXCLUDED.suspended",
            *_columns(touched, 6),
        )
    facts = [
        (client_id, fact.kind.value, *list(vars(fact).values())[1:])
        for client_id, known in changes.facts.items()
        for fact in known
        if changes.settled_before.get((client_id, fact.identity)) != (fact.single, fact.flag)
    ]
    if facts:
        await connection.execute(
            f"INSERT INTO klien_facts (client_id, {_FACT_COLUMNS})"
            " SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::int[], $5::text[],"
            " $6::date[], $7::uuid[], $8::uuid[], $9::text[], $10::bool[], $11::bool[])"
            " ON CONFLICT (client_id, kind, aggregate_id, version) DO UPDATE SET"
            " single = EXCLUDED.single, flag = EXCLUDED.flag"
            " WHERE (klien_facts.single, klien_facts.flag) <> (EXCLUDED.single, EXCLUDED.flag)",
            *_columns(facts, 11),
        )
    await _write_entities(connection, changes)


async def _write_entities(connection: asyncpg.Connection, changes: FigureChanges) -> None:
    """Programmes, MoUs, Pokmas and placements: what each event of the batch said of
    them last (a placement's skill is said once, by its start)."""
    if changes.programmes:
        await connection.execute(
            "INSERT INTO programmes (programme_id, bapas_code, pokmas_id, skill, capacity,"
            " status, seats_taken)"
            " SELECT p, b, o, s, coalesce(c, 0), st, t FROM unnest($1::uuid[], $2::text[],"
            " $3::uuid[], $4::text[], $5::int[], $6::text[], $7::int[]) AS x(p, b, o, s, c, st, t)"
            " ON CONFLICT (programme_id) DO UPDATE SET"
            " pokmas_id = coalesce(EXCLUDED.pokmas_id, programmes.pokmas_id),"
            " skill = coalesce(EXCLUDED.skill, programmes.skill),"
            " capacity = CASE WHEN EXCLUDED.status IS NULL THEN programmes.capacity"
            " ELSE EXCLUDED.capacity END,"
            " status = coalesce(EXCLUDED.status, programmes.status),"
            " seats_taken = programmes.seats_taken + EXCLUDED.seats_taken",
            *_columns(
                ((pid, *vars(change).values()) for pid, change in changes.programmes.items()), 7
            ),
        )
    if changes.mous:
        await connection.execute(
            "INSERT INTO mous (mou_id, bapas_code, pokmas_id, active, valid_until)"
            " SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::bool[], $5::date[])"
            " ON CONFLICT (mou_id) DO UPDATE SET"
            " pokmas_id = coalesce(EXCLUDED.pokmas_id, mous.pokmas_id),"
            " active = coalesce(EXCLUDED.active, mous.active),"
            " valid_until = coalesce(EXCLUDED.valid_until, mous.valid_until)",
            *_columns(((mid, *vars(change).values()) for mid, change in changes.mous.items()), 5),
        )
    if changes.pokmas:
        await connection.execute(
            "INSERT INTO pokmas (pokmas_id, bapas_code, name)"
            " SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[])"
            " ON CONFLICT (pokmas_id) DO UPDATE SET bapas_code = EXCLUDED.bapas_code,"
            " name = EXCLUDED.name",
            *_columns(((pid, *office_name) for pid, office_name in changes.pokmas.items()), 3),
        )
    if changes.placed:
        await connection.execute(
            "INSERT INTO placements (placement_id, skill)"
            " SELECT * FROM unnest($1::uuid[], $2::text[])"
            " ON CONFLICT (placement_id) DO NOTHING",
            *_columns(changes.placed.items(), 2),
        )


def figures_projection(topics: Sequence[str]) -> FiguresProjection:
    """The figures projection reading ``topics`` (the service's setting)."""
    return FiguresProjection(topics)


PROJECTIONS: Mapping[str, Projection] = {
    "figures": figures_projection(InsightsSettings().topic_names)
}
"""The service's projections by name, for ``bapas projection rebuild insights figures``
(the topics as the environment's ``INSIGHTS_TOPICS`` names them)."""
