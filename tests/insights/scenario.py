"""A seeded history of the programme, as the pokmas, enrolment and employment services
publish it.

The figures test needs events that exercise every definition of the insights
contract, not a handful of happy paths: several offices in several provinces and time
zones, Pokmas whose MoUs are renewed, terminated, expired or about to expire,
programmes open and closed in several skills, klien released over many months who
enrol, complete, withdraw for every reason, are suspended and resumed, find work before
or after training and within or beyond six months of release, re-offend and end their
supervision; employers who pledge or not, post vacancies and close some, and take klien
on (from a vacancy or not, some twice, some whose job is also recorded as an
employment), checked at six weeks and six months, placements ending for every reason;
klien reporting on their wajib lapor schedules (on time, late, excused, or not at all,
three misses in a row recommending a revocation), and klien moving to another office
(within a province and across provinces, with an open enrolment, with a revocation
recommended before or after the move, and one revoked at its new office).
Hand-written events would be few and would share the blind spots of whoever wrote the
service; a seeded generator gives a realistic volume that is the same on every run.

The history is plausible in the services' own terms (the domain rules): programmes lie
inside their MoU's validity, klien enrol after their release at their own office, a
suspended enrolment waits for its MoU's renewal, nothing happens after a klien's
supervision has ended, and a klien has one placement at a time, checked on its days.
A few things are there on purpose to trip a projection: a Pokmas registered late in the
evening UTC, which is already the next day (and month) at its office; ProgrammeOpened
events recorded after the enrolments in them; an event published twice; an event
of an office that is not in the reference data; and a klien's events after a move
keyed by an office in another partition than those before it.
"""

from __future__ import annotations

import itertools
import random
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID

from aiokafka.partitioner import DefaultPartitioner

from shared.events.employment import (
    ClientPlaced,
    EmployerPledged,
    EmployerRegistered,
    PlacementChecked,
    PlacementEnded,
    PlacementEndReason,
    PlacementKind,
    RetentionMilestone,
    VacancyClosed,
    VacancyPosted,
)
from shared.events.enrolment import (
    Assessment,
    AttendanceRecorded,
    AttendanceStatus,
    ClientEmployed,
    ClientEnrolled,
    ClientReleased,
    ClientReoffended,
    ClientTransferredIn,
    ClientTransferredOut,
    EmploymentKind,
    EnrolmentResumed,
    EnrolmentSuspended,
    IntegrationType,
    PkOfficer,
    ReportChannel,
    ReportingScheduled,
    ReportMissed,
    ReportRecorded,
    ReportStatus,
    RevocationRecommended,
    SupervisionEnded,
    SupervisionOutcome,
    TrainingCompleted,
    TrainingWithdrawn,
    WithdrawalReason,
)
from shared.events.envelope import Actor, Envelope, EventPayload, new_envelope
from shared.events.pokmas import (
    Contact,
    MoUExpired,
    MoURenewed,
    MoUSigned,
    MoUTerminated,
    PokmasContactChanged,
    PokmasKind,
    PokmasRegistered,
    ProgrammeClosed,
    ProgrammeOpened,
)
from shared.reference.offices import bapas_office, today_in
from shared.reference.skills import skill_codes
from tests.insights.oracle import Period

Event = Envelope[EventPayload]

SEED = 20_260_401
UNKNOWN_OFFICE = "atlantis"
"""A well-formed office code that the reference data does not know."""

PERIODS = (
    Period(),
    Period(date(2025, 6, 10), date(2026, 2, 20)),
    Period(date(2026, 4, 1), date(2026, 8, 15)),
    Period(date(2025, 11, 18), None),
    Period(None, date(2026, 3, 31)),
)
"""The periods the test asks for: all time, and periods cutting months in the middle
(and one that ends the day before the late-evening registration's local date)."""

HISTORY_STARTS = date(2025, 1, 2)
HISTORY_ENDS = date(2026, 12, 31)
SKILLS = sorted(skill_codes())
REPORTING_STARTS = date(2026, 1, 5)
"""When wajib lapor came to the platform: a klien released before has its first due date
one interval after this day, so that nothing floods on the first run."""
MISSES_TO_RECOMMEND = 3
"""Consecutive due dates missed that recommend a revocation, once per streak."""
MISSED = "missed"
"""An outcome of a due date (beside the statuses of ReportStatus): no report at all."""


@dataclass
class _Pending:
    office: str
    payload: EventPayload
    occurred_at: datetime
    event_id: UUID
    correlation_id: UUID
    causation_id: UUID | None
    actor: Actor
    late: bool


@dataclass(frozen=True)
class _MoU:
    mou_id: UUID
    pokmas_id: UUID
    ended_on: date | None = None
    """When it stopped being in force (termination or expiry), if it did."""
    ended_by: UUID | None = None
    renewed_on: date | None = None
    renewed_by: UUID | None = None


@dataclass(frozen=True)
class _Programme:
    office: str
    programme_id: UUID
    pokmas_id: UUID
    mou: _MoU
    skill: str
    starts_on: date
    ends_on: date
    closed_on: date | None


@dataclass
class _Klien:
    client_id: UUID
    office: str
    released_on: date
    supervision_ends_on: date
    completions: list[tuple[date, str]] = field(default_factory=list)
    """(completed_on, skill) of each completed training."""
    withdrawals: list[tuple[date, WithdrawalReason]] = field(default_factory=list)
    busy_until: date | None = None
    """The last day of its trainings; ``None`` until it trains."""
    still_training: bool = False
    ended_on: date | None = None
    """The end of its supervision, if it ended."""
    no_work: bool = False
    """Withdrawn for work that is never recorded: the data-quality case, never placed."""
    moves: list[tuple[date, str]] = field(default_factory=list)
    """(transferred_on, office) of each transfer, in order."""


@dataclass
class _Vacancy:
    vacancy_id: UUID
    skill: str
    positions: int
    opens_on: date
    closes_on: date
    placed_until: date | None = None
    """The start of its latest placement."""
    placed: int = 0

    def takes(self, day: date) -> bool:
        """Whether it takes a placement starting on ``day`` (open, and not yet filled)."""
        return self.opens_on <= day <= self.closes_on and self.placed < self.positions


@dataclass
class _Employer:
    office: str
    employer_id: UUID
    name: str
    registered_on: date
    vacancies: list[_Vacancy] = field(default_factory=list)


