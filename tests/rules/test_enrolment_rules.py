"""The enrolment service's business rules, checked on its aggregates alone.

Every case builds a klien and an enrolment by calling their command methods (or by
replaying their events) and hands them plain values for the programme, its MoU and
the seats taken, as the commands do after reading their tables. No broker, no
database, no HTTP: the whole file runs in a fraction of a second, so every edge of a rule
(the boundary day, exactly 75 %, the last free seat, the hour at which two time
zones disagree on the date) gets its own case.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from uuid import UUID, uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.enrolment.commands import (
    CompleteTraining,
    EndSupervision,
    EnrolClient,
    RecordAttendance,
    RecordEmployment,
    RecordReoffence,
    ReleaseClient,
    WithdrawFromTraining,
)
from services.enrolment.domain import (
    COMPLETION_ATTENDANCE_PERCENT,
    Client,
    ClientStatus,
    Enrolment,
    EnrolmentStatus,
    MoU,
    MoUStatus,
    Programme,
    ProgrammeStatus,
    ProgrammeTerms,
    Seat,
)
from services.enrolment.profiles import ClientProfile
from shared.events.enrolment import (
    Assessment,
    AttendanceStatus,
    EmploymentKind,
    IntegrationType,
    PkOfficer,
    SupervisionOutcome,
    WithdrawalReason,
)
from shared.events.envelope import Actor, Envelope, EventPayload
from shared.eventstore.aggregate import Aggregate
from shared.eventstore.refusals import InvalidValue, RuleViolated
from shared.eventstore.store import CommandContext, pending_envelopes
from shared.reference import today_in

PRESENT, LATE, ABSENT = AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.ABSENT
ONE_DAY = timedelta(days=1)

BALIKPAPAN = "balikpapan"  # WITA, UTC+8
SAMARINDA = "samarinda"  # WITA, the same province
JAKARTA_PUSAT = "jakarta-pusat"  # WIB, UTC+7
JAYAPURA = "jayapura"  # WIT, UTC+9

RELEASED_ON = date(2025, 1, 6)
SUPERVISION_ENDS_ON = date(2026, 1, 5)
MOU_VALID_FROM = date(2025, 1, 1)
MOU_VALID_UNTIL = date(2025, 12, 31)
STARTS_ON = date(2025, 3, 3)
ENDS_ON = date(2025, 4, 25)
SESSIONS_PLANNED = 8
TERMS = ProgrammeTerms(starts_on=STARTS_ON, ends_on=ENDS_ON, sessions_planned=SESSIONS_PLANNED)


# -- builders -------------------------------------------------------------------------


def klien(
    bapas_code: str = BALIKPAPAN,
    *,
    released_on: date = RELEASED_ON,
    supervision_ends_on: date = SUPERVISION_ENDS_ON,
) -> Client:
    return Client.release(
        uuid4(),
        ReleaseClient(
            bapas_code=bapas_code,
            register_number="PB-017/2025",
            integration_type=IntegrationType.PB,
            released_on=released_on,
            supervision_ends_on=supervision_ends_on,
            pk_officer=PkOfficer(id="198701012010011001", name="Rina Wulandari"),
            profile=ClientProfile(full_name="Andi Saputra", nik="6471012301900001"),
        ),
        reporting_every_days=30,
    )


def an_mou(
    *,
    status: MoUStatus = MoUStatus.ACTIVE,
    valid_from: date = MOU_VALID_FROM,
    valid_until: date = MOU_VALID_UNTIL,
) -> MoU:
    return MoU(mou_id=uuid4(), status=status, valid_from=valid_from, valid_until=valid_until)


def a_programme(
    *,
    bapas_code: str = BALIKPAPAN,
    status: ProgrammeStatus = ProgrammeStatus.OPEN,
    capacity: int = 10,
    starts_on: date = STARTS_ON,
    ends_on: date = ENDS_ON,
) -> Programme:
    return Programme(
        programme_id=uuid4(),
        bapas_code=bapas_code,
        pokmas_id=uuid4(),
        mou_id=uuid4(),
        status=status,
        capacity=capacity,
        starts_on=starts_on,
        ends_on=ends_on,
        sessions_planned=SESSIONS_PLANNED,
    )


def enrol(
    client: Client | None = None,
    *,
    programme: Programme | None = None,
    mou: MoU | None = None,
    seats_taken: int = 0,
    klien_seats: Sequence[Seat] = (),
    enrolled_on: date = STARTS_ON,
    today: date = STARTS_ON,
) -> Enrolment:
    """Enrol a klien (a fresh one at Balikpapan unless given) in an open programme
    with free seats under an active MoU, unless told otherwise."""
    programme = a_programme() if programme is None else programme
    return Enrolment.enrol(
        uuid4(),
        EnrolClient(programme_id=programme.programme_id, enrolled_on=enrolled_on),
        client=klien() if client is None else client,
        programme=programme,
        mou=an_mou() if mou is None else mou,
        seats_taken=seats_taken,
        klien_seats=klien_seats,
        today=today,
    )


def seat_in(starts_on: date, ends_on: date) -> Seat:
    """The klien's seat in another programme running over these dates."""
    return Seat(programme_id=uuid4(), starts_on=starts_on, ends_on=ends_on)


