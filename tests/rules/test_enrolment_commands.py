"""The enrolment service's commands on an event store in memory, with the records
they decide on kept beside it: rule 2's seats and dates across enrolments, one NIK per
Bapas, who may give each command, the Bapas's own date, and what a refused command
leaves behind; through the same application service and unit of work as the
service's, without Kafka, PostgreSQL or HTTP. The tests against the running service
keep the SQL and the wiring."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import pytest

from services.enrolment.application import EnrolmentApplication
from services.enrolment.commands import (
    CompleteTraining,
    EnrolClient,
    RecordAttendance,
    ReleaseClient,
    WithdrawFromTraining,
)
from services.enrolment.domain import (
    Enrolment,
    EnrolmentStatus,
    MoU,
    MoUStatus,
    NikAlreadyRegistered,
    Programme,
    ProgrammeStatus,
)
from services.enrolment.profiles import ClientProfile
from shared.events.enrolment import (
    Assessment,
    AttendanceStatus,
    IntegrationType,
    PkOfficer,
    WithdrawalReason,
)
from shared.events.envelope import Actor
from shared.eventstore.memory import InMemoryEventStore
from shared.eventstore.refusals import InvalidValue, NotPermitted, NotVisible, RuleViolated
from shared.eventstore.store import CommandContext
from shared.scope import Principal, Role
from tests.rules.enrolment_records import RecordsInMemory

BALIKPAPAN = "balikpapan"  # WITA, UTC+8
NOW = datetime(2025, 3, 3, 3, 0, tzinfo=UTC)
STARTS_ON, ENDS_ON = date(2025, 3, 3), date(2025, 4, 25)


def officer(bapas: str = BALIKPAPAN) -> Principal:
    return Principal(role=Role.BAPAS_OFFICER, sub=f"pk.{bapas}", bapas=bapas)


def partner(pokmas_id: UUID, bapas: str = BALIKPAPAN) -> Principal:
    return Principal(role=Role.POKMAS_PARTNER, sub="partner", bapas=bapas, pokmas_id=pokmas_id)


@dataclass
class Office:
    """One Bapas's enrolment service in memory, with programmes the pokmas events told."""

    store: InMemoryEventStore
    records: RecordsInMemory

    @classmethod
    def new(cls) -> Office:
        store = InMemoryEventStore()
        return cls(store, RecordsInMemory(store))

    def as_(self, caller: Principal, now: datetime = NOW) -> EnrolmentApplication:
        context = CommandContext(
            actor=Actor(role=caller.role.value, sub=caller.sub), occurred_at=now
        )
        return EnrolmentApplication(
            store=self.store, records=self.records.of, caller=caller, context=context
        )

    def programme(
        self,
        *,
        capacity: int = 10,
        starts_on: date = STARTS_ON,
        ends_on: date = ENDS_ON,
        valid_until: date = date(2025, 12, 31),
    ) -> Programme:
        mou = MoU(
            mou_id=uuid4(),
            status=MoUStatus.ACTIVE,
            valid_from=date(2025, 1, 1),
            valid_until=valid_until,
        )
        programme = Programme(
            programme_id=uuid4(),
            bapas_code=BALIKPAPAN,
            pokmas_id=uuid4(),
            mou_id=mou.mou_id,
            status=ProgrammeStatus.OPEN,
            capacity=capacity,
            starts_on=starts_on,
            ends_on=ends_on,
            sessions_planned=4,
        )
        self.records.mous[mou.mou_id] = mou
        self.records.programmes[programme.programme_id] = programme
        return programme

    async def release(self, nik: str | None = None, *, bapas: str = BALIKPAPAN) -> UUID:
        events = await self.as_(officer(bapas)).release_client(release_command(nik, bapas=bapas))
        return events[-1].aggregate_id

    async def enrol(self, client_id: UUID, programme: Programme, *, now: datetime = NOW) -> UUID:
        events = await self.as_(officer(), now).enrol(
            client_id, EnrolClient(programme_id=programme.programme_id, enrolled_on=STARTS_ON)
        )
        return events[-1].aggregate_id

    async def withdraw(self, enrolment_id: UUID) -> None:
        await self.as_(officer()).withdraw(
            enrolment_id,
            WithdrawFromTraining(withdrawn_on=STARTS_ON, reason_code=WithdrawalReason.EMPLOYED),
        )

    def event_types(self) -> list[str]:
        return [envelope.event_type for envelope in self.store.published]