class _History:
    """Collects events in business order; :meth:`envelopes` dates and numbers them."""

    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng = rng
        self.now = now
        self.last_day = min(now.astimezone(UTC).date() - timedelta(days=1), HISTORY_ENDS)
        """The latest business date of the history: yesterday in UTC, which is no later
        than today at any office of Indonesia (and the history stays within 2025–2026)."""
        self.pending: list[_Pending] = []
        self._per_day: dict[tuple[str, date], int] = defaultdict(int)
        self._reasons: Iterator[WithdrawalReason] = itertools.cycle(WithdrawalReason)
        self._end_reasons: Iterator[PlacementEndReason] = itertools.cycle(PlacementEndReason)
        self._employed_withdrawals = 0
        self.klien: list[_Klien] = []

    # Plumbing.

    def uuid(self) -> UUID:
        return UUID(int=self.rng.getrandbits(128), version=4)

    def days(self, low: int, high: int) -> timedelta:
        return timedelta(days=self.rng.randint(low, high))

    def office_today(self, office: str) -> date:
        return today_in(office, self.now)

    def at(self, office: str, day: date) -> datetime:
        """A moment of office hours at the office on ``day``, later than the previous
        event of that office and day, in UTC."""
        count = self._per_day[(office, day)]
        self._per_day[(office, day)] = count + 1
        local = datetime.combine(day, time(9, 0), tzinfo=bapas_office(office).zone)
        return (local + timedelta(seconds=30 * count)).astimezone(UTC)

    def add(
        self,
        office: str,
        day: date,
        payload: EventPayload,
        *,
        occurred_at: datetime | None = None,
        causation_id: UUID | None = None,
        late: bool = False,
    ) -> UUID:
        assert day <= self.last_day, f"{payload.event_type} on {day} is in the future"
        assert day >= HISTORY_STARTS, f"{payload.event_type} on {day} is before the history"
        source = payload.source.value
        actor = Actor(
            role="pokmas_partner" if isinstance(payload, ProgrammeOpened) else "bapas_officer",
            sub=f"{source}-{office}",
        )
        event_id = self.uuid()
        self.pending.append(
            _Pending(
                office=office,
                payload=payload,
                occurred_at=occurred_at or self.at(office, day),
                event_id=event_id,
                correlation_id=self.uuid(),
                causation_id=causation_id,
                actor=actor,
                late=late,
            )
        )
        return event_id

    # Pokmas, MoUs and programmes.

    def pokmas(
        self,
        office: str,
        name: str,
        skills: tuple[str, ...],
        registered_on: date,
        *,
        occurred_at: datetime | None = None,
    ) -> UUID:
        pokmas_id = self.uuid()
        self.add(
            office,
            registered_on,
            PokmasRegistered(
                pokmas_id=pokmas_id,
                name=name,
                kind=PokmasKind.ORGANISATION if self.rng.random() < 0.8 else PokmasKind.INDIVIDUAL,
                registration_number=f"AHU-{self.rng.randint(1000, 9999)}.AH.01.07.2025",
                contact=self.contact(),
                address=f"Jl. Pahlawan No. {self.rng.randint(1, 120)}, {bapas_office(office).name}",
                skills=skills,
            ),
            occurred_at=occurred_at,
        )
        return pokmas_id

    def contact(self) -> Contact:
        first = self.rng.choice(["Sari", "Rahmat", "Dewi", "Yohanes", "Andi", "Fitri"])
        return Contact(
            name=f"{first} {self.rng.choice(['Wibowo', 'Lestari', 'Pasaribu', 'Tanjung'])}",
            phone=f"+62 81{self.rng.randint(1, 9)} {self.rng.randint(1000, 9999)} "
            f"{self.rng.randint(1000, 9999)}",
            email=f"{first.lower()}{self.rng.randint(1, 99)}@pokmas.example",
        )

    def mou(
        self,
        office: str,
        pokmas_id: UUID,
        signed_on: date,
        valid_until: date,
        scope: tuple[str, ...],
    ) -> _MoU:
        mou_id = self.uuid()
        self.add(
            office,
            signed_on,
            MoUSigned(
                mou_id=mou_id,
                pokmas_id=pokmas_id,
                number=f"PKS/{office.upper()}/{self.rng.randint(100, 999)}/{signed_on.year}",
                signed_on=signed_on,
                valid_from=signed_on,
                valid_until=valid_until,
                scope=scope,
            ),
        )
        return _MoU(mou_id, pokmas_id)

    def renew(self, office: str, mou: _MoU, renewed_on: date, valid_until: date) -> _MoU:
        event_id = self.add(
            office,
            renewed_on,
            MoURenewed(mou_id=mou.mou_id, valid_until=valid_until, renewed_on=renewed_on),
        )
        return _MoU(mou.mou_id, mou.pokmas_id, mou.ended_on, mou.ended_by, renewed_on, event_id)

    def terminate(self, office: str, mou: _MoU, effective_on: date) -> _MoU:
        event_id = self.add(
            office,
            effective_on,
            MoUTerminated(
                mou_id=mou.mou_id, effective_on=effective_on, reason="Pokmas tidak lagi aktif"
            ),
        )
        return _MoU(mou.mou_id, mou.pokmas_id, effective_on, event_id)

    def expire(self, office: str, mou: _MoU, expired_on: date) -> _MoU:
        event_id = self.add(
            office, expired_on, MoUExpired(mou_id=mou.mou_id, expired_on=expired_on)
        )
        return _MoU(mou.mou_id, mou.pokmas_id, expired_on, event_id)

    def programme(
        self,
        office: str,
        mou: _MoU,
        skill: str,
        starts_on: date,
        weeks: int,
        *,
        closed: bool = False,
        late: bool = False,
    ) -> _Programme:
        programme_id = self.uuid()
        ends_on = starts_on + timedelta(weeks=weeks)
        capacity = self.rng.randint(8, 12)
        self.add(
            office,
            starts_on - timedelta(days=14),
            ProgrammeOpened(
                programme_id=programme_id,
                pokmas_id=mou.pokmas_id,
                mou_id=mou.mou_id,
                skill=skill,
                title=f"Pelatihan {skill.replace('_', ' ')} angkatan {starts_on:%m/%Y}",
                capacity=capacity,
                starts_on=starts_on,
                ends_on=ends_on,
                sessions_planned=weeks,
                location=f"Bengkel Pokmas, {bapas_office(office).name}",
            ),
            late=late,
        )
        closed_on = ends_on + timedelta(days=21) if closed else None
        return _Programme(
            office, programme_id, mou.pokmas_id, mou, skill, starts_on, ends_on, closed_on
        )

    def close(self, programme: _Programme) -> None:
        assert programme.closed_on is not None
        self.add(
            programme.office,
            programme.closed_on,
            ProgrammeClosed(
                programme_id=programme.programme_id,
                closed_on=programme.closed_on,
                reason="Angkatan selesai",
            ),
        )

    # Klien and their training.

    def release(self, office: str, released_on: date) -> _Klien:
        released_on = max(released_on, HISTORY_STARTS)
        klien = _Klien(
            client_id=self.uuid(),
            office=office,
            released_on=released_on,
            supervision_ends_on=released_on + self.days(300, 620),
        )
        self.add(
            office,
            released_on,
            ClientReleased(
                client_id=klien.client_id,
                register_number=f"{office[:3].upper()}/{self.rng.randint(100, 9999)}/"
                f"{released_on.year}",
                integration_type=self.rng.choice(list(IntegrationType)),
                released_on=released_on,
                supervision_ends_on=klien.supervision_ends_on,
                pk_officer=PkOfficer(
                    id=f"1985{self.rng.randint(10**13, 10**14 - 1)}",
                    name=self.rng.choice(["Andi Wijaya", "Maria Rumbiak", "Budi Hartono"]),
                    email=f"pk.{office}@bapas.example",
                ),
            ),
        )
        self.klien.append(klien)
        return klien

    def train(self, programme: _Programme, cohort: list[_Klien]) -> None:
        """Enrol ``cohort`` in ``programme`` and record how each enrolment went."""
        rng = self.rng
        office = programme.office
        for klien in cohort:
            enrolment_id = self.uuid()
            enrolled_on = max(programme.starts_on + self.days(0, 3), klien.released_on)
            self.add(
                office,
                enrolled_on,
                ClientEnrolled(
                    enrolment_id=enrolment_id,
                    client_id=klien.client_id,
                    programme_id=programme.programme_id,
                    pokmas_id=programme.pokmas_id,
                    enrolled_on=enrolled_on,
                ),
            )
            # When the enrolment would end by completion, and whether a withdrawal
            # comes first.
            finish = programme.ends_on + self.days(0, 4)
            mou = programme.mou
            suspended_on = mou.ended_on if mou.ended_on and mou.ended_on <= finish else None
            if suspended_on is not None and mou.renewed_on is not None:
                finish = mou.renewed_on + self.days(3, 12)
            open_until = min(suspended_on or finish, finish, self.last_day + timedelta(days=1))
            withdraws = rng.random() < (0.25 if finish <= self.last_day else 0.2)
            withdrawn_on: date | None = None
            if withdraws and (open_until - enrolled_on).days > 2:
                withdrawn_on = enrolled_on + self.days(1, (open_until - enrolled_on).days - 1)
            last = withdrawn_on or min(suspended_on or finish, finish, self.last_day)
            for session in range(rng.randint(1, 5)):
                session_date = programme.starts_on + timedelta(weeks=session)
                if session_date > last:
                    break
                if session_date < enrolled_on:
                    continue
                self.add(
                    office,
                    session_date,
                    AttendanceRecorded(
                        enrolment_id=enrolment_id,
                        session_no=session + 1,
                        session_date=session_date,
                        status=rng.choice(
                            [AttendanceStatus.PRESENT] * 4
                            + [AttendanceStatus.LATE, AttendanceStatus.ABSENT]
                        ),
                    ),
                )
            if withdrawn_on is not None:
                reason = next(self._reasons)
                self.add(
                    office,
                    withdrawn_on,
                    TrainingWithdrawn(
                        enrolment_id=enrolment_id,
                        client_id=klien.client_id,
                        programme_id=programme.programme_id,
                        withdrawn_on=withdrawn_on,
                        reason_code=reason,
                    ),
                )
                klien.withdrawals.append((withdrawn_on, reason))
                klien.busy_until = withdrawn_on
                continue
            if suspended_on is not None and suspended_on <= self.last_day:
                assert mou.ended_by is not None
                self.add(
                    office,
                    suspended_on,
                    EnrolmentSuspended(
                        enrolment_id=enrolment_id,
                        programme_id=programme.programme_id,
                        mou_id=mou.mou_id,
                        reason="MoU Pokmas berakhir",
                    ),
                    causation_id=mou.ended_by,
                )
                if mou.renewed_on is None:
                    klien.still_training = True
                    continue
                assert mou.renewed_by is not None
                self.add(
                    office,
                    mou.renewed_on,
                    EnrolmentResumed(
                        enrolment_id=enrolment_id,
                        programme_id=programme.programme_id,
                        mou_id=mou.mou_id,
                    ),
                    causation_id=mou.renewed_by,
                )
            # Still in training today, or left unrecorded in a programme still open.
            if finish > self.last_day or (programme.closed_on is None and rng.random() < 0.08):
                klien.still_training = True
                continue
            competent = rng.random() < 0.8
            self.add(
                office,
                finish,
                TrainingCompleted(
                    enrolment_id=enrolment_id,
                    client_id=klien.client_id,
                    programme_id=programme.programme_id,
                    completed_on=finish,
                    assessment=Assessment.COMPETENT if competent else Assessment.NOT_YET_COMPETENT,
                    certificate_number=f"SERT/{rng.randint(1000, 9999)}" if competent else None,
                ),
            )
            klien.completions.append((finish, programme.skill))
            klien.busy_until = finish

    def cohort(self, programme: _Programme, pool: list[_Klien]) -> list[_Klien]:
        """New klien released for the programme, and now and then one who already
        completed a training at the office and trains again."""
        rng = self.rng
        cohort: list[_Klien] = []
        for klien in list(pool):
            if (
                len(cohort) < 2
                and klien.completions
                and not klien.still_training
                and klien.busy_until is not None
                and klien.busy_until < programme.starts_on - timedelta(days=3)
                and klien.supervision_ends_on > programme.ends_on + timedelta(days=30)
                and rng.random() < 0.4
            ):
                cohort.append(klien)
                pool.remove(klien)
        for _ in range(rng.randint(3, 6)):
            cohort.append(self.release(programme.office, programme.starts_on - self.days(5, 60)))
        return cohort

    # What happens to a klien after (or without) training.

    def follow_up(self, klien: _Klien) -> None:
        rng = self.rng
        office = klien.office
        ended_on: date | None = None
        outcome = SupervisionOutcome.COMPLETED
        revoked = [day for day, reason in klien.withdrawals if reason is WithdrawalReason.REVOKED]
        if revoked:
            ended_on = min(revoked[0] + self.days(0, 7), self.last_day)
            outcome = SupervisionOutcome.REVOKED

        starts: list[tuple[date, str | None]] = []
        for day, reason in klien.withdrawals:
            if reason is WithdrawalReason.EMPLOYED:
                self._employed_withdrawals += 1
                if self._employed_withdrawals % 2 == 0:
                    self._end(klien, ended_on, outcome, starts, no_work=True)
                    return
                starts.append((day + self.days(0, 6), None))
        for day, skill in klien.completions:
            if rng.random() < 0.6:
                roll = rng.random()
                own = skill if roll < 0.55 else rng.choice(SKILLS) if roll < 0.7 else None
                starts.append((day + self.days(-30, 260), own))
        if not klien.completions and not starts and rng.random() < 0.18:
            starts.append(
                (
                    klien.released_on + self.days(20, 330),
                    rng.choice(SKILLS) if rng.random() < 0.2 else None,
                )
            )
        if starts and rng.random() < 0.15:
            first = min(day for day, _ in starts)
            starts.append((first + self.days(30, 150), None))

        if ended_on is None and rng.random() < 0.1:
            recorded_on = klien.released_on + self.days(30, 330)
            if recorded_on <= min(self.last_day, klien.supervision_ends_on):
                self.add(
                    office,
                    recorded_on,
                    ClientReoffended(client_id=klien.client_id, recorded_on=recorded_on),
                )
                after_training = klien.busy_until is None or recorded_on > klien.busy_until
                if after_training and not klien.still_training and rng.random() < 0.6:
                    ended_on = min(recorded_on + self.days(5, 30), self.last_day)
                    outcome = SupervisionOutcome.REVOKED
        self._end(klien, ended_on, outcome, starts, no_work=False)

    def _end(
        self,
        klien: _Klien,
        ended_on: date | None,
        outcome: SupervisionOutcome,
        starts: list[tuple[date, str | None]],
        *,
        no_work: bool,
    ) -> None:
        if ended_on is None and not klien.still_training:
            planned = klien.supervision_ends_on
            if planned <= self.last_day and (
                klien.busy_until is None or klien.busy_until < planned
            ):
                ended_on = planned
        klien.ended_on, klien.no_work = ended_on, no_work
        limit = min(self.last_day, ended_on or self.last_day)
        if not no_work:
            for started_on, skill in sorted(starts, key=lambda start: start[0]):
                if klien.released_on <= started_on <= limit:
                    self.employ(klien, started_on, skill)
        if ended_on is not None:
            self.add(
                klien.office,
                ended_on,
                SupervisionEnded(client_id=klien.client_id, ended_on=ended_on, outcome=outcome),
            )

    def employ(self, klien: _Klien, started_on: date, skill: str | None) -> None:
        self_employed = self.rng.random() < 0.3
        self.add(
            self.office_of(klien, started_on),
            started_on,
            ClientEmployed(
                client_id=klien.client_id,
                employment_kind=EmploymentKind.SELF_EMPLOYED
                if self_employed
                else EmploymentKind.EMPLOYED,
                employer_name=None
                if self_employed
                else self.rng.choice(["CV Sinar Teknik", "PT Borneo Jaya", "UD Makmur"]),
                started_on=started_on,
                skill=skill,
            ),
        )

    # Wajib lapor and moves between offices.

    def office_of(self, klien: _Klien, day: date) -> str:
        """The office holding the klien on ``day`` (the day of a move is the old one's:
        the move is recorded in the afternoon, after that day's other events)."""
        office = klien.office
        for moved_on, to_office in klien.moves:
            if day > moved_on:
                office = to_office
        return office

    def transfer(
        self,
        klien: _Klien,
        to_office: str,
        day: date,
        *,
        open_enrolments: Iterable[tuple[UUID, UUID]] = (),
    ) -> None:
        """Move the klien to ``to_office`` as the enrolment service records it, in one
        transaction: its open enrolments (enrolment and programme ids) withdrawn for the
        move, then ClientTransferredOut at the old office and ClientTransferredIn at the
        new one."""
        old_office = self.office_of(klien, day)
        moment = datetime.combine(day, time(15, 0), tzinfo=bapas_office(old_office).zone)
        moment = moment.astimezone(UTC)
        for enrolment_id, programme_id in open_enrolments:
            self.add(
                old_office,
                day,
                TrainingWithdrawn(
                    enrolment_id=enrolment_id,
                    client_id=klien.client_id,
                    programme_id=programme_id,
                    withdrawn_on=day,
                    reason_code=WithdrawalReason.MOVED,
                ),
                occurred_at=moment - timedelta(seconds=1),
            )
        moved_out = self.add(
            old_office,
            day,
            ClientTransferredOut(
                client_id=klien.client_id,
                to_bapas_code=to_office,
                transferred_on=day,
                reason="Pindah domisili karena pekerjaan",
            ),
            occurred_at=moment,
        )
        self.add(
            to_office,
            day,
            ClientTransferredIn(
                client_id=klien.client_id,
                from_bapas_code=old_office,
                transferred_on=day,
                pk_officer=PkOfficer(
                    id="198904122015031002",
                    name="Rina Saragih",
                    email=f"pk.{to_office}@bapas.example",
                ),
            ),
            occurred_at=moment + timedelta(seconds=1),
            causation_id=moved_out,
        )
        klien.moves.append((day, to_office))

    def habits(self) -> Iterator[str]:
        """How a klien answers its due dates, one after the other: most report, some
        often do not."""
        careless = self.rng.random() < 0.2
        miss = 0.4 if careless else 0.04
        while True:
            roll = self.rng.random()
            if roll < miss:
                yield MISSED
            elif roll < miss + 0.05:
                yield ReportStatus.LATE
            elif roll < miss + 0.1:
                yield ReportStatus.EXCUSED
            else:
                yield ReportStatus.REPORTED

    def wajib_lapor(self, klien: _Klien, outcomes: Iterable[str], every_days: int = 30) -> None:
        """The klien's reporting schedule from its release (or from when reporting came
        to the platform), and each due date answered as ``outcomes`` say, until the
        outcomes, the history or the supervision end. A miss is recorded the day after
        its due date; a late report comes after its miss and breaks the streak all the
        same."""
        scheduled_on = max(klien.released_on, REPORTING_STARTS)
        limit = min(self.last_day, (klien.ended_on or HISTORY_ENDS) - timedelta(days=1))
        due = scheduled_on + timedelta(days=every_days)
        if due + timedelta(days=1) > limit:
            return
        self.add(
            self.office_of(klien, scheduled_on),
            scheduled_on,
            ReportingScheduled(client_id=klien.client_id, first_due_on=due, every_days=every_days),
        )
        streak: list[date] = []
        for outcome in outcomes:
            if due + timedelta(days=1) > limit:
                return
            reported_on = due - self.days(0, 3)
            if outcome != ReportStatus.REPORTED:
                reported_on = due
            if outcome in (MISSED, ReportStatus.LATE):
                streak.append(due)
                missed_on = due + timedelta(days=1)
                office = self.office_of(klien, missed_on)
                self.add(
                    office,
                    missed_on,
                    ReportMissed(
                        client_id=klien.client_id, due_on=due, missed_in_a_row=len(streak)
                    ),
                )
                if len(streak) == MISSES_TO_RECOMMEND:
                    self.add(
                        office,
                        missed_on,
                        RevocationRecommended(
                            client_id=klien.client_id,
                            recommended_on=missed_on,
                            missed_due_dates=list(streak),
                        ),
                    )
                reported_on = due + self.days(2, 6)
            if outcome != MISSED and reported_on <= limit:
                self.add(
                    self.office_of(klien, reported_on),
                    reported_on,
                    ReportRecorded(
                        client_id=klien.client_id,
                        due_on=due,
                        reported_on=reported_on,
                        status=ReportStatus(outcome),
                        channel=self.rng.choice(list(ReportChannel)),
                    ),
                )
                streak = []
            due += timedelta(days=every_days)

    # Employers, their vacancies, and klien placed with them.

    def employer(self, office: str, registered_on: date, skills: tuple[str, ...]) -> _Employer:
        """An employer registered at the office, pledged (most of them), with vacancies."""
        rng = self.rng
        employer = _Employer(
            office,
            self.uuid(),
            f"{rng.choice(['CV', 'PT', 'UD'])} {rng.choice(['Sinar', 'Borneo', 'Makmur'])} "
            f"{rng.choice(['Teknik', 'Abadi', 'Sentosa'])}",
            registered_on,
        )
        self.add(
            office,
            registered_on,
            EmployerRegistered(
                employer_id=employer.employer_id,
                name=employer.name,
                sector=rng.choice(["C", "F", "G", "I", "S"]),
                address=f"Jl. Industri No. {rng.randint(1, 200)}, {bapas_office(office).name}",
                contact=self.contact(),
                skills=skills,
            ),
        )
        if rng.random() < 0.7:
            signed_on = min(registered_on + self.days(0, 60), self.last_day)
            self.add(
                office,
                signed_on,
                EmployerPledged(employer_id=employer.employer_id, signed_on=signed_on),
            )
        for _ in range(rng.randint(1, 4)):
            opens_on = registered_on + self.days(5, 560)
            if opens_on > self.last_day:
                continue
            vacancy = _Vacancy(
                self.uuid(),
                rng.choice(skills),
                rng.randint(1, 4),
                opens_on,
                opens_on + self.days(20, 90),
            )
            self.add(
                office,
                opens_on,
                VacancyPosted(
                    vacancy_id=vacancy.vacancy_id,
                    employer_id=employer.employer_id,
                    title=f"Tenaga {vacancy.skill.replace('_', ' ')}",
                    skill=vacancy.skill,
                    positions=vacancy.positions,
                    opens_on=opens_on,
                    closes_on=vacancy.closes_on,
                    candidates=rng.randint(0, 6),
                ),
            )
            employer.vacancies.append(vacancy)
        return employer

    def close_vacancies(self, employers: Iterable[_Employer]) -> None:
        """Close now and then a vacancy not filled, after its last placement."""
        for employer in employers:
            for vacancy in employer.vacancies:
                closed_on = (vacancy.placed_until or vacancy.opens_on) + self.days(1, 20)
                if (
                    vacancy.placed < vacancy.positions
                    and closed_on <= min(vacancy.closes_on, self.last_day)
                    and self.rng.random() < 0.35
                ):
                    self.add(
                        employer.office,
                        closed_on,
                        VacancyClosed(
                            vacancy_id=vacancy.vacancy_id,
                            closed_on=closed_on,
                            reason="Pemberi kerja menunda perekrutan",
                        ),
                    )

    def find_work(self, klien: _Klien, employers: list[_Employer]) -> None:
        """Some klien are placed, one placement at a time, a second after the first ends."""
        rng = self.rng
        if klien.no_work or rng.random() >= 0.45:
            return
        limit = min(self.last_day, (klien.ended_on or self.last_day) - timedelta(days=1))
        start = klien.released_on + self.days(0, 220)
        if klien.completions and rng.random() < 0.5:
            start = max(start, klien.completions[0][0] + self.days(0, 45))
        for _ in range(2):
            if start > limit:
                return
            ended_on = self.place(klien, start, limit, employers)
            if ended_on is None:
                return
            start = ended_on + self.days(5, 60)

    def place(
        self, klien: _Klien, started_on: date, limit: date, employers: list[_Employer]
    ) -> date | None:
        """Place the klien from ``started_on`` and follow the placement up to ``limit``;
        the day it ended, if it did."""
        rng = self.rng
        office = klien.office
        hiring = [e for e in employers if e.office == office and e.registered_on <= started_on]
        if not hiring:
            return None
        openings = [(e, v) for e in hiring for v in e.vacancies if v.takes(started_on)]
        vacancy: _Vacancy | None = None
        if openings and rng.random() < 0.7:
            employer, vacancy = rng.choice(openings)
            vacancy.placed += 1
            vacancy.placed_until = max(vacancy.placed_until or started_on, started_on)
        else:
            employer = rng.choice(hiring)
        placement_id = self.uuid()
        skill = None if vacancy is None else vacancy.skill
        self.add(
            office,
            started_on,
            ClientPlaced(
                placement_id=placement_id,
                client_id=klien.client_id,
                employer_id=employer.employer_id,
                vacancy_id=None if vacancy is None else vacancy.vacancy_id,
                started_on=started_on,
                kind=rng.choice(list(PlacementKind)),
                skill=skill,
            ),
        )
        if rng.random() < 0.25:  # the same job, recorded as an employment too
            self.add(
                office,
                started_on,
                ClientEmployed(
                    client_id=klien.client_id,
                    employment_kind=EmploymentKind.EMPLOYED,
                    employer_name=employer.name,
                    started_on=started_on,
                    skill=skill,
                ),
            )

        def end(ended_on: date) -> date:
            self.add(
                office,
                ended_on,
                PlacementEnded(
                    placement_id=placement_id,
                    client_id=klien.client_id,
                    employer_id=employer.employer_id,
                    ended_on=ended_on,
                    reason=next(self._end_reasons),
                ),
            )
            return ended_on

        last = started_on
        for milestone, day in (
            (RetentionMilestone.SIX_WEEKS, 42),
            (RetentionMilestone.SIX_MONTHS, 183),
        ):
            due = started_on + timedelta(days=day)
            if rng.random() < 0.12:  # it ends before the check
                ended_on = last + self.days(1, (due - last).days - 1)
                return end(ended_on) if ended_on <= limit else None
            checked_on = due + self.days(0, 25)
            if checked_on > limit:
                return None
            still_employed = rng.random() < 0.75
            self.add(
                office,
                checked_on,
                PlacementChecked(
                    placement_id=placement_id,
                    client_id=klien.client_id,
                    employer_id=employer.employer_id,
                    checked_on=checked_on,
                    milestone=milestone,
                    still_employed=still_employed,
                ),
            )
            if not still_employed:
                return end(checked_on)
            last = checked_on
        ended_on = last + self.days(1, 150)
        return end(ended_on) if ended_on <= limit and rng.random() < 0.4 else None

    # Dating and numbering.

    def envelopes(self) -> list[Event]:
        """The events as published: in order of recording (late ones just before the
        last), numbered per aggregate, ``recorded_at`` increasing."""
        ordered = sorted(
            (item for item in self.pending if not item.late), key=lambda item: item.occurred_at
        )
        late = [item for item in self.pending if item.late]
        ordered[-1:-1] = late
        versions: dict[UUID, int] = defaultdict(int)
        envelopes: list[Event] = []
        recorded_at: datetime | None = None
        for item in ordered:
            candidate = item.occurred_at + timedelta(seconds=self.rng.randint(2, 90))
            if recorded_at is not None:
                candidate = max(candidate, recorded_at + timedelta(seconds=1))
            recorded_at = candidate
            versions[item.payload.aggregate_id] += 1
            envelopes.append(
                new_envelope(
                    item.payload,
                    bapas_code=item.office,
                    aggregate_version=versions[item.payload.aggregate_id],
                    correlation_id=item.correlation_id,
                    causation_id=item.causation_id,
                    actor=item.actor,
                    occurred_at=item.occurred_at,
                    recorded_at=recorded_at,
                    event_id=item.event_id,
                )
            )
        assert recorded_at is not None
        assert recorded_at < self.now
        return envelopes