def attend(
    enrolment: Enrolment, *statuses: AttendanceStatus, terms: ProgrammeTerms = TERMS
) -> None:
    """Record sessions 1, 2, 3 … with these statuses."""
    for session_no, status in enumerate(statuses, start=1):
        enrolment.record_attendance(
            RecordAttendance(session_no=session_no, session_date=terms.starts_on, status=status),
            terms,
        )


def record_session(enrolment: Enrolment, session_no: int, session_date: date = STARTS_ON) -> None:
    enrolment.record_attendance(
        RecordAttendance(session_no=session_no, session_date=session_date, status=PRESENT), TERMS
    )


def complete(
    enrolment: Enrolment, terms: ProgrammeTerms = TERMS, completed_on: date = ENDS_ON
) -> None:
    enrolment.complete(
        CompleteTraining(completed_on=completed_on, assessment=Assessment.COMPETENT), terms
    )


def withdraw(enrolment: Enrolment, withdrawn_on: date = STARTS_ON) -> None:
    enrolment.withdraw(
        WithdrawFromTraining(withdrawn_on=withdrawn_on, reason_code=WithdrawalReason.EMPLOYED)
    )


def enrolment_in(status: EnrolmentStatus) -> Enrolment:
    """An enrolment brought to ``status`` by its own commands; six of eight sessions
    attended when completed, so session 8 is still unrecorded."""
    enrolment = enrol()
    if status is EnrolmentStatus.COMPLETED:
        attend(enrolment, *[PRESENT] * 6)
        complete(enrolment)
    elif status is EnrolmentStatus.WITHDRAWN:
        withdraw(enrolment)
    elif status is EnrolmentStatus.SUSPENDED:
        enrolment.suspend(mou_id=uuid4(), reason="the MoU expired on 2026-01-01")
    return enrolment


def history(aggregate: Aggregate) -> list[Envelope[EventPayload]]:
    """The aggregate's events as the store keeps them, versions 1, 2, 3 …"""
    context = CommandContext(
        actor=Actor(role="officer", sub="pk-balikpapan"),
        occurred_at=datetime(2025, 3, 3, 2, 0, tzinfo=UTC),
    )
    return pending_envelopes(aggregate, context)


def refused_as_invalid(field: str, action: Callable[[], object]) -> str:
    """Run ``action``, expect an invalid value of ``field``, return why it is invalid."""
    with pytest.raises(InvalidValue) as refusal:
        action()
    assert refusal.value.field == field
    return refusal.value.message


# -- klien life cycle: under_supervision → supervision_ended ---------------------------


def test_a_released_klien_is_under_supervision_at_their_bapas() -> None:
    client = klien(JAYAPURA)

    assert (client.status, client.bapas_code) == (ClientStatus.UNDER_SUPERVISION, JAYAPURA)


def test_a_supervision_may_end_on_the_day_of_release() -> None:
    client = klien(released_on=RELEASED_ON, supervision_ends_on=RELEASED_ON)

    assert client.supervision_ends_on == RELEASED_ON