RELEASED = ["ClientReleased", "ReportingScheduled"]
"""What a release records: the klien, and the default wajib lapor."""


def release_command(nik: str | None = None, *, bapas: str = BALIKPAPAN) -> ReleaseClient:
    return ReleaseClient(
        bapas_code=bapas,
        register_number="PB-017/2025",
        integration_type=IntegrationType.PB,
        released_on=date(2025, 1, 6),
        supervision_ends_on=date(2026, 1, 5),
        pk_officer=PkOfficer(id="198701012010011001", name="Rina Wulandari"),
        profile=ClientProfile(
            full_name="Andi Saputra", nik=nik or f"6471{uuid4().int % 10**12:012d}"
        ),
    )


# -- klien -------------------------------------------------------------------------


async def test_a_released_klien_s_event_names_them_by_id_and_carries_no_profile() -> None:
    office = Office.new()

    await office.release("6471012301900001")

    released, scheduled = office.store.published
    assert released.event_type == "ClientReleased"
    assert scheduled.event_type == "ReportingScheduled"  # the default wajib lapor
    for event in (released, scheduled):
        assert "6471012301900001" not in event.model_dump_json()
        assert "Andi Saputra" not in event.model_dump_json()


async def test_a_nik_is_registered_once_per_bapas_and_the_refusal_stores_nothing() -> None:
    office = Office.new()
    await office.release("6471012301900001")

    with pytest.raises(NikAlreadyRegistered, match="already registered at this Bapas"):
        await office.release("6471012301900001")

    assert office.event_types() == RELEASED
    await office.release("6471012301900001", bapas="samarinda")  # another Bapas's klien
    assert office.event_types() == RELEASED + RELEASED


async def test_an_officer_of_another_bapas_may_not_release_a_klien_here() -> None:
    office = Office.new()

    with pytest.raises(NotPermitted):
        await office.as_(officer("samarinda")).release_client(release_command())

    assert office.store.published == []
    assert office.records.registered_niks == {}


async def test_an_erased_profile_is_erased_once() -> None:
    office = Office.new()
    client_id = await office.release()

    await office.as_(officer()).erase_profile(client_id)

    with pytest.raises(RuleViolated, match="already erased"):
        await office.as_(officer()).erase_profile(client_id)
    assert office.event_types() == [*RELEASED, "ClientProfileErased"]
    assert office.records.registered_niks == {}


async def test_a_command_on_a_klien_no_one_released_is_not_found() -> None:
    office = Office.new()

    with pytest.raises(NotVisible, match="no klien with this id"):
        await office.enrol(uuid4(), office.programme())


# -- rule 2: seats, across enrolments ----------------------------------------------


async def test_a_full_programme_refuses_a_klien_until_a_withdrawal_frees_a_seat() -> None:
    office = Office.new()
    programme = office.programme(capacity=2)
    first = await office.enrol(await office.release(), programme)
    await office.enrol(await office.release(), programme)
    waiting = await office.release()

    with pytest.raises(RuleViolated, match="is full \\(2 of 2 seats taken\\)"):
        await office.enrol(waiting, programme)

    await office.withdraw(first)
    await office.enrol(waiting, programme)
    assert await office.records.seats_taken(programme.programme_id) == 2


