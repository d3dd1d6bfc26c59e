"""The rules of wajib lapor and of a klien's transfer, on the Client and Enrolment
aggregates alone: no database, no Kafka, no clock but the ``today`` each test names."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

import pytest

from services.enrolment.commands import (
    EndSupervision,
    RecordReport,
    ReleaseClient,
    ScheduleReporting,
    TransferClient,
)
from services.enrolment.domain import Client, Enrolment, EnrolmentStatus
from services.enrolment.profiles import ClientProfile
from services.enrolment.reporting import DEFAULT_EVERY_DAYS, Schedule
from shared.events.enrolment import (
    Assessment,
    ClientEnrolled,
    ClientTransferredIn,
    ClientTransferredOut,
    EnrolmentSuspended,
    IntegrationType,
    PkOfficer,
    ReportChannel,
    ReportingScheduled,
    ReportMissed,
    ReportStatus,
    RevocationRecommended,
    SupervisionOutcome,
    TrainingCompleted,
    TrainingWithdrawn,
    WithdrawalReason,
)
from shared.events.envelope import EventPayload
from shared.eventstore.refusals import InvalidValue, RuleViolated

RELEASED_ON = date(2026, 1, 5)
FIRST_DUE = date(2026, 2, 4)  # the default for parole: 30 days after the release
OFFICER = PkOfficer(id="198701012010011001", name="Rina Wulandari")


def released(
    kind: IntegrationType = IntegrationType.PB,
    *,
    supervision_ends_on: date = date(2027, 1, 5),
    bapas_code: str = "balikpapan",
) -> Client:
    client = Client.release(
        uuid4(),
        ReleaseClient(
            bapas_code=bapas_code,
            register_number="PB-017/2026",
            integration_type=kind,
            released_on=RELEASED_ON,
            supervision_ends_on=supervision_ends_on,
            pk_officer=OFFICER,
            profile=ClientProfile(full_name="Andi Saputra", nik="6471012301900001"),
        ),
        reporting_every_days=DEFAULT_EVERY_DAYS[kind],
    )
    client.mark_saved()
    return client


def check(client: Client, today: date) -> list[EventPayload]:
    """The daily check on ``today``; what it recorded."""
    client.record_missed_reports(today=today, default_every_days=30)
    recorded = list(client.pending_events)
    client.mark_saved()
    return recorded


def report(
    client: Client,
    due_on: date,
    *,
    today: date,
    reported_on: date | None = None,
    status: ReportStatus = ReportStatus.REPORTED,
) -> None:
    client.record_report(
        RecordReport(
            due_on=due_on,
            reported_on=due_on if reported_on is None else reported_on,
            status=status,
            channel=ReportChannel.IN_PERSON,
        ),
        today=today,
    )
    client.mark_saved()


def missed_dates(events: list[EventPayload]) -> list[date]:
    return [event.due_on for event in events if isinstance(event, ReportMissed)]


def monthly(count: int) -> list[date]:
    return [FIRST_DUE + timedelta(days=30 * n) for n in range(count)]


# -- schedules ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "every_days"),
    [
        (IntegrationType.PB, 30),
        (IntegrationType.CB, 30),
        (IntegrationType.CMB, 14),
        (IntegrationType.ASIMILASI, 7),
    ],
)
def test_a_release_schedules_reporting_one_interval_after_it(
    kind: IntegrationType, every_days: int
) -> None:
    client = Client.release(
        uuid4(),
        ReleaseClient(
            bapas_code="balikpapan",
            register_number="X-1",
            integration_type=kind,
            released_on=RELEASED_ON,
            supervision_ends_on=date(2027, 1, 5),
            pk_officer=OFFICER,
            profile=ClientProfile(full_name="Andi Saputra", nik="6471012301900001"),
        ),
        reporting_every_days=DEFAULT_EVERY_DAYS[kind],
    )

    scheduled = client.pending_events[1]
    assert scheduled == ReportingScheduled(
        client_id=client.id,
        first_due_on=RELEASED_ON + timedelta(days=every_days),
        every_days=every_days,
    )


def test_the_schedule_s_due_dates() -> None:
    schedule = Schedule(date(2026, 2, 4), 30)

    assert list(schedule.due_dates(until=date(2026, 4, 5))) == [
        date(2026, 2, 4),
        date(2026, 3, 6),
        date(2026, 4, 5),
    ]
    assert schedule.is_due_date(date(2026, 3, 6))
    assert not schedule.is_due_date(date(2026, 3, 7))
    assert not schedule.is_due_date(date(2026, 1, 5))
    assert schedule.first_due_date_after(date(2026, 3, 6)) == date(2026, 4, 5)
    assert schedule.first_due_date_after(date(2026, 1, 1)) == date(2026, 2, 4)


def test_a_schedule_may_not_start_before_the_release() -> None:
    client = released()

    with pytest.raises(InvalidValue) as refused:
        client.schedule_reporting(
            ScheduleReporting(first_due_on=RELEASED_ON - timedelta(days=1), every_days=7)
        )

    assert refused.value.field == "first_due_on"


# -- the daily check ------------------------------------------------------------------


def test_a_due_date_is_missed_only_once_the_day_after_it_begins() -> None:
    client = released()

    assert check(client, today=FIRST_DUE) == []  # the klien may still come today
    recorded = check(client, today=FIRST_DUE + timedelta(days=1))

    assert recorded == [ReportMissed(client_id=client.id, due_on=FIRST_DUE, missed_in_a_row=1)]
    assert check(client, today=FIRST_DUE + timedelta(days=2)) == []  # once


def test_a_reported_due_date_is_not_missed() -> None:
    client = released()
    report(client, FIRST_DUE, today=FIRST_DUE)

    assert check(client, today=FIRST_DUE + timedelta(days=20)) == []


def test_three_misses_in_a_row_recommend_revocation_once_per_streak() -> None:
    client = released()
    dates = monthly(4)

    first_two = check(client, today=dates[1] + timedelta(days=1))
    third = check(client, today=dates[2] + timedelta(days=1))
    fourth = check(client, today=dates[3] + timedelta(days=1))

    assert missed_dates(first_two) == dates[:2]
    assert third == [
        ReportMissed(client_id=client.id, due_on=dates[2], missed_in_a_row=3),
        RevocationRecommended(
            client_id=client.id,
            recommended_on=dates[2] + timedelta(days=1),
            missed_due_dates=dates[:3],
        ),
    ]
    assert fourth == [ReportMissed(client_id=client.id, due_on=dates[3], missed_in_a_row=4)]
    assert client.reporting.recommended


def test_a_report_breaks_the_streak_even_for_a_due_date_already_missed() -> None:
    client = released()
    dates = monthly(5)
    check(client, today=dates[1] + timedelta(days=1))  # two missed

    report(
        client,
        dates[0],
        today=dates[1] + timedelta(days=2),
        reported_on=dates[1] + timedelta(days=2),
        status=ReportStatus.LATE,
    )
    after = check(client, today=dates[3] + timedelta(days=1))

    assert client.reporting.answered == {dates[0]}
    assert [e.missed_in_a_row for e in after if isinstance(e, ReportMissed)] == [1, 2]
    assert not any(isinstance(e, RevocationRecommended) for e in after)


def test_a_recommendation_holds_until_the_next_report_and_a_new_streak_recommends_again() -> None:
    client = released()
    dates = monthly(7)
    check(client, today=dates[2] + timedelta(days=1))
    assert client.reporting.recommended

    report(client, dates[3], today=dates[3])
    assert not client.reporting.recommended
    again = check(client, today=dates[6] + timedelta(days=1))

    recommendations = [e for e in again if isinstance(e, RevocationRecommended)]
    assert [r.missed_due_dates for r in recommendations] == [dates[4:7]]


def test_history_entered_with_a_first_due_date_in_the_past_counts_the_past_due_dates() -> None:
    client = released()
    client.schedule_reporting(ScheduleReporting(first_due_on=date(2026, 1, 12), every_days=7))
    client.mark_saved()

    recorded = check(client, today=date(2026, 2, 1))

    assert missed_dates(recorded) == [date(2026, 1, d) for d in (12, 19, 26)]
    assert isinstance(recorded[-1], RevocationRecommended)


def test_a_new_schedule_replaces_the_due_dates_after_its_first() -> None:
    client = released()
    client.schedule_reporting(ScheduleReporting(first_due_on=date(2026, 3, 1), every_days=14))
    client.mark_saved()

    recorded = check(client, today=date(2026, 3, 16))

    assert missed_dates(recorded) == [date(2026, 3, 1), date(2026, 3, 15)]  # not 2026-02-04


def test_nothing_is_recorded_once_supervision_ended() -> None:
    client = released()
    client.end_supervision(EndSupervision(ended_on=FIRST_DUE, outcome=SupervisionOutcome.COMPLETED))
    client.mark_saved()

    assert check(client, today=FIRST_DUE + timedelta(days=200)) == []


def test_due_dates_after_the_planned_end_of_supervision_are_not_missed() -> None:
    client = released(supervision_ends_on=FIRST_DUE + timedelta(days=40))

    recorded = check(client, today=FIRST_DUE + timedelta(days=400))

    assert missed_dates(recorded) == [FIRST_DUE, FIRST_DUE + timedelta(days=30)]


def test_a_klien_without_a_schedule_gets_the_default_one_from_today() -> None:
    client = released()
    client.reporting.schedule = None  # as for a klien released before wajib lapor was kept

    recorded = check(client, today=date(2026, 12, 1))

    assert recorded == [
        ReportingScheduled(client_id=client.id, first_due_on=date(2026, 12, 31), every_days=30)
    ]


# -- reports --------------------------------------------------------------------------


def refused_field(client: Client, **changes: object) -> str:
    values: dict[str, object] = {
        "due_on": FIRST_DUE,
        "reported_on": FIRST_DUE,
        "status": ReportStatus.REPORTED,
        "channel": ReportChannel.VIDEO,
    } | changes
    with pytest.raises(InvalidValue) as refused:
        client.record_report(RecordReport.model_validate(values), today=FIRST_DUE + timedelta(5))
    return refused.value.field


def test_a_report_names_a_due_date_of_the_schedule_and_not_one_beyond_the_next() -> None:
    client = released()

    assert refused_field(client, due_on=FIRST_DUE + timedelta(days=1)) == "due_on"
    assert refused_field(client, due_on=FIRST_DUE + timedelta(days=60)) == "due_on"


def test_a_report_is_not_dated_in_the_future_nor_before_the_release() -> None:
    client = released()

    assert refused_field(client, reported_on=FIRST_DUE + timedelta(days=6)) == "reported_on"
    assert refused_field(client, reported_on=RELEASED_ON - timedelta(days=1)) == "reported_on"


def test_on_time_is_reported_and_after_the_due_date_is_late() -> None:
    client = released()

    assert refused_field(client, reported_on=FIRST_DUE + timedelta(days=1)) == "status"
    assert refused_field(client, status=ReportStatus.LATE) == "status"


def test_the_next_due_date_may_be_reported_ahead_and_each_due_date_once() -> None:
    client = released()
    report(client, FIRST_DUE, today=FIRST_DUE - timedelta(days=3), reported_on=RELEASED_ON)

    with pytest.raises(RuleViolated, match="already recorded"):
        report(client, FIRST_DUE, today=FIRST_DUE)


# -- transfer and revocation ----------------------------------------------------------


def transfer(client: Client, to: str = "makassar", on: date = date(2026, 3, 1)) -> None:
    client.transfer(
        TransferClient(
            to_bapas_code=to,
            transferred_on=on,
            reason="Found work in another city.",
            pk_officer=PkOfficer(id="199001012015011001", name="Siti Rahma"),
        ),
        today=date(2026, 3, 2),
    )


def test_a_transfer_is_keyed_by_the_old_office_then_the_new_one() -> None:
    client = released()

    transfer(client)

    out, came_in = client.pending_events
    assert isinstance(out, ClientTransferredOut)
    assert out.to_bapas_code == "makassar"
    assert isinstance(came_in, ClientTransferredIn)
    assert came_in.from_bapas_code == "balikpapan"
    assert client.pending_offices == ("balikpapan", "makassar")
    assert client.bapas_code == "makassar"


def test_a_transfer_is_refused_to_the_same_office_in_the_future_or_after_supervision() -> None:
    client = released()
    with pytest.raises(InvalidValue) as same:
        transfer(client, to="balikpapan")
    with pytest.raises(InvalidValue) as future:
        transfer(client, on=date(2026, 3, 3))
    client.end_supervision(
        EndSupervision(ended_on=date(2026, 2, 1), outcome=SupervisionOutcome.REVOKED)
    )
    with pytest.raises(RuleViolated):
        transfer(client)

    assert (same.value.field, future.value.field) == ("to_bapas_code", "transferred_on")


def an_enrolment(*events: EventPayload) -> Enrolment:
    enrolment = Enrolment(uuid4(), "balikpapan")
    enrolment.record(
        ClientEnrolled(
            enrolment_id=enrolment.id,
            client_id=uuid4(),
            programme_id=uuid4(),
            pokmas_id=uuid4(),
            enrolled_on=date(2026, 2, 1),
        )
    )
    for event in events:
        enrolment.record(event.model_copy(update={"enrolment_id": enrolment.id}))
    enrolment.mark_saved()
    return enrolment


@pytest.mark.parametrize("reason", [WithdrawalReason.REVOKED, WithdrawalReason.MOVED])
def test_a_departure_ends_enrolled_and_suspended_enrolments_but_not_completed_ones(
    reason: WithdrawalReason,
) -> None:
    enrolled = an_enrolment()
    suspended = an_enrolment(
        EnrolmentSuspended(enrolment_id=uuid4(), programme_id=uuid4(), mou_id=uuid4(), reason="x")
    )
    completed = an_enrolment(
        TrainingCompleted(
            enrolment_id=uuid4(),
            client_id=uuid4(),
            programme_id=uuid4(),
            completed_on=date(2026, 2, 20),
            assessment=Assessment.COMPETENT,
        )
    )

    for enrolment in (enrolled, suspended, completed):
        enrolment.end_as_klien_leaves(reason, on=date(2026, 1, 15))

    for enrolment in (enrolled, suspended):
        [withdrawn] = enrolment.pending_events
        assert isinstance(withdrawn, TrainingWithdrawn)
        assert withdrawn.reason_code is reason
        assert withdrawn.withdrawn_on == date(2026, 2, 1)  # not before the enrolment
        assert enrolment.status is EnrolmentStatus.WITHDRAWN
    assert completed.pending_events == ()