def _history(history: _History, *, supervision: bool) -> None:
    """The offices, their Pokmas, MoUs and programmes, and the klien who train there
    (and, with ``supervision``, report and move)."""
    h = history
    programmes: list[_Programme] = []

    # Balikpapan (kalimantan-timur, WITA): the reference office.
    office = "balikpapan"
    km_a = h.pokmas(
        office, "Pokmas Karya Mandiri", ("ac_repair", "car_upholstery"), date(2025, 1, 14)
    )
    km_b = h.pokmas(
        office,
        "Pokmas Karya Mandiri",
        ("wallpaper_installation", "interior_design"),
        date(2025, 2, 3),
    )
    lamaru = h.pokmas(office, "Pokmas Lamaru Berkarya", ("car_upholstery",), date(2025, 2, 17))
    teluk = h.pokmas(
        office, "Pokmas Teluk Sejahtera", ("welding", "interior_design"), date(2025, 1, 8)
    )
    # Registered at 01:30 WITA on 1 April 2026, still 31 March in UTC.
    manggar = h.pokmas(
        office,
        "Pokmas Manggar Kreatif",
        ("sewing",),
        date(2026, 4, 1),
        occurred_at=datetime(2026, 3, 31, 17, 30, tzinfo=UTC),
    )
    mou = h.mou(office, km_a, date(2025, 1, 20), date(2026, 1, 19), ("ac_repair", "car_upholstery"))
    programmes += [
        h.programme(office, mou, "ac_repair", date(2025, 3, 3), 10, closed=True),
        h.programme(office, mou, "car_upholstery", date(2025, 9, 1), 11, closed=True),
    ]
    mou = h.renew(office, mou, date(2026, 1, 10), h.office_today(office) + timedelta(days=400))
    programmes.append(h.programme(office, mou, "ac_repair", date(2026, 5, 4), 12, late=True))
    mou = h.mou(
        office,
        km_b,
        date(2025, 2, 10),
        h.office_today(office) + timedelta(days=200),
        ("wallpaper_installation", "interior_design"),
    )
    programmes += [
        h.programme(office, mou, "wallpaper_installation", date(2025, 4, 7), 8, closed=True),
        h.programme(office, mou, "interior_design", date(2026, 2, 2), 14),
    ]
    mou = h.mou(office, lamaru, date(2025, 3, 3), date(2027, 2, 28), ("car_upholstery",))
    early = h.programme(office, mou, "car_upholstery", date(2025, 6, 2), 10, closed=True)
    mou = h.terminate(office, mou, date(2026, 7, 15))
    programmes += [early, h.programme(office, mou, "car_upholstery", date(2026, 6, 1), 14)]
    mou = h.mou(office, teluk, date(2025, 1, 27), date(2025, 12, 31), ("welding",))
    programmes.append(h.programme(office, mou, "welding", date(2025, 5, 5), 11, closed=True))
    h.expire(office, mou, date(2026, 1, 1))
    mou = h.mou(
        office,
        teluk,
        date(2026, 1, 12),
        h.office_today(office) + timedelta(days=300),
        ("welding", "interior_design"),
    )
    programmes += [
        h.programme(office, mou, "welding", date(2026, 3, 2), 11),
        h.programme(office, mou, "interior_design", date(2026, 9, 7), 17, late=True),
    ]
    mou = h.mou(office, manggar, date(2026, 4, 6), date(2027, 4, 5), ("sewing",))
    programmes.append(h.programme(office, mou, "sewing", date(2026, 5, 11), 9))
    manggar_mou = mou

    # Samarinda (kalimantan-timur, WITA): an MoU expires mid-training and is renewed.
    office = "samarinda"
    mahakam = h.pokmas(office, "Pokmas Mahakam Maju", ("barbering", "culinary"), date(2025, 3, 24))
    tepian = h.pokmas(office, "Pokmas Tepian Berdaya", ("motorcycle_repair",), date(2025, 5, 26))
    mou = h.mou(office, mahakam, date(2025, 4, 1), date(2026, 4, 30), ("barbering", "culinary"))
    programmes.append(h.programme(office, mou, "barbering", date(2025, 5, 12), 9, closed=True))
    expired = h.expire(office, mou, date(2026, 5, 1))
    renewed = h.renew(
        office, expired, date(2026, 5, 20), h.office_today(office) + timedelta(days=150)
    )
    # Opened under the MoU's first validity, it ends the day the MoU does: most of its
    # trainees are assessed after the MoU expired, so they wait for its renewal.
    culinary = h.programme(office, mou, "culinary", date(2026, 2, 5), 12)
    programmes.append(replace(culinary, mou=renewed))
    mou = h.mou(
        office,
        tepian,
        date(2025, 6, 2),
        h.office_today(office) + timedelta(days=45),
        ("motorcycle_repair",),
    )
    programmes += [
        h.programme(office, mou, "motorcycle_repair", date(2025, 8, 4), 13, closed=True),
        h.programme(office, mou, "motorcycle_repair", date(2026, 8, 3), 13),
    ]

    # Makassar (sulawesi-selatan, WITA): an MoU expiring within 30 days, one expired.
    office = "makassar"
    losari = h.pokmas(
        office, "Pokmas Losari Bangkit", ("culinary", "agriculture"), date(2025, 1, 27)
    )
    sombaopu = h.pokmas(office, "Pokmas Sombaopu Kreatif", ("sewing", "other"), date(2025, 2, 24))
    mou = h.mou(
        office,
        losari,
        date(2025, 2, 3),
        h.office_today(office) + timedelta(days=12),
        ("culinary", "agriculture"),
    )
    programmes += [
        h.programme(office, mou, "culinary", date(2025, 4, 14), 9, closed=True),
        h.programme(office, mou, "agriculture", date(2026, 1, 12), 16, late=True),
    ]
    mou = h.mou(office, sombaopu, date(2025, 3, 3), date(2026, 6, 30), ("sewing", "other"))
    programmes += [
        h.programme(office, mou, "sewing", date(2025, 5, 5), 10, closed=True),
        h.programme(office, mou, "other", date(2026, 2, 2), 12, closed=True),
    ]
    h.expire(office, mou, date(2026, 7, 1))

    # Surabaya (jawa-timur, WIB): MoUs ending in exactly 30 and in 31 days.
    office = "surabaya"
    suroboyo = h.pokmas(
        office, "Pokmas Suroboyo Trampil", ("welding", "ac_repair"), date(2025, 6, 2)
    )
    kenjeran = h.pokmas(
        office, "Pokmas Kenjeran Mulia", ("barbering", "culinary"), date(2025, 8, 18)
    )
    mou = h.mou(
        office,
        suroboyo,
        date(2025, 6, 9),
        h.office_today(office) + timedelta(days=30),
        ("welding", "ac_repair"),
    )
    programmes += [
        h.programme(office, mou, "welding", date(2025, 7, 7), 11, closed=True),
        h.programme(office, mou, "ac_repair", date(2026, 4, 6), 13),
    ]
    mou = h.mou(
        office,
        kenjeran,
        date(2025, 8, 25),
        h.office_today(office) + timedelta(days=31),
        ("barbering", "culinary"),
    )
    programmes += [
        h.programme(office, mou, "barbering", date(2025, 10, 6), 9),
        h.programme(office, mou, "culinary", date(2026, 7, 6), 10),
    ]

    # Jayapura (papua, WIT): an MoU lapsed yesterday not yet expired, one ending today.
    office = "jayapura"
    cenderawasih = h.pokmas(office, "Pokmas Cenderawasih", ("agriculture",), date(2025, 4, 28))
    mou = h.mou(
        office,
        cenderawasih,
        date(2025, 5, 5),
        h.office_today(office) - timedelta(days=1),
        ("agriculture",),
    )
    programmes.append(h.programme(office, mou, "agriculture", date(2025, 7, 1), 13, closed=True))
    mou = h.mou(office, cenderawasih, date(2026, 9, 1), h.office_today(office), ("agriculture",))
    programmes.append(h.programme(office, mou, "agriculture", date(2026, 9, 14), 8))

    for changed, where in ((km_a, "balikpapan"), (losari, "makassar")):
        h.add(
            where,
            date(2025, 10, 6),
            PokmasContactChanged(pokmas_id=changed, contact=h.contact()),
        )

    # The klien: cohorts for every programme, office by office in order of dates.
    pools: dict[str, list[_Klien]] = defaultdict(list)
    for programme in sorted(programmes, key=lambda p: (p.office, p.starts_on)):
        cohort = h.cohort(programme, pools[programme.office])
        h.train(programme, cohort)
        pools[programme.office] += [
            k for k in cohort if k.completions and not k.withdrawals and not k.still_training
        ]
        if programme.closed_on is not None:
            h.close(programme)
    for office in ("balikpapan", "samarinda", "makassar", "surabaya", "jayapura"):
        for _ in range(h.rng.randint(3, 6)):
            h.release(office, HISTORY_STARTS + h.days(3, (h.last_day - HISTORY_STARTS).days - 2))
    for klien in list(h.klien):
        h.follow_up(klien)

    # Employers at every office, and the klien they take on.
    employers = [
        h.employer(office, HISTORY_STARTS + h.days(20, 330), tuple(h.rng.sample(SKILLS, 2)))
        for office in ("balikpapan", "samarinda", "makassar", "surabaya", "jayapura")
        for _ in range(h.rng.randint(2, 3))
    ]
    for klien in h.klien:
        h.find_work(klien, employers)
    h.close_vacancies(employers)

    if supervision:  # Wajib lapor of every klien, then three klien who move.
        for klien in list(h.klien):
            h.wajib_lapor(klien, h.habits())
        _moves(h, manggar_mou)

    # An event of an office the reference data does not know.
    h.add(
        UNKNOWN_OFFICE,
        date(2026, 2, 10),
        ClientReleased(
            client_id=h.uuid(),
            register_number="ATL/1/2026",
            integration_type=IntegrationType.PB,
            released_on=date(2026, 2, 10),
            supervision_ends_on=date(2027, 2, 10),
            pk_officer=PkOfficer(id="1", name="Nemo"),
        ),
        occurred_at=datetime(2026, 2, 10, 3, 0, tzinfo=UTC),
    )
    # The newest event of all: a klien released yesterday, late in the evening.
    h.add(
        "balikpapan",
        h.last_day,
        ClientReleased(
            client_id=h.uuid(),
            register_number=f"BAL/9999/{h.last_day.year}",
            integration_type=IntegrationType.CB,
            released_on=h.last_day,
            supervision_ends_on=h.last_day + timedelta(days=365),
            pk_officer=PkOfficer(id="198501012010011001", name="Andi Wijaya"),
        ),
        occurred_at=datetime.combine(
            h.last_day, time(23, 0), tzinfo=bapas_office("balikpapan").zone
        ).astimezone(UTC),
    )