async def test_completed_and_suspended_enrolments_keep_their_seats() -> None:
    office = Office.new()
    programme = office.programme(capacity=2)
    completed = await office.enrol(await office.release(), programme)
    suspended = await office.enrol(await office.release(), programme)
    for session_no in range(1, 5):
        await office.as_(partner(programme.pokmas_id)).record_attendance(
            completed,
            RecordAttendance(
                session_no=session_no, session_date=STARTS_ON, status=AttendanceStatus.PRESENT
            ),
        )
    await office.as_(officer()).complete_training(
        completed, CompleteTraining(completed_on=ENDS_ON, assessment=Assessment.COMPETENT)
    )
    enrolment = await office.store.load(Enrolment, suspended)
    enrolment.suspend(mou_id=programme.mou_id, reason="the MoU was terminated")
    await office.store.save(enrolment, CommandContext(actor=Actor(role="service", sub="test")))

    with pytest.raises(RuleViolated, match="is full"):
        await office.enrol(await office.release(), programme)

    statuses = [(await office.store.load(Enrolment, e)).status for e in (completed, suspended)]
    assert statuses == [EnrolmentStatus.COMPLETED, EnrolmentStatus.SUSPENDED]


async def test_a_klien_is_not_enrolled_twice_in_one_programme() -> None:
    office = Office.new()
    programme = office.programme()
    client_id = await office.release()
    await office.enrol(client_id, programme)

    with pytest.raises(RuleViolated, match="already enrolled in programme"):
        await office.enrol(client_id, programme)


async def test_overlapping_programmes_refuse_a_klien_until_the_first_seat_is_withdrawn() -> None:
    office = Office.new()
    client_id = await office.release()
    first = await office.enrol(client_id, office.programme())
    overlapping = office.programme(starts_on=STARTS_ON, ends_on=date(2025, 5, 30))

    with pytest.raises(RuleViolated, match="overlap"):
        await office.enrol(client_id, overlapping)

    await office.withdraw(first)
    await office.enrol(client_id, overlapping)
    assert office.event_types()[-1] == "ClientEnrolled"


async def test_an_unknown_programme_is_an_invalid_programme_id() -> None:
    office = Office.new()
    client_id = await office.release()

    with pytest.raises(InvalidValue) as refusal:
        await office.as_(officer()).enrol(
            client_id, EnrolClient(programme_id=uuid4(), enrolled_on=STARTS_ON)
        )

    assert refusal.value.field == "programme_id"


# -- rule 5: the Bapas's own date, from the instant of the command -------------------


async def test_an_mou_s_last_day_ends_at_midnight_at_the_bapas_not_in_utc() -> None:
    office = Office.new()
    programme = office.programme(valid_until=STARTS_ON)
    client_id = await office.release()
    # 16:30 UTC on the MoU's last day is 00:30 the next day in Balikpapan (UTC+8).
    after_midnight_at_the_bapas = datetime(2025, 3, 3, 16, 30, tzinfo=UTC)

    with pytest.raises(RuleViolated, match="is not active"):
        await office.enrol(client_id, programme, now=after_midnight_at_the_bapas)

    await office.enrol(client_id, programme, now=datetime(2025, 3, 3, 15, 30, tzinfo=UTC))


# -- who may change an enrolment -------------------------------------------------------


async def test_the_partner_of_the_programme_s_pokmas_records_attendance_another_may_not() -> None:
    office = Office.new()
    programme = office.programme()
    enrolment_id = await office.enrol(await office.release(), programme)
    session = RecordAttendance(session_no=1, session_date=STARTS_ON, status=AttendanceStatus.LATE)

    with pytest.raises(NotPermitted):
        await office.as_(partner(uuid4())).record_attendance(enrolment_id, session)

    await office.as_(partner(programme.pokmas_id)).record_attendance(enrolment_id, session)
    attended = await office.store.load(Enrolment, enrolment_id)
    assert attended.attendance == {1: AttendanceStatus.LATE}
    assert office.store.published[-1].actor.role == "pokmas_partner"


async def test_a_partner_may_not_enrol_a_klien() -> None:
    office = Office.new()
    programme = office.programme()
    client_id = await office.release()

    with pytest.raises(NotPermitted):
        await office.as_(partner(programme.pokmas_id)).enrol(
            client_id, EnrolClient(programme_id=programme.programme_id, enrolled_on=STARTS_ON)
        )

    assert office.event_types() == RELEASED