def test_a_supervision_cannot_end_before_the_release() -> None:
    why = refused_as_invalid(
        "supervision_ends_on",
        lambda: klien(released_on=RELEASED_ON, supervision_ends_on=RELEASED_ON - ONE_DAY),
    )

    assert "before released_on" in why


def test_a_re_offence_is_recorded_on_the_way_and_the_klien_stays_under_supervision() -> None:
    client = klien()

    client.record_reoffence(RecordReoffence(recorded_on=RELEASED_ON))

    assert client.status is ClientStatus.UNDER_SUPERVISION
    enrol(client)  # still enrollable


def test_an_ended_supervision_records_its_day_and_outcome() -> None:
    client = klien()

    client.end_supervision(EndSupervision(ended_on=RELEASED_ON, outcome=SupervisionOutcome.REVOKED))

    assert (client.status, client.supervision_ended_on) == (
        ClientStatus.SUPERVISION_ENDED,
        RELEASED_ON,
    )


CLIENT_DATED_ACTIONS: dict[str, Callable[[Client, date], object]] = {
    "started_on": lambda client, day: client.record_employment(
        RecordEmployment(
            employment_kind=EmploymentKind.EMPLOYED,
            employer_name="CV Sejuk Mandiri",
            started_on=day,
            skill="ac_repair",
        )
    ),
    "recorded_on": lambda client, day: client.record_reoffence(RecordReoffence(recorded_on=day)),
    "ended_on": lambda client, day: client.end_supervision(
        EndSupervision(ended_on=day, outcome=SupervisionOutcome.COMPLETED)
    ),
}


@pytest.mark.parametrize("field", CLIENT_DATED_ACTIONS)
def test_an_employment_re_offence_or_end_of_supervision_cannot_predate_the_release(
    field: str,
) -> None:
    client = klien()
    act = CLIENT_DATED_ACTIONS[field]

    why = refused_as_invalid(field, lambda: act(client, RELEASED_ON - ONE_DAY))

    assert f"before the release on {RELEASED_ON}" in why
    act(client, RELEASED_ON)  # the release day itself is accepted
    assert len(client.pending_events) == 3  # the release, its schedule, and this


@pytest.mark.parametrize("field", CLIENT_DATED_ACTIONS)
def test_nothing_more_is_recorded_for_a_klien_whose_supervision_ended(field: str) -> None:
    client = klien()
    client.end_supervision(
        EndSupervision(ended_on=date(2025, 9, 1), outcome=SupervisionOutcome.COMPLETED)
    )

    with pytest.raises(RuleViolated, match=r"supervision of klien .* ended on 2025-09-01"):
        CLIENT_DATED_ACTIONS[field](client, date(2025, 9, 2))


def test_a_klien_profile_is_erased_only_once() -> None:
    client = klien()
    client.erase_profile(erased_on=date(2030, 9, 2))

    with pytest.raises(RuleViolated, match="already erased"):
        client.erase_profile(erased_on=date(2030, 9, 3))


def test_a_klien_rebuilt_from_their_events_still_cannot_be_enrolled_after_supervision() -> None:
    client = klien()
    client.end_supervision(EndSupervision(ended_on=STARTS_ON, outcome=SupervisionOutcome.COMPLETED))

    rebuilt = Client.replay(history(client))

    with pytest.raises(RuleViolated, match=r"supervision of klien .* ended"):
        enrol(rebuilt)


# -- rule 2: who may be enrolled, where and when ----------------------------------------


def test_a_klien_under_supervision_is_enrolled_in_an_open_programme_of_their_bapas() -> None:
    client = klien()
    programme = a_programme()

    enrolment = enrol(client, programme=programme)

    assert (
        enrolment.status,
        enrolment.client_id,
        enrolment.programme_id,
        enrolment.bapas_code,
    ) == (EnrolmentStatus.ENROLLED, client.id, programme.programme_id, BALIKPAPAN)


def test_a_klien_whose_supervision_ended_cannot_be_enrolled() -> None:
    client = klien()
    client.end_supervision(
        EndSupervision(ended_on=STARTS_ON - ONE_DAY, outcome=SupervisionOutcome.COMPLETED)
    )

    with pytest.raises(RuleViolated, match=f"ended on {STARTS_ON - ONE_DAY}"):
        enrol(client)