def _moves(h: _History, balikpapan_mou: _MoU) -> None:
    """Klien who move to another office, their reporting scripted around the move."""
    reported, late, excused = ReportStatus.REPORTED, ReportStatus.LATE, ReportStatus.EXCUSED
    # Within the province, the offices' events in one partition: three misses at
    # Balikpapan recommend a revocation; the klien moves to Samarinda, reports once,
    # and three misses there recommend another.
    klien = h.release("balikpapan", date(2026, 1, 12))
    h.transfer(klien, "samarinda", date(2026, 6, 22))
    h.wajib_lapor(
        klien, [reported, reported, MISSED, MISSED, MISSED, MISSED, reported, *[MISSED] * 3]
    )

    # Across provinces, and partitions: reporting every 14 days, the klien leaves a
    # training for Makassar, where three misses recommend a revocation that a late
    # report withdraws.
    klien = h.release("balikpapan", date(2026, 6, 1))
    programme = h.programme("balikpapan", balikpapan_mou, "sewing", date(2026, 8, 3), 14)
    enrolment_id = h.uuid()
    h.add(
        "balikpapan",
        date(2026, 8, 5),
        ClientEnrolled(
            enrolment_id=enrolment_id,
            client_id=klien.client_id,
            programme_id=programme.programme_id,
            pokmas_id=programme.pokmas_id,
            enrolled_on=date(2026, 8, 5),
        ),
    )
    h.transfer(
        klien,
        "makassar",
        date(2026, 9, 14),
        open_enrolments=[(enrolment_id, programme.programme_id)],
    )
    h.wajib_lapor(klien, [*[reported] * 7, MISSED, MISSED, late, reported, excused], every_days=14)

    # From Samarinda to Balikpapan: work and a re-offence at the new office, which
    # count there, while the release cohort's counts stay Samarinda's; three misses
    # recommend a revocation, and the supervision is revoked.
    klien = h.release("samarinda", date(2026, 1, 12))
    h.transfer(klien, "balikpapan", date(2026, 2, 16))
    h.employ(klien, date(2026, 3, 20), "sewing")
    h.add(
        "balikpapan",
        date(2026, 5, 20),
        ClientReoffended(client_id=klien.client_id, recorded_on=date(2026, 5, 20)),
    )
    ended_on = date(2026, 5, 25)
    h.add(
        "balikpapan",
        ended_on,
        SupervisionEnded(
            client_id=klien.client_id, ended_on=ended_on, outcome=SupervisionOutcome.REVOKED
        ),
    )
    klien.ended_on = ended_on
    h.wajib_lapor(klien, [reported, MISSED, MISSED, MISSED])


