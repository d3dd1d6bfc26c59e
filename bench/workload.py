"""The synthetic national workload: Bapas offices, their Pokmas, MoUs and programmes,
klien released and enrolled, attendance and outcomes, as valid events built by the
contract models (``new_envelope`` validates each one).

The sizes are those of the quality bars by default (90 Bapas, 900 Pokmas, 2,000
programmes, 200,000 klien, 2,000,000 events); events beyond the fixed ones become
attendance sessions, so the total is exact. Values are drawn from a seeded generator,
so two runs publish the same workload (ids included).

Every event names an office of the shipped reference data: the insights service
refuses (dead-letters) events of an office it cannot place in a province. The
reference data holds fewer offices (35) than the national size's 90 Bapas, so beyond
them the workload's Bapas share the offices' codes in turn (:attr:`distinct_offices`).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from shared.events.enrolment import (
    Assessment,
    AttendanceRecorded,
    AttendanceStatus,
    ClientEnrolled,
    ClientReleased,
    IntegrationType,
    PkOfficer,
    TrainingCompleted,
    TrainingWithdrawn,
    WithdrawalReason,
)
from shared.events.envelope import Actor, Envelope, EventPayload, new_envelope
from shared.events.pokmas import Contact, MoUSigned, PokmasKind, PokmasRegistered, ProgrammeOpened
from shared.reference import bapas_offices
from shared.reference.skills import skill_codes

OFFICER = Actor(role="bapas_officer", sub="bench")
WITHDRAWN_EVERY = 10
"""One klien in ten withdraws (TrainingWithdrawn); the others complete."""
CONTACT = Contact(name="Kontak", phone="+62 812 0000 0000", email="kontak@pokmas.example")
START = date(2026, 1, 5)
PROGRAMME_CAPACITY = 500


@dataclass(frozen=True)
class WorkloadSize:
    bapas: int = 90
    pokmas: int = 900
    programmes: int = 2_000
    clients: int = 200_000
    events: int = 2_000_000

    @property
    def fixed_events(self) -> int:
        """Registrations, MoUs, programmes, releases, enrolments and one outcome each."""
        return 2 * self.pokmas + self.programmes + 3 * self.clients

    @property
    def withdrawals(self) -> int:
        """Klien who withdraw: those numbered by a multiple of :data:`WITHDRAWN_EVERY`."""
        return (self.clients + WITHDRAWN_EVERY - 1) // WITHDRAWN_EVERY

    @property
    def distinct_offices(self) -> int:
        """Office codes the events name: the reference data's, at most."""
        return min(self.bapas, len(bapas_offices()))

    def __post_init__(self) -> None:
        if self.events < self.fixed_events:
            raise ValueError(f"{self.events} events cannot hold the {self.fixed_events} fixed ones")

    def expected_figures(self) -> dict[str, int]:
        """National totals of the insights API the workload implies, from the sizes alone
        (nested figures as ``withdrawals_by_reason.employed``): every klien is released
        and enrolled, one in ten withdraws for work (no employment is ever recorded), the
        others complete, competent; every Pokmas signs one MoU valid two years; every
        programme stays open with :data:`PROGRAMME_CAPACITY` seats."""
        completions = self.clients - self.withdrawals
        return {
            "klien_released": self.clients,
            "klien_under_supervision": self.clients,
            "enrolments": self.clients,
            "completions": completions,
            "completions_competent": completions,
            "klien_completed": completions,
            "withdrawals": self.withdrawals,
            "withdrawals_by_reason.employed": self.withdrawals,
            "withdrawn_for_work_unrecorded": self.withdrawals,
            "klien_employed": 0,
            "pokmas_registered": self.pokmas,
            "mous_active": self.pokmas,
            "programmes_open": self.programmes,
            "seats_offered": PROGRAMME_CAPACITY * self.programmes,
            "seats_taken": completions,
        }


QUICK = WorkloadSize(bapas=30, pokmas=150, programmes=300, clients=20_000, events=200_000)
"""A tenth of the national size, in the same proportions (ten events per klien)."""
FULL = WorkloadSize()


@dataclass(frozen=True)
class Programme:
    programme_id: uuid.UUID
    pokmas_id: uuid.UUID
    bapas_code: str