def test_a_klien_under_supervision_at_another_bapas_cannot_be_enrolled() -> None:
    programme = a_programme(bapas_code=SAMARINDA)

    with pytest.raises(
        RuleViolated, match=f"run for Bapas {SAMARINDA}, not for the klien's Bapas {BALIKPAPAN}"
    ):
        enrol(klien(BALIKPAPAN), programme=programme)


def test_a_klien_cannot_be_enrolled_in_a_closed_programme() -> None:
    with pytest.raises(RuleViolated, match="is closed"):
        enrol(programme=a_programme(status=ProgrammeStatus.CLOSED))


@pytest.mark.parametrize("status", [MoUStatus.TERMINATED, MoUStatus.EXPIRED])
def test_a_klien_cannot_be_enrolled_under_an_mou_that_has_ended(status: MoUStatus) -> None:
    with pytest.raises(RuleViolated, match=rf"is not active \({status}, valid"):
        enrol(mou=an_mou(status=status))


def test_a_klien_can_be_enrolled_on_the_last_day_of_the_mou() -> None:
    enrol(mou=an_mou(valid_until=STARTS_ON), today=STARTS_ON)


def test_a_klien_cannot_be_enrolled_on_the_day_after_the_mou_s_valid_until() -> None:
    """Even before MoUExpired has arrived: the dates alone say the MoU has ended."""
    mou = an_mou(valid_until=STARTS_ON - ONE_DAY)

    with pytest.raises(RuleViolated, match=rf"not active .*to {STARTS_ON - ONE_DAY}\)"):
        enrol(mou=mou, today=STARTS_ON)


def test_a_klien_can_be_enrolled_on_the_first_day_of_the_mou() -> None:
    enrol(mou=an_mou(valid_from=STARTS_ON), today=STARTS_ON)


def test_a_klien_cannot_be_enrolled_under_an_mou_not_yet_in_force() -> None:
    with pytest.raises(RuleViolated, match=f"not active .*valid {STARTS_ON + ONE_DAY} to"):
        enrol(mou=an_mou(valid_from=STARTS_ON + ONE_DAY), today=STARTS_ON)


def test_a_klien_takes_the_last_free_seat() -> None:
    enrol(programme=a_programme(capacity=12), seats_taken=11)


def test_a_full_programme_refuses_another_klien() -> None:
    with pytest.raises(RuleViolated, match=r"is full \(12 of 12 seats taken\)"):
        enrol(programme=a_programme(capacity=12), seats_taken=12)


def test_a_klien_cannot_be_enrolled_twice_in_the_same_programme() -> None:
    programme = a_programme()
    own_seat = Seat(programme_id=programme.programme_id, starts_on=STARTS_ON, ends_on=ENDS_ON)

    with pytest.raises(RuleViolated, match="already enrolled in programme"):
        enrol(programme=programme, klien_seats=[own_seat])


@pytest.mark.parametrize(
    ("other_starts_on", "other_ends_on"),
    [
        pytest.param(STARTS_ON - 30 * ONE_DAY, STARTS_ON, id="another ends on the first day"),
        pytest.param(ENDS_ON, ENDS_ON + 30 * ONE_DAY, id="another starts on the last day"),
        pytest.param(STARTS_ON + ONE_DAY, ENDS_ON - ONE_DAY, id="another runs inside it"),
        pytest.param(STARTS_ON - ONE_DAY, ENDS_ON + ONE_DAY, id="another runs around it"),
    ],
)
def test_a_klien_cannot_be_enrolled_in_two_programmes_whose_dates_overlap(
    other_starts_on: date, other_ends_on: date
) -> None:
    with pytest.raises(RuleViolated, match="dates overlap those of programme"):
        enrol(klien_seats=[seat_in(other_starts_on, other_ends_on)])


def test_a_klien_can_be_enrolled_in_programmes_that_follow_each_other_day_by_day() -> None:
    before = seat_in(STARTS_ON - 30 * ONE_DAY, STARTS_ON - ONE_DAY)
    after = seat_in(ENDS_ON + ONE_DAY, ENDS_ON + 30 * ONE_DAY)

    enrolment = enrol(klien_seats=[before, after])

    assert enrolment.status is EnrolmentStatus.ENROLLED