def build_scenario(
    seed: int = SEED, now: datetime | None = None, *, supervision: bool = True
) -> list[Event]:
    """The event history, in the order it is published.

    Everything happens on or before yesterday (UTC) of ``now``; the MoUs whose end is
    "soon" are dated from today at their office. One envelope appears twice in a row
    (the same event delivered twice). Without ``supervision``, the history has no wajib
    lapor and no klien moves: less than half the events.
    """
    history = _History(random.Random(seed), now or datetime.now(UTC))
    _history(history, supervision=supervision)
    envelopes = history.envelopes()
    twice = next(e for e in envelopes if isinstance(e.payload, TrainingCompleted))
    at = envelopes.index(twice)
    envelopes.insert(at + 1, twice)
    return envelopes


def missing_coverage(events: Iterable[Event]) -> list[str]:
    """What the history should hold but does not: kept honest by the test, so that a
    change of the generator cannot quietly drop a case."""
    events = list(events)
    payloads = [event.payload for event in events]
    found: set[str] = set()
    offices = {event.bapas_code for event in events}
    if {"balikpapan", "samarinda"} <= offices and len(offices) >= 5:
        found.add("offices")
    types = {event.event_type for event in events}
    found |= types
    reasons = {p.reason_code.value for p in payloads if isinstance(p, TrainingWithdrawn)}
    found |= {f"withdrawn:{reason}" for reason in reasons}
    assessments = {p.assessment.value for p in payloads if isinstance(p, TrainingCompleted)}
    found |= {f"assessment:{a}" for a in assessments}
    outcomes = {p.outcome.value for p in payloads if isinstance(p, SupervisionEnded)}
    found |= {f"ended:{outcome}" for outcome in outcomes}
    employments: dict[UUID, list[ClientEmployed | ClientPlaced]] = defaultdict(list)
    for payload in payloads:
        if isinstance(payload, ClientEmployed):
            employments[payload.client_id].append(payload)
            found.add("employed:with skill" if payload.skill else "employed:without skill")
        elif isinstance(payload, ClientPlaced):
            employments[payload.client_id].append(payload)
            found.add("placed:from a vacancy" if payload.vacancy_id else "placed:no vacancy")
        elif isinstance(payload, PlacementChecked):
            kept = "kept" if payload.still_employed else "lost"
            found.add(f"checked:{payload.milestone.value}:{kept}")
        elif isinstance(payload, PlacementEnded):
            found.add(f"placement ended:{payload.reason.value}")
    for jobs in employments.values():
        placed = [job for job in jobs if isinstance(job, ClientPlaced)]
        if len(placed) > 1:
            found.add("placed:twice")
        if placed:
            employed_on = {job.started_on for job in jobs if isinstance(job, ClientEmployed)}
            found.add(
                "placed:same job also employed"
                if any(job.started_on in employed_on for job in placed)
                else "placed:only as a placement"
            )
    for payload in payloads:
        if isinstance(payload, TrainingWithdrawn) and payload.reason_code.value == "employed":
            found.add(
                "withdrawn for work:employed"
                if payload.client_id in employments
                else "withdrawn for work:unrecorded"
            )
        if isinstance(payload, TrainingCompleted):
            for job in employments.get(payload.client_id, []):
                found.add(
                    "employed:after completion"
                    if job.started_on >= payload.completed_on
                    else "employed:before completion"
                )
                if isinstance(job, ClientPlaced) and job.started_on >= payload.completed_on:
                    found.add("placed:after completion")
        if isinstance(payload, ClientReleased) and payload.client_id in employments:
            first = min(job.started_on for job in employments[payload.client_id])
            found.add(
                "employed:within 183 days"
                if first <= payload.released_on + timedelta(days=183)
                else "employed:beyond 183 days"
            )
    seen: set[tuple[UUID, int]] = set()
    opened: set[UUID] = set()
    for event in events:
        identity = (event.aggregate_id, event.aggregate_version)
        if identity in seen:
            found.add("duplicate")
        seen.add(identity)
        if isinstance(event.payload, ProgrammeOpened):
            opened.add(event.payload.programme_id)
        if isinstance(event.payload, ClientEnrolled) and event.payload.programme_id not in opened:
            found.add("enrolled before its programme was recorded")
        if event.bapas_code == UNKNOWN_OFFICE:
            found.add("unknown office")
    recorded = [event.recorded_at for event in events]
    if recorded == sorted(recorded):
        found.add("recorded in order")
    found |= _supervision_coverage(events)
    wanted = {
        "offices",
        "duplicate",
        "unknown office",
        "recorded in order",
        "enrolled before its programme was recorded",
        *(f"withdrawn:{reason.value}" for reason in WithdrawalReason),
        *(f"assessment:{assessment.value}" for assessment in Assessment),
        *(f"ended:{outcome.value}" for outcome in SupervisionOutcome),
        "withdrawn for work:employed",
        "withdrawn for work:unrecorded",
        "employed:after completion",
        "employed:before completion",
        "employed:within 183 days",
        "employed:beyond 183 days",
        "employed:with skill",
        "employed:without skill",
        "placed:from a vacancy",
        "placed:no vacancy",
        "placed:twice",
        "placed:same job also employed",
        "placed:only as a placement",
        "placed:after completion",
        *(
            f"checked:{milestone.value}:{kept}"
            for milestone in RetentionMilestone
            for kept in ("kept", "lost")
        ),
        *(f"placement ended:{reason.value}" for reason in PlacementEndReason),
        "EmployerRegistered",
        "EmployerPledged",
        "VacancyPosted",
        "VacancyClosed",
        "MoURenewed",
        "MoUTerminated",
        "MoUExpired",
        "ProgrammeClosed",
        "EnrolmentSuspended",
        "EnrolmentResumed",
        "ClientReoffended",
        "PokmasRegistered",
        "ReportingScheduled",
        *(f"report:{status.value}" for status in ReportStatus),
        "report:late after its miss",
        "revocation:recommended twice to one klien",
        "revocation:pending now",
        "revocation:withdrawn by a report",
        "revocation:then supervision ended",
        "moved:within a province",
        "moved:across provinces",
        "moved:across partitions",
        "moved:an open enrolment withdrawn",
        "moved:supervision ended at the new office",
    }
    return sorted(wanted - found)