class NationalWorkload:
    """Iterates the workload's events in an order a real system could produce them."""

    def __init__(self, size: WorkloadSize, *, seed: int = 2026) -> None:
        self.size = size
        self._random = random.Random(seed)
        self._skills = sorted(skill_codes())
        offices = sorted(office.code for office in bapas_offices())
        self.bapas_codes = [offices[number % len(offices)] for number in range(size.bapas)]

    def _id(self) -> uuid.UUID:
        return uuid.UUID(int=self._random.getrandbits(128), version=4)

    def _event(
        self, payload: EventPayload, bapas_code: str, version: int
    ) -> Envelope[EventPayload]:
        moment = datetime.combine(START, datetime.min.time(), tzinfo=UTC)
        return new_envelope(
            payload,
            bapas_code=bapas_code,
            aggregate_version=version,
            correlation_id=self._id(),
            actor=OFFICER,
            occurred_at=moment,
            recorded_at=moment,
            event_id=self._id(),
        )

    def pokmas_events(self) -> Iterator[Envelope[EventPayload]]:
        """Pokmas registered, their MoUs signed, programmes opened (``pokmas.events.v1``)."""
        mous: list[tuple[uuid.UUID, uuid.UUID, str]] = []
        for number in range(self.size.pokmas):
            bapas_code = self.bapas_codes[number % self.size.bapas]
            pokmas_id, mou_id = self._id(), self._id()
            yield self._event(
                PokmasRegistered(
                    pokmas_id=pokmas_id,
                    name=f"Pokmas {number}",
                    kind=PokmasKind.ORGANISATION,
                    contact=Contact(
                        name="Kontak", phone="+62 812 0000 0000", email="k@pokmas.example"
                    ),
                    address="Jl. Contoh 1",
                    skills=tuple(self._skills[:4]),
                ),
                bapas_code,
                1,
            )
            yield self._event(
                MoUSigned(
                    mou_id=mou_id,
                    pokmas_id=pokmas_id,
                    number=f"PKS-{number}",
                    signed_on=START,
                    valid_from=START,
                    valid_until=START + timedelta(days=730),
                    scope=tuple(self._skills[:4]),
                ),
                bapas_code,
                1,
            )
            mous.append((mou_id, pokmas_id, bapas_code))
        self.programmes: list[Programme] = []
        for number in range(self.size.programmes):
            mou_id, pokmas_id, bapas_code = mous[number % len(mous)]
            programme_id = self._id()
            yield self._event(
                ProgrammeOpened(
                    programme_id=programme_id,
                    pokmas_id=pokmas_id,
                    mou_id=mou_id,
                    skill=self._skills[number % 4],
                    title=f"Pelatihan {number}",
                    capacity=PROGRAMME_CAPACITY,
                    starts_on=START,
                    ends_on=START + timedelta(days=180),
                    sessions_planned=24,
                    location="Balai latihan",
                ),
                bapas_code,
                1,
            )
            self.programmes.append(Programme(programme_id, pokmas_id, bapas_code))

    def expected_seats(self) -> dict[uuid.UUID, int]:
        """The seats each programme ends with (rule 2: enrolments not withdrawn), from the
        sizes alone: klien ``n`` enrols in programme ``n mod programmes`` and withdraws when
        ``n`` is a multiple of :data:`WITHDRAWN_EVERY`. Call after :meth:`pokmas_events`.
        Programmes nobody enrolled in are absent."""
        seats: dict[uuid.UUID, int] = {}
        for number in range(self.size.clients):
            programme_id = self.programmes[number % len(self.programmes)].programme_id
            stays = number % WITHDRAWN_EVERY != 0
            seats[programme_id] = seats.get(programme_id, 0) + int(stays)
        return seats

    def enrolment_events(self) -> Iterator[Envelope[EventPayload]]:
        """Klien released, enrolled, attending, then completing or withdrawing
        (``enrolment.events.v1``). Call after :meth:`pokmas_events`."""
        clients = self.size.clients
        sessions_left = self.size.events - self.size.fixed_events
        officer = PkOfficer(id="PK-0001", name="Petugas PK", email="pk@bapas.example")
        for number in range(clients):
            programme = self.programmes[number % len(self.programmes)]
            bapas_code = programme.bapas_code
            client_id, enrolment_id = self._id(), self._id()
            yield self._event(
                ClientReleased(
                    client_id=client_id,
                    register_number=f"REG-{number}",
                    integration_type=IntegrationType.PB,
                    released_on=START,
                    supervision_ends_on=START + timedelta(days=365),
                    pk_officer=officer,
                ),
                bapas_code,
                1,
            )
            yield self._event(
                ClientEnrolled(
                    enrolment_id=enrolment_id,
                    client_id=client_id,
                    programme_id=programme.programme_id,
                    pokmas_id=programme.pokmas_id,
                    enrolled_on=START,
                ),
                bapas_code,
                1,
            )
            sessions = sessions_left // (clients - number)
            sessions_left -= sessions
            for session in range(1, sessions + 1):
                yield self._event(
                    AttendanceRecorded(
                        enrolment_id=enrolment_id,
                        session_no=session,
                        session_date=START + timedelta(days=session),
                        status=AttendanceStatus.PRESENT,
                    ),
                    bapas_code,
                    1 + session,
                )
            if number % WITHDRAWN_EVERY == 0:
                outcome: EventPayload = TrainingWithdrawn(
                    enrolment_id=enrolment_id,
                    client_id=client_id,
                    programme_id=programme.programme_id,
                    withdrawn_on=START + timedelta(days=60),
                    reason_code=WithdrawalReason.EMPLOYED,
                )
            else:
                outcome = TrainingCompleted(
                    enrolment_id=enrolment_id,
                    client_id=client_id,
                    programme_id=programme.programme_id,
                    completed_on=START + timedelta(days=180),
                    assessment=Assessment.COMPETENT,
                )
            yield self._event(outcome, bapas_code, 2 + sessions)