@pytest.mark.parametrize("enrolled_on", [STARTS_ON, ENDS_ON], ids=["first day", "last day"])
def test_a_klien_can_be_enrolled_on_the_programme_s_first_or_last_day(enrolled_on: date) -> None:
    assert enrol(enrolled_on=enrolled_on).enrolled_on == enrolled_on


@pytest.mark.parametrize(
    "enrolled_on", [STARTS_ON - ONE_DAY, ENDS_ON + ONE_DAY], ids=["day before", "day after"]
)
def test_an_enrolment_date_outside_the_programme_s_dates_is_refused(enrolled_on: date) -> None:
    with pytest.raises(
        RuleViolated, match=f"{enrolled_on} is outside the programme's dates {STARTS_ON} to"
    ):
        enrol(enrolled_on=enrolled_on)


def test_a_klien_can_be_enrolled_on_the_day_of_release() -> None:
    enrol(klien(released_on=STARTS_ON), enrolled_on=STARTS_ON)


def test_an_enrolment_date_before_the_klien_s_release_is_refused() -> None:
    client = klien(released_on=STARTS_ON + ONE_DAY)

    with pytest.raises(RuleViolated, match=f"before the klien's release on {STARTS_ON + ONE_DAY}"):
        enrol(client, enrolled_on=STARTS_ON)


def test_a_klien_can_be_enrolled_on_the_last_day_of_supervision() -> None:
    enrol(klien(supervision_ends_on=STARTS_ON), enrolled_on=STARTS_ON)


def test_an_enrolment_date_after_the_klien_s_supervision_ends_is_refused() -> None:
    client = klien(supervision_ends_on=STARTS_ON)

    with pytest.raises(RuleViolated, match=f"after the klien's supervision ends on {STARTS_ON}"):
        enrol(client, enrolled_on=STARTS_ON + ONE_DAY)


# -- rule 5: "today" is the date at the Bapas ------------------------------------------

# 2025-06-30 at 16:30 UTC: 23:30 on 30 June in WIB, already 1 July in WITA and WIT.
# 2025-06-30 at 15:30 UTC: 22:30 (WIB) and 23:30 (WITA) on 30 June, 00:30 on 1 July in WIT.
WIB_STILL_30_JUNE = datetime(2025, 6, 30, 16, 30, tzinfo=UTC)
WITA_STILL_30_JUNE = datetime(2025, 6, 30, 15, 30, tzinfo=UTC)
JUNE_30, JULY_1 = date(2025, 6, 30), date(2025, 7, 1)


def enrol_at(bapas_code: str, instant: datetime, mou: MoU) -> Enrolment:
    """Enrol a klien of ``bapas_code`` on 30 June, judged at ``instant`` as the commands do."""
    return enrol(
        klien(bapas_code),
        programme=a_programme(bapas_code=bapas_code, starts_on=JUNE_30, ends_on=JULY_1),
        mou=mou,
        enrolled_on=JUNE_30,
        today=today_in(bapas_code, instant),
    )


@pytest.mark.parametrize(
    ("bapas_code", "instant"),
    [
        pytest.param(JAKARTA_PUSAT, WIB_STILL_30_JUNE, id="WIB at 23:30"),
        pytest.param(BALIKPAPAN, WITA_STILL_30_JUNE, id="WITA at 23:30"),
        pytest.param(JAYAPURA, WITA_STILL_30_JUNE - timedelta(hours=1), id="WIT at 23:30"),
    ],
)
def test_an_mou_ending_today_at_the_bapas_still_admits_its_klien_until_local_midnight(
    bapas_code: str, instant: datetime
) -> None:
    enrolment = enrol_at(bapas_code, instant, an_mou(valid_until=JUNE_30))

    assert enrolment.status is EnrolmentStatus.ENROLLED