def _supervision_coverage(events: Iterable[Event]) -> set[str]:
    """The cases of wajib lapor, revocation and moves the history holds."""
    found: set[str] = set()
    missed: set[tuple[UUID, date]] = set()
    recommended: dict[UUID, int] = defaultdict(int)
    pending: dict[UUID, bool] = defaultdict(bool)
    released_at: dict[UUID, str] = {}
    partition = DefaultPartitioner()
    partitions = list(range(12))
    events = list(events)
    moves = {
        (event.payload.client_id, event.payload.transferred_on)
        for event in events
        if isinstance(event.payload, ClientTransferredOut)
    }
    for event in events:
        payload = event.payload
        if isinstance(payload, ReportMissed):
            missed.add((payload.client_id, payload.due_on))
        elif isinstance(payload, ReportRecorded):
            found.add(f"report:{payload.status.value}")
            if (payload.client_id, payload.due_on) in missed:
                found.add(f"report:{payload.status.value} after its miss")
            if pending[payload.client_id]:
                found.add("revocation:withdrawn by a report")
            pending[payload.client_id] = False
        elif isinstance(payload, RevocationRecommended):
            recommended[payload.client_id] += 1
            if recommended[payload.client_id] > 1:
                found.add("revocation:recommended twice to one klien")
            pending[payload.client_id] = True
        elif isinstance(payload, SupervisionEnded):
            if pending[payload.client_id]:
                found.add("revocation:then supervision ended")
            pending[payload.client_id] = False
            if event.bapas_code != released_at.get(payload.client_id):
                found.add("moved:supervision ended at the new office")
        elif isinstance(payload, ClientReleased):
            released_at[payload.client_id] = event.bapas_code
        elif isinstance(payload, ClientTransferredOut):
            old, new = bapas_office(event.bapas_code), bapas_office(payload.to_bapas_code)
            found.add(
                "moved:within a province"
                if old.province == new.province
                else "moved:across provinces"
            )
            keys = [office.code.encode() for office in (old, new)]
            if len({partition(key, partitions, partitions) for key in keys}) == 2:
                found.add("moved:across partitions")
        elif (
            isinstance(payload, TrainingWithdrawn)
            and payload.reason_code is WithdrawalReason.MOVED
            and (payload.client_id, payload.withdrawn_on) in moves
        ):
            found.add("moved:an open enrolment withdrawn")
    if any(pending.values()):
        found.add("revocation:pending now")
    return found
