"""The employment service's rules, asked of its aggregates alone, then of its commands on
an event store in memory with the records they decide on kept beside it.

An employer pledges once; a vacancy takes placements only while open and until its
positions are filled; a placement needs a klien under supervision at the employer's
Bapas and no other open placement; a retention check is the 6-week one from day 42
after the start, the 6-month one from day 183, each once, and a klien no longer
employed ends the placement. Each rule has its accepted case, its refusals (the kind
and the reason the officer reads) and its edges; every date is the date at the Bapas.
Nothing here needs a broker, a database or HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from services.employment.application import EmploymentApplication
from services.employment.commands import (
    CheckPlacement,
    CloseVacancy,
    EndPlacement,
    PlaceClient,
    PostVacancy,
    RegisterEmployer,
    SignPledge,
)
from services.employment.domain import (
    ClientStatus,
    Employer,
    Klien,
    Placement,
    PlacementStatus,
    Vacancy,
    VacancyStatus,
)
from shared.events.employment import (
    ClientPlaced,
    EmployerRegistered,
    PlacementChecked,
    PlacementEnded,
    PlacementEndReason,
    PlacementKind,
    RetentionMilestone,
)
from shared.events.envelope import Actor
from shared.events.pokmas import Contact
from shared.eventstore.memory import InMemoryEventStore
from shared.eventstore.refusals import InvalidValue, NotPermitted, RuleViolated
from shared.eventstore.store import AggregateNotFound, CommandContext
from shared.scope import Principal, Role
from tests.rules.employment_records import RecordsInMemory

BALIKPAPAN = "balikpapan"  # WITA, UTC+8
DAY = timedelta(days=1)
TODAY = date(2025, 3, 3)
"""Today at the Bapas, unless a test chooses another day."""
NOW = datetime(2025, 3, 3, 3, 0, tzinfo=UTC)
"""11:00 on 3 March 2025 in Balikpapan."""
RELEASED_ON = date(2024, 6, 3)
STARTED_ON = date(2024, 9, 2)
SIX_WEEKS_DUE = STARTED_ON + timedelta(days=42)
SIX_MONTHS_DUE = STARTED_ON + timedelta(days=183)


def register_command(bapas: str = BALIKPAPAN, **changes: object) -> RegisterEmployer:
    values: dict[str, object] = {
        "bapas_code": bapas,
        "name": "CV Sejuk Jaya Teknik",
        "sector": "G",
        "address": "Jl. Soekarno-Hatta Km 5, Balikpapan",
        "contact": Contact(name="Hendra", phone="+62 542 860 112", email="hr@sejuk.example"),
        "skills": ("ac_repair", "welding", "ac_repair"),
    }
    return RegisterEmployer.model_validate(values | changes)


def an_employer(bapas: str = BALIKPAPAN) -> Employer:
    return Employer.register(register_command(bapas))


def post_command(**changes: object) -> PostVacancy:
    values: dict[str, object] = {
        "title": "Teknisi AC",
        "skill": "ac_repair",
        "positions": 2,
        "opens_on": TODAY,
        "closes_on": TODAY + 30 * DAY,
    }
    return PostVacancy.model_validate(values | changes)


def a_vacancy(employer: Employer | None = None, **changes: object) -> Vacancy:
    return Vacancy.post(
        employer or an_employer(), post_command(**changes), today=TODAY, candidates=0
    )


def a_klien(
    bapas: str = BALIKPAPAN,
    status: ClientStatus = ClientStatus.UNDER_SUPERVISION,
    released_on: date = RELEASED_ON,
) -> Klien:
    return Klien(client_id=uuid4(), bapas_code=bapas, status=status, released_on=released_on)


def place_command(
    klien: Klien, employer: Employer, vacancy: Vacancy | None = None, **changes: object
) -> PlaceClient:
    values: dict[str, object] = {
        "client_id": klien.client_id,
        "employer_id": employer.id,
        "vacancy_id": None if vacancy is None else vacancy.id,
        "started_on": STARTED_ON,
        "kind": PlacementKind.EMPLOYED,
    }
    return PlaceClient.model_validate(values | changes)


def a_placement(
    *,
    employer: Employer | None = None,
    klien: Klien | None = None,
    vacancy: Vacancy | None = None,
    placed: int = 0,
    open_placement: UUID | None = None,
    today: date = TODAY,
    **changes: object,
) -> Placement:
    employer = employer or an_employer()
    klien = klien or a_klien()
    return Placement.place(
        place_command(klien, employer, vacancy, **changes),
        employer=employer,
        klien=klien,
        open_placement=open_placement,
        vacancy=vacancy,
        placed=placed,
        today=today,
    )


def check(
    placement: Placement,
    checked_on: date,
    *,
    still_employed: bool = True,
    reason: PlacementEndReason | None = None,
    today: date = TODAY,
) -> None:
    placement.check(
        CheckPlacement(checked_on=checked_on, still_employed=still_employed, reason=reason),
        today=today,
    )


def event_types(placement: Placement | Vacancy | Employer) -> list[str]:
    return [event.event_type for event in placement.pending_events]


# -- employers ------------------------------------------------------------------------


def test_an_employer_is_registered_with_its_sector_and_each_skill_once() -> None:
    employer = an_employer()

    [registered] = employer.pending_events
    assert isinstance(registered, EmployerRegistered)
    assert (registered.sector, registered.skills) == ("G", ("ac_repair", "welding"))
    assert employer.bapas_code == BALIKPAPAN


def test_an_unknown_kbli_section_is_refused_naming_the_sector() -> None:
    with pytest.raises(ValueError, match="unknown KBLI 2020 section 'V'") as refusal:
        register_command(sector="V")

    assert "sector" in str(refusal.value)


def test_the_pledge_is_signed_once() -> None:
    employer = an_employer()
    employer.pledge(SignPledge(signed_on=TODAY), today=TODAY)

    with pytest.raises(RuleViolated, match=f"already signed the pledge on {TODAY}"):
        employer.pledge(SignPledge(signed_on=TODAY), today=TODAY)

    assert employer.pledged_on == TODAY
    assert event_types(employer) == ["EmployerRegistered", "EmployerPledged"]


def test_a_pledge_signed_tomorrow_at_the_bapas_is_refused() -> None:
    with pytest.raises(InvalidValue) as refusal:
        an_employer().pledge(SignPledge(signed_on=TODAY + DAY), today=TODAY)

    assert refusal.value.field == "signed_on"


# -- vacancies ------------------------------------------------------------------------


def test_a_vacancy_closing_before_it_opens_is_refused() -> None:
    with pytest.raises(InvalidValue) as refusal:
        a_vacancy(opens_on=TODAY, closes_on=TODAY - DAY)

    assert refusal.value.field == "closes_on"


def test_a_vacancy_whose_last_day_has_passed_is_refused_and_one_ending_today_is_posted() -> None:
    with pytest.raises(InvalidValue, match="has passed"):
        a_vacancy(opens_on=TODAY - 10 * DAY, closes_on=TODAY - DAY)

    vacancy = a_vacancy(opens_on=TODAY - 10 * DAY, closes_on=TODAY)
    assert vacancy.status(placed=0) is VacancyStatus.OPEN


def test_a_vacancy_is_filled_by_as_many_placements_as_it_has_positions() -> None:
    vacancy = a_vacancy(positions=2)

    assert [vacancy.status(placed=n) for n in (0, 1, 2)] == [
        VacancyStatus.OPEN,
        VacancyStatus.OPEN,
        VacancyStatus.FILLED,
    ]


def test_a_closed_vacancy_is_closed_however_many_it_took_and_closes_once() -> None:
    vacancy = a_vacancy(positions=2)
    vacancy.close(CloseVacancy(closed_on=TODAY, reason="posisi diisi sendiri"), today=TODAY)

    with pytest.raises(RuleViolated, match=f"already closed \\(on {TODAY}\\)"):
        vacancy.close(CloseVacancy(closed_on=TODAY, reason="lagi"), today=TODAY)

    assert vacancy.status(placed=2) is VacancyStatus.CLOSED


def test_a_vacancy_cannot_be_closed_tomorrow() -> None:
    with pytest.raises(InvalidValue) as refusal:
        a_vacancy().close(CloseVacancy(closed_on=TODAY + DAY, reason="nanti"), today=TODAY)

    assert refusal.value.field == "closed_on"


def test_a_vacancy_takes_placements_from_its_first_to_its_last_day() -> None:
    vacancy = a_vacancy(opens_on=TODAY + DAY, closes_on=TODAY + 5 * DAY)

    with pytest.raises(RuleViolated, match=f"opens on {TODAY + DAY}"):
        vacancy.check_takes_placement(placed=0, today=TODAY)
    vacancy.check_takes_placement(placed=0, today=TODAY + DAY)
    vacancy.check_takes_placement(placed=0, today=TODAY + 5 * DAY)
    with pytest.raises(RuleViolated, match=f"closed for placements after {TODAY + 5 * DAY}"):
        vacancy.check_takes_placement(placed=0, today=TODAY + 6 * DAY)


def test_a_filled_or_closed_vacancy_takes_no_placement() -> None:
    vacancy = a_vacancy(positions=1)

    with pytest.raises(RuleViolated, match="filled: its 1 positions are all placed"):
        vacancy.check_takes_placement(placed=1, today=TODAY)
    vacancy.close(CloseVacancy(closed_on=TODAY, reason="dibatalkan"), today=TODAY)
    with pytest.raises(RuleViolated, match=f"closed on {TODAY}"):
        vacancy.check_takes_placement(placed=0, today=TODAY)


# -- placements -----------------------------------------------------------------------


def test_a_placement_from_a_vacancy_carries_its_skill_and_names_no_one() -> None:
    employer = an_employer()
    vacancy = a_vacancy(employer, skill="welding")
    klien = a_klien()

    placement = a_placement(employer=employer, klien=klien, vacancy=vacancy)

    [placed] = placement.pending_events
    assert isinstance(placed, ClientPlaced)
    assert (placed.client_id, placed.employer_id, placed.vacancy_id) == (
        klien.client_id,
        employer.id,
        vacancy.id,
    )
    assert placed.skill == "welding"
    assert set(type(placed).model_fields) & {"name", "full_name", "nik"} == set()


def test_a_placement_without_a_vacancy_has_no_skill() -> None:
    [placed] = a_placement().pending_events

    assert isinstance(placed, ClientPlaced)
    assert (placed.vacancy_id, placed.skill) == (None, None)


def test_a_klien_of_another_bapas_cannot_be_placed_with_the_employer() -> None:
    with pytest.raises(RuleViolated, match="not supervised by Bapas balikpapan"):
        a_placement(klien=a_klien("samarinda"))


def test_a_klien_whose_supervision_ended_cannot_be_placed() -> None:
    with pytest.raises(RuleViolated, match=r"supervision of klien .* has ended"):
        a_placement(klien=a_klien(status=ClientStatus.SUPERVISION_ENDED))


def test_a_placement_cannot_start_before_the_klien_s_release() -> None:
    with pytest.raises(InvalidValue) as refusal:
        a_placement(started_on=RELEASED_ON - DAY)

    assert refusal.value.field == "started_on"
    [placed] = a_placement(started_on=RELEASED_ON).pending_events
    assert isinstance(placed, ClientPlaced)


def test_a_klien_with_an_open_placement_is_not_placed_again() -> None:
    open_placement = uuid4()

    with pytest.raises(RuleViolated, match=f"already has an open placement \\({open_placement}\\)"):
        a_placement(open_placement=open_placement)


def test_a_vacancy_of_another_employer_is_an_invalid_vacancy_id() -> None:
    with pytest.raises(InvalidValue) as refusal:
        a_placement(employer=an_employer(), vacancy=a_vacancy(an_employer()))

    assert refusal.value.field == "vacancy_id"


def test_the_placement_beyond_the_vacancy_s_positions_is_refused() -> None:
    employer = an_employer()
    vacancy = a_vacancy(employer, positions=2)

    a_placement(employer=employer, vacancy=vacancy, placed=1)
    with pytest.raises(RuleViolated, match="filled"):
        a_placement(employer=employer, vacancy=vacancy, placed=2)


# -- retention checks -----------------------------------------------------------------


def test_a_check_before_day_42_is_refused_and_on_day_42_is_the_six_week_check() -> None:
    placement = a_placement()

    with pytest.raises(RuleViolated, match=f"6-week check is due from {SIX_WEEKS_DUE}"):
        check(placement, SIX_WEEKS_DUE - DAY)
    check(placement, SIX_WEEKS_DUE)

    checked = placement.pending_events[-1]
    assert isinstance(checked, PlacementChecked)
    assert (checked.milestone, checked.still_employed) == (RetentionMilestone.SIX_WEEKS, True)
    assert placement.status is PlacementStatus.ACTIVE


def test_day_42_counts_the_29th_of_february_in_a_leap_year() -> None:
    placement = a_placement(
        klien=a_klien(released_on=date(2024, 1, 2)), started_on=date(2024, 1, 19)
    )

    with pytest.raises(RuleViolated, match="due from 2024-03-01"):
        check(placement, date(2024, 2, 29))
    check(placement, date(2024, 3, 1))


def test_the_six_week_check_is_recorded_once_and_the_six_month_one_from_day_183() -> None:
    placement = a_placement()
    check(placement, SIX_WEEKS_DUE)

    with pytest.raises(RuleViolated, match=f"6-month check is due from {SIX_MONTHS_DUE}"):
        check(placement, SIX_MONTHS_DUE - DAY)
    check(placement, SIX_MONTHS_DUE, today=SIX_MONTHS_DUE)

    milestones = [e.milestone for e in placement.pending_events if isinstance(e, PlacementChecked)]
    assert milestones == [RetentionMilestone.SIX_WEEKS, RetentionMilestone.SIX_MONTHS]
    with pytest.raises(RuleViolated, match="no retention check is left"):
        check(placement, SIX_MONTHS_DUE + DAY, today=SIX_MONTHS_DUE + DAY)


def test_a_first_check_after_day_183_is_the_six_month_check() -> None:
    placement = a_placement()

    check(placement, SIX_MONTHS_DUE + 10 * DAY, today=SIX_MONTHS_DUE + 10 * DAY)

    checked = placement.pending_events[-1]
    assert isinstance(checked, PlacementChecked)
    assert checked.milestone is RetentionMilestone.SIX_MONTHS


def test_a_check_cannot_be_dated_tomorrow_at_the_bapas() -> None:
    placement = a_placement()

    with pytest.raises(InvalidValue) as refusal:
        check(placement, SIX_WEEKS_DUE, today=SIX_WEEKS_DUE - DAY)

    assert refusal.value.field == "checked_on"


def test_a_check_cannot_predate_the_last_one() -> None:
    placement = a_placement()
    check(placement, SIX_MONTHS_DUE, today=SIX_MONTHS_DUE)

    with pytest.raises(InvalidValue, match=f"before the last check on {SIX_MONTHS_DUE}"):
        check(placement, SIX_WEEKS_DUE, today=SIX_MONTHS_DUE)


def test_a_klien_no_longer_employed_ends_the_placement_on_the_day_of_the_check() -> None:
    placement = a_placement()

    check(placement, SIX_WEEKS_DUE, still_employed=False, reason=PlacementEndReason.RESIGNED)

    assert event_types(placement)[-2:] == ["PlacementChecked", "PlacementEnded"]
    ended = placement.pending_events[-1]
    assert isinstance(ended, PlacementEnded)
    assert (ended.ended_on, ended.reason) == (SIX_WEEKS_DUE, PlacementEndReason.RESIGNED)
    assert placement.status is PlacementStatus.ENDED


def test_a_check_that_ends_the_placement_without_a_reason_ends_it_for_other() -> None:
    placement = a_placement()

    check(placement, SIX_WEEKS_DUE, still_employed=False)

    ended = placement.pending_events[-1]
    assert isinstance(ended, PlacementEnded)
    assert ended.reason is PlacementEndReason.OTHER


def test_a_reason_for_a_klien_still_employed_is_refused() -> None:
    with pytest.raises(InvalidValue) as refusal:
        check(a_placement(), SIX_WEEKS_DUE, reason=PlacementEndReason.DISMISSED)

    assert refusal.value.field == "reason"


def test_an_ended_placement_takes_no_check_and_no_second_end() -> None:
    placement = a_placement()
    check(placement, SIX_WEEKS_DUE, still_employed=False)

    with pytest.raises(RuleViolated, match=f"ended on {SIX_WEEKS_DUE}; it takes no more checks"):
        check(placement, SIX_MONTHS_DUE, today=SIX_MONTHS_DUE)
    with pytest.raises(RuleViolated, match="cannot end again"):
        placement.end(EndPlacement(ended_on=TODAY, reason=PlacementEndReason.MOVED), today=TODAY)


# -- ending a placement ---------------------------------------------------------------


@pytest.mark.parametrize("reason", list(PlacementEndReason))
def test_a_placement_ends_for_each_reason_the_spec_lists(reason: PlacementEndReason) -> None:
    placement = a_placement()

    placement.end(EndPlacement(ended_on=TODAY, reason=reason), today=TODAY)

    ended = placement.pending_events[-1]
    assert isinstance(ended, PlacementEnded)
    assert (ended.reason, ended.ended_on, ended.client_id) == (reason, TODAY, placement.client_id)


def test_an_end_before_the_start_in_the_future_or_before_the_last_check_is_refused() -> None:
    placement = a_placement()
    check(placement, SIX_WEEKS_DUE)

    for ended_on in (STARTED_ON - DAY, TODAY + DAY, SIX_WEEKS_DUE - DAY):
        with pytest.raises(InvalidValue) as refusal:
            placement.end(
                EndPlacement(ended_on=ended_on, reason=PlacementEndReason.OTHER), today=TODAY
            )
        assert refusal.value.field == "ended_on"
    assert placement.status is PlacementStatus.ACTIVE


def test_an_unknown_end_reason_is_refused() -> None:
    with pytest.raises(ValueError, match="reason"):
        EndPlacement.model_validate({"ended_on": TODAY, "reason": "bored"})


# -- commands on an event store in memory ---------------------------------------------


def officer(bapas: str = BALIKPAPAN) -> Principal:
    return Principal(role=Role.BAPAS_OFFICER, sub=f"pk.{bapas}", bapas=bapas)


def partner(bapas: str = BALIKPAPAN) -> Principal:
    return Principal(role=Role.POKMAS_PARTNER, sub="partner", bapas=bapas, pokmas_id=uuid4())


MINISTRY = Principal(role=Role.MINISTRY, sub="kemenkumham")


@dataclass
class Office:
    """The employment service of one Bapas in memory, with klien the enrolment told."""

    store: InMemoryEventStore
    records: RecordsInMemory

    @classmethod
    def new(cls) -> Office:
        store = InMemoryEventStore()
        return cls(store, RecordsInMemory(store))

    def as_(self, caller: Principal, now: datetime = NOW) -> EmploymentApplication:
        context = CommandContext(
            actor=Actor(role=caller.role.value, sub=caller.sub), occurred_at=now
        )
        return EmploymentApplication(
            store=self.store, records=self.records.of, caller=caller, context=context
        )

    def klien(self, bapas: str = BALIKPAPAN) -> UUID:
        klien = a_klien(bapas)
        self.records.klien[klien.client_id] = klien
        return klien.client_id

    def end_supervision(self, client_id: UUID) -> None:
        klien = self.records.klien[client_id]
        self.records.klien[client_id] = Klien(
            client_id=client_id,
            bapas_code=klien.bapas_code,
            status=ClientStatus.SUPERVISION_ENDED,
            released_on=klien.released_on,
        )

    async def employer(self, bapas: str = BALIKPAPAN) -> UUID:
        events = await self.as_(officer(bapas)).register_employer(register_command(bapas))
        return events[-1].aggregate_id

    async def vacancy(self, employer_id: UUID, positions: int = 2) -> UUID:
        events = await self.as_(officer()).post_vacancy(
            employer_id, post_command(positions=positions)
        )
        return events[-1].aggregate_id

    async def place(
        self,
        client_id: UUID,
        employer_id: UUID,
        vacancy_id: UUID | None = None,
        *,
        caller: Principal | None = None,
    ) -> UUID:
        events = await self.as_(caller or officer()).place(
            PlaceClient(
                client_id=client_id,
                employer_id=employer_id,
                vacancy_id=vacancy_id,
                started_on=STARTED_ON,
                kind=PlacementKind.APPRENTICESHIP,
            )
        )
        return events[-1].aggregate_id

    async def end(self, placement_id: UUID) -> None:
        await self.as_(officer()).end_placement(
            placement_id, EndPlacement(ended_on=TODAY, reason=PlacementEndReason.CONTRACT_ENDED)
        )

    def event_types(self) -> list[str]:
        return [envelope.event_type for envelope in self.store.published]


async def test_a_placed_klien_is_placed_again_only_once_the_placement_ended() -> None:
    office = Office.new()
    employer_id, client_id = await office.employer(), office.klien()
    first = await office.place(client_id, employer_id)

    with pytest.raises(RuleViolated, match=f"already has an open placement \\({first}\\)"):
        await office.place(client_id, await office.employer())

    await office.end(first)
    await office.place(client_id, employer_id)
    placements = [t for t in office.event_types() if t != "EmployerRegistered"]
    assert placements == ["ClientPlaced", "PlacementEnded", "ClientPlaced"]


async def test_a_vacancy_of_two_positions_takes_two_placements_and_an_end_does_not_reopen_it() -> (
    None
):
    office = Office.new()
    employer_id = await office.employer()
    vacancy_id = await office.vacancy(employer_id, positions=2)
    first = await office.place(office.klien(), employer_id, vacancy_id)
    await office.place(office.klien(), employer_id, vacancy_id)
    await office.end(first)

    with pytest.raises(RuleViolated, match="the vacancy is filled: its 2 positions"):
        await office.place(office.klien(), employer_id, vacancy_id)

    assert await office.records.lock_vacancy_placements(vacancy_id) == 2


async def test_a_klien_whose_supervision_ended_meanwhile_is_not_placed() -> None:
    office = Office.new()
    employer_id, client_id = await office.employer(), office.klien()
    office.end_supervision(client_id)

    with pytest.raises(RuleViolated, match="has ended"):
        await office.place(client_id, employer_id)

    assert office.event_types() == ["EmployerRegistered"]


@pytest.mark.parametrize("field", ["client_id", "employer_id", "vacancy_id"])
async def test_an_unknown_id_in_the_placement_is_an_invalid_value_of_its_field(field: str) -> None:
    office = Office.new()
    employer_id = await office.employer()
    command = PlaceClient.model_validate(
        {
            "client_id": office.klien(),
            "employer_id": employer_id,
            "started_on": STARTED_ON,
            "kind": PlacementKind.EMPLOYED,
            field: uuid4(),
        }
    )

    with pytest.raises(InvalidValue) as refusal:
        await office.as_(officer()).place(command)

    assert refusal.value.field == field


async def test_an_employer_s_id_given_as_a_vacancy_is_no_vacancy_of_the_employer() -> None:
    office = Office.new()
    employer_id = await office.employer()

    with pytest.raises(InvalidValue, match="no vacancy of this employer"):
        await office.place(office.klien(), employer_id, employer_id)


async def test_only_an_officer_of_the_employer_s_bapas_places_a_klien() -> None:
    office = Office.new()
    employer_id, client_id = await office.employer(), office.klien()

    for caller in (officer("samarinda"), partner(), MINISTRY):
        with pytest.raises(NotPermitted):
            await office.place(client_id, employer_id, caller=caller)

    assert office.event_types() == ["EmployerRegistered"]


async def test_an_officer_of_another_bapas_changes_nothing_of_the_employer() -> None:
    office = Office.new()
    employer_id = await office.employer()
    vacancy_id = await office.vacancy(employer_id)
    placement_id = await office.place(office.klien(), employer_id)
    other = office.as_(officer("samarinda"))

    with pytest.raises(NotPermitted):
        await other.register_employer(register_command(BALIKPAPAN))
    with pytest.raises(NotPermitted):
        await other.pledge(employer_id, SignPledge(signed_on=TODAY))
    with pytest.raises(NotPermitted):
        await other.post_vacancy(employer_id, post_command())
    with pytest.raises(NotPermitted):
        await other.close_vacancy(vacancy_id, CloseVacancy(closed_on=TODAY, reason="x"))
    with pytest.raises(NotPermitted):
        await other.check_placement(
            placement_id, CheckPlacement(checked_on=SIX_WEEKS_DUE, still_employed=True)
        )
    with pytest.raises(NotPermitted):
        await other.end_placement(
            placement_id, EndPlacement(ended_on=TODAY, reason=PlacementEndReason.OTHER)
        )

    assert office.event_types() == ["EmployerRegistered", "VacancyPosted", "ClientPlaced"]


async def test_a_command_on_an_unknown_aggregate_is_not_found() -> None:
    office = Office.new()
    employer_id = await office.employer()

    with pytest.raises(AggregateNotFound):
        await office.as_(officer()).pledge(uuid4(), SignPledge(signed_on=TODAY))
    with pytest.raises(AggregateNotFound):  # an employer's id is not a vacancy's
        await office.as_(officer()).close_vacancy(
            employer_id, CloseVacancy(closed_on=TODAY, reason="x")
        )


async def test_a_check_that_ends_the_placement_stores_both_events_and_frees_the_klien() -> None:
    office = Office.new()
    employer_id, client_id = await office.employer(), office.klien()
    placement_id = await office.place(client_id, employer_id)

    await office.as_(officer()).check_placement(
        placement_id, CheckPlacement(checked_on=SIX_WEEKS_DUE, still_employed=False)
    )

    assert office.event_types()[-2:] == ["PlacementChecked", "PlacementEnded"]
    assert [e.aggregate_version for e in office.store.published[-2:]] == [2, 3]
    assert await office.records.open_placement_of(client_id) is None


async def test_the_check_s_day_is_the_day_at_the_bapas_not_in_utc() -> None:
    office = Office.new()
    placement_id = await office.place(office.klien(), await office.employer())
    # 16:30 UTC the day before the 6-week check is already 00:30 on its day in Balikpapan.
    due_day_at_the_bapas = datetime.combine(SIX_WEEKS_DUE - DAY, datetime.min.time(), UTC)
    early = office.as_(officer(), due_day_at_the_bapas + timedelta(hours=15, minutes=30))
    on_time = office.as_(officer(), due_day_at_the_bapas + timedelta(hours=16, minutes=30))
    command = CheckPlacement(checked_on=SIX_WEEKS_DUE, still_employed=True)

    with pytest.raises(InvalidValue, match="lies in the future at the Bapas"):
        await early.check_placement(placement_id, command)
    await on_time.check_placement(placement_id, command)

    assert office.event_types()[-1] == "PlacementChecked"


async def test_a_refused_check_leaves_nothing_behind() -> None:
    office = Office.new()
    placement_id = await office.place(office.klien(), await office.employer())
    before = list(office.store.published)

    with pytest.raises(RuleViolated):
        await office.as_(officer()).check_placement(
            placement_id, CheckPlacement(checked_on=STARTED_ON + DAY, still_employed=True)
        )

    assert office.store.published == before