@pytest.mark.parametrize(
    ("bapas_code", "instant"),
    [
        pytest.param(BALIKPAPAN, WIB_STILL_30_JUNE, id="WITA at 00:30 while WIB is at 23:30"),
        pytest.param(JAYAPURA, WIB_STILL_30_JUNE, id="WIT at 01:30 while WIB is at 23:30"),
        pytest.param(JAYAPURA, WITA_STILL_30_JUNE, id="WIT at 00:30 while WITA is at 23:30"),
    ],
)
def test_an_mou_that_ended_yesterday_at_the_bapas_refuses_its_klien(
    bapas_code: str, instant: datetime
) -> None:
    with pytest.raises(RuleViolated, match=rf"not active .*to {JUNE_30}\)"):
        enrol_at(bapas_code, instant, an_mou(valid_until=JUNE_30))


def test_an_mou_coming_into_force_at_midnight_admits_a_klien_in_wita_before_one_in_wib() -> None:
    mou = an_mou(valid_from=JULY_1, valid_until=MOU_VALID_UNTIL)

    enrol_at(BALIKPAPAN, WIB_STILL_30_JUNE, mou)
    with pytest.raises(RuleViolated, match=f"not active .*valid {JULY_1} to"):
        enrol_at(JAKARTA_PUSAT, WIB_STILL_30_JUNE, mou)


# -- rule 3: attendance, once per session, and completion at 75 % ---------------------


def test_attendance_is_recorded_for_each_session_of_the_programme() -> None:
    enrolment = enrol()

    attend(enrolment, PRESENT, LATE, ABSENT)

    assert enrolment.attendance == {1: PRESENT, 2: LATE, 3: ABSENT}
    assert enrolment.sessions_attended == 2


def test_a_session_is_recorded_only_once() -> None:
    enrolment = enrol()
    attend(enrolment, ABSENT)

    with pytest.raises(RuleViolated, match="session 1 is already recorded"):
        record_session(enrolment, 1)
    assert enrolment.attendance == {1: ABSENT}


def test_the_last_planned_session_can_be_recorded() -> None:
    enrolment = enrol()

    record_session(enrolment, SESSIONS_PLANNED)

    assert enrolment.attendance == {SESSIONS_PLANNED: PRESENT}


def test_a_session_beyond_the_planned_sessions_is_refused() -> None:
    why = refused_as_invalid("session_no", lambda: record_session(enrol(), SESSIONS_PLANNED + 1))

    assert f"plans {SESSIONS_PLANNED} sessions" in why


@pytest.mark.parametrize("session_date", [STARTS_ON, ENDS_ON], ids=["first day", "last day"])
def test_a_session_on_the_programme_s_first_or_last_day_is_recorded(session_date: date) -> None:
    enrolment = enrol()

    record_session(enrolment, 1, session_date)

    assert enrolment.attendance == {1: PRESENT}


@pytest.mark.parametrize(
    "session_date", [STARTS_ON - ONE_DAY, ENDS_ON + ONE_DAY], ids=["day before", "day after"]
)
def test_a_session_dated_outside_the_programme_is_refused(session_date: date) -> None:
    why = refused_as_invalid("session_date", lambda: record_session(enrol(), 1, session_date))

    assert f"within the programme's dates {STARTS_ON} to {ENDS_ON}" in why


def test_completion_at_exactly_75_percent_attendance_is_accepted() -> None:
    enrolment = enrol()
    attend(enrolment, PRESENT, LATE, PRESENT, LATE, PRESENT, PRESENT, ABSENT, ABSENT)

    complete(enrolment)

    assert enrolment.status is EnrolmentStatus.COMPLETED


def test_completion_just_under_75_percent_attendance_is_refused() -> None:
    enrolment = enrol()
    attend(enrolment, PRESENT, LATE, PRESENT, LATE, PRESENT, ABSENT, ABSENT, ABSENT)

    with pytest.raises(
        RuleViolated,
        match="needs attendance at 75 % of the 8 planned sessions; the klien attended 5",
    ):
        complete(enrolment)
    assert enrolment.status is EnrolmentStatus.ENROLLED


def test_completion_counts_the_planned_sessions_not_only_those_recorded() -> None:
    enrolment = enrol()
    attend(enrolment, PRESENT, PRESENT, PRESENT, PRESENT, PRESENT)  # 5 of 8 planned, all present

    with pytest.raises(RuleViolated, match="the klien attended 5"):
        complete(enrolment)


def test_completion_with_a_fractional_threshold_rounds_up() -> None:
    """Ten planned sessions: 7.5 is the threshold, so 7 is not enough and 8 is."""
    terms = ProgrammeTerms(starts_on=STARTS_ON, ends_on=ENDS_ON, sessions_planned=10)
    short, enough = enrol(), enrol()
    attend(short, *[PRESENT] * 7, terms=terms)
    attend(enough, *[PRESENT] * 8, terms=terms)

    with pytest.raises(RuleViolated, match="of the 10 planned sessions; the klien attended 7"):
        complete(short, terms)
    complete(enough, terms)
    assert enough.status is EnrolmentStatus.COMPLETED


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([PRESENT, LATE, ABSENT, None]), min_size=1, max_size=24))
def test_completion_is_accepted_exactly_when_present_or_late_reach_three_quarters_of_the_plan(
    sessions: list[AttendanceStatus | None],
) -> None:
    """Each planned session is attended, missed, or not recorded at all (``None``)."""
    terms = ProgrammeTerms(starts_on=STARTS_ON, ends_on=ENDS_ON, sessions_planned=len(sessions))
    enrolment = enrol()
    for session_no, status in enumerate(sessions, start=1):
        if status is not None:
            enrolment.record_attendance(
                RecordAttendance(session_no=session_no, session_date=STARTS_ON, status=status),
                terms,
            )
    attended = sum(status in (PRESENT, LATE) for status in sessions)
    expected = Fraction(attended, len(sessions)) >= Fraction(COMPLETION_ATTENDANCE_PERCENT, 100)

    try:
        complete(enrolment, terms)
    except RuleViolated:
        assert not expected, f"{attended} of {len(sessions)} attended should complete"
    else:
        assert expected, f"{attended} of {len(sessions)} attended should not complete"


def test_a_completion_cannot_predate_the_enrolment() -> None:
    enrolment = enrol(enrolled_on=STARTS_ON + ONE_DAY)
    attend(enrolment, *[PRESENT] * SESSIONS_PLANNED)

    why = refused_as_invalid("completed_on", lambda: complete(enrolment, completed_on=STARTS_ON))

    assert f"before the enrolment on {STARTS_ON + ONE_DAY}" in why
    complete(enrolment, completed_on=STARTS_ON + ONE_DAY)  # the enrolment day itself is fine


def test_a_withdrawal_cannot_predate_the_enrolment() -> None:
    enrolment = enrol(enrolled_on=STARTS_ON + ONE_DAY)

    why = refused_as_invalid("withdrawn_on", lambda: withdraw(enrolment, withdrawn_on=STARTS_ON))

    assert f"before the enrolment on {STARTS_ON + ONE_DAY}" in why
    withdraw(enrolment, withdrawn_on=STARTS_ON + ONE_DAY)
    assert enrolment.status is EnrolmentStatus.WITHDRAWN


def test_an_enrolment_rebuilt_from_its_events_still_refuses_a_session_recorded_twice() -> None:
    enrolment = enrol()
    attend(enrolment, PRESENT, LATE)

    rebuilt = Enrolment.replay(history(enrolment))

    assert (rebuilt.status, rebuilt.sessions_attended, rebuilt.version) == (
        EnrolmentStatus.ENROLLED,
        2,
        3,
    )
    with pytest.raises(RuleViolated, match="session 2 is already recorded"):
        record_session(rebuilt, 2)


# -- rule 4: attendance, completion and withdrawal only while enrolled ---------------

ENROLLED_ONLY_ACTIONS: dict[str, Callable[[Enrolment], None]] = {
    "record attendance": lambda enrolment: record_session(enrolment, SESSIONS_PLANNED),
    "complete the training": complete,
    "withdraw": withdraw,
}


@pytest.mark.parametrize(
    "status", [EnrolmentStatus.COMPLETED, EnrolmentStatus.WITHDRAWN, EnrolmentStatus.SUSPENDED]
)
@pytest.mark.parametrize("action", ENROLLED_ONLY_ACTIONS)
def test_attendance_completion_and_withdrawal_are_refused_unless_the_enrolment_is_enrolled(
    status: EnrolmentStatus, action: str
) -> None:
    enrolment = enrolment_in(status)
    recorded = len(enrolment.pending_events)

    with pytest.raises(RuleViolated, match=f"cannot {action}: the enrolment is {status}"):
        ENROLLED_ONLY_ACTIONS[action](enrolment)
    assert (enrolment.status, len(enrolment.pending_events)) == (status, recorded)


@pytest.mark.parametrize("action", ENROLLED_ONLY_ACTIONS)
def test_attendance_completion_and_withdrawal_apply_to_an_enrolled_klien(action: str) -> None:
    enrolment = enrolment_in(EnrolmentStatus.ENROLLED)
    attend(enrolment, *[PRESENT] * 6)

    ENROLLED_ONLY_ACTIONS[action](enrolment)

    assert len(enrolment.pending_events) == 8


# -- enrolment life cycle: suspended while the programme's MoU has ended ---------------


def test_an_enrolment_is_suspended_when_its_programme_s_mou_ends() -> None:
    enrolment = enrol()
    mou_id = uuid4()

    enrolment.suspend(mou_id=mou_id, reason="the MoU expired on 2026-01-01")

    assert (enrolment.status, enrolment.suspended_by) == (EnrolmentStatus.SUSPENDED, mou_id)


def test_the_end_of_an_mou_delivered_twice_suspends_once() -> None:
    enrolment = enrol()
    mou_id = uuid4()

    enrolment.suspend(mou_id=mou_id, reason="the MoU was terminated")
    enrolment.suspend(mou_id=mou_id, reason="the MoU was terminated")

    assert len(enrolment.pending_events) == 2  # ClientEnrolled, EnrolmentSuspended


@pytest.mark.parametrize("status", [EnrolmentStatus.COMPLETED, EnrolmentStatus.WITHDRAWN])
def test_a_completed_or_withdrawn_enrolment_is_not_suspended_when_the_mou_ends(
    status: EnrolmentStatus,
) -> None:
    enrolment = enrolment_in(status)

    enrolment.suspend(mou_id=uuid4(), reason="the MoU expired on 2026-01-01")

    assert enrolment.status is status


def test_renewing_the_mou_resumes_the_enrolment_and_attendance_is_recorded_again() -> None:
    enrolment = enrol()
    mou_id = uuid4()
    enrolment.suspend(mou_id=mou_id, reason="the MoU expired on 2026-01-01")

    enrolment.resume(mou_id=mou_id)
    record_session(enrolment, 1)

    assert (enrolment.status, enrolment.suspended_by, enrolment.attendance) == (
        EnrolmentStatus.ENROLLED,
        None,
        {1: PRESENT},
    )


def test_renewing_another_mou_does_not_resume_a_suspended_enrolment() -> None:
    enrolment = enrol()
    ended: UUID = uuid4()
    enrolment.suspend(mou_id=ended, reason="the MoU was terminated")

    enrolment.resume(mou_id=uuid4())

    assert (enrolment.status, enrolment.suspended_by) == (EnrolmentStatus.SUSPENDED, ended)


def test_a_renewal_changes_nothing_for_an_enrolment_that_was_never_suspended() -> None:
    enrolment = enrol()

    enrolment.resume(mou_id=uuid4())

    assert (enrolment.status, len(enrolment.pending_events)) == (EnrolmentStatus.ENROLLED, 1)


def test_a_suspended_enrolment_rebuilt_from_its_events_resumes_only_for_its_own_mou() -> None:
    enrolment = enrol()
    mou_id = uuid4()
    enrolment.suspend(mou_id=mou_id, reason="the MoU expired on 2026-01-01")
    rebuilt = Enrolment.replay(history(enrolment))

    rebuilt.resume(mou_id=uuid4())
    after_another_renewal = rebuilt.status
    rebuilt.resume(mou_id=mou_id)

    assert (after_another_renewal, rebuilt.status) == (
        EnrolmentStatus.SUSPENDED,
        EnrolmentStatus.ENROLLED,
    )
