"""The pokmas service's business rules, asked of its aggregates alone: the life cycles
of an MoU and of a programme, rule 1 (a programme needs an active MoU covering its
skill and its dates) and rule 5 (every date is the date at the Bapas).

Each rule has its accepted case, each way it is refused (the kind of refusal and the
reason the officer reads) and its edges: the first and the last valid day, the day
after, and instants at which offices in WIB, WITA and WIT live on different dates.
Aggregates are built by their own methods, or rebuilt from their events as the
service does before each command; nothing here needs a broker or a database.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.pokmas.commands import (
    CloseProgramme,
    OpenProgramme,
    RegisterPokmas,
    RenewMoU,
    SignMoU,
    TerminateMoU,
)
from services.pokmas.domain import MoU, MoUStatus, Pokmas, Programme, ProgrammeStatus
from shared.events.envelope import Actor
from shared.events.pokmas import (
    Contact,
    MoUExpired,
    MoURenewed,
    MoUTerminated,
    PokmasKind,
    ProgrammeClosed,
    ProgrammeOpened,
)
from shared.eventstore.aggregate import Aggregate
from shared.eventstore.refusals import InvalidValue, RuleViolated
from shared.eventstore.store import CommandContext, pending_envelopes
from shared.reference import today_in

DAY = timedelta(days=1)
TODAY = date(2025, 3, 3)
"""Today at the Bapas, unless a test chooses another day."""
VALID_FROM = date(2025, 3, 1)
VALID_UNTIL = date(2025, 12, 31)
NUMBER = "PKS/BPP/001/2025"
OFFICER = Actor(role="bapas_officer", sub="pk-balikpapan")
A = TypeVar("A", bound=Aggregate)

NEW_YEARS_EVE_NIGHT = datetime(2025, 12, 31, 15, 30, tzinfo=UTC)
"""22:30 in Jakarta (WIB), 23:30 in Balikpapan (WITA), already 00:30 on 1 January in
Jayapura (WIT)."""
NEW_YEARS_NIGHT = datetime(2025, 12, 31, 16, 30, tzinfo=UTC)
"""23:30 on 31 December in Jakarta (WIB), 00:30 on 1 January in Balikpapan (WITA) and
01:30 in Jayapura (WIT)."""


def a_pokmas(bapas_code: str = "balikpapan") -> Pokmas:
    return Pokmas.register(
        RegisterPokmas(
            bapas_code=bapas_code,
            name="Pokmas Maju Bersama",
            kind=PokmasKind.ORGANISATION,
            contact=Contact(name="Ibu Sari", phone="+62 812 5555 0101", email="sari@maju.example"),
            address="Jl. Jenderal Sudirman 1",
            skills=("ac_repair", "car_upholstery", "welding"),
        )
    )


def an_mou(
    *,
    pokmas: Pokmas | None = None,
    signed_on: date = VALID_FROM,
    valid_from: date = VALID_FROM,
    valid_until: date = VALID_UNTIL,
    scope: tuple[str, ...] = ("ac_repair", "car_upholstery"),
    today: date = TODAY,
) -> MoU:
    return MoU.sign(
        pokmas or a_pokmas(),
        SignMoU(
            number=NUMBER,
            signed_on=signed_on,
            valid_from=valid_from,
            valid_until=valid_until,
            scope=scope,
        ),
        today=today,
    )


def an_mou_at(bapas_code: str) -> MoU:
    return an_mou(pokmas=a_pokmas(bapas_code))


def a_terminated_mou() -> MoU:
    mou = an_mou()
    mou.terminate(TerminateMoU(effective_on=TODAY, reason="Pokmas tidak lagi aktif"), today=TODAY)
    return mou


def an_expired_mou() -> MoU:
    mou = an_mou()
    mou.expire(today=VALID_UNTIL + DAY)
    return mou


def open_programme(
    mou: MoU,
    *,
    skill: str = "ac_repair",
    starts_on: date = date(2025, 4, 1),
    ends_on: date = date(2025, 6, 30),
    today: date = TODAY,
    pokmas_id: UUID | None = None,
    mou_id: UUID | None = None,
) -> Programme:
    return Programme.open(
        mou,
        OpenProgramme(
            mou_id=mou.id if mou_id is None else mou_id,
            skill=skill,
            title="Servis AC rumah tangga",
            capacity=12,
            starts_on=starts_on,
            ends_on=ends_on,
            sessions_planned=16,
            location="Balai latihan kerja",
        ),
        pokmas_id=mou.pokmas_id if pokmas_id is None else pokmas_id,
        today=today,
    )


def opens(mou: MoU, *, starts_on: date, ends_on: date) -> bool:
    """Whether a programme of these dates opens under ``mou``, or rule 1 refuses its dates."""
    try:
        open_programme(mou, starts_on=starts_on, ends_on=ends_on)
    except RuleViolated as refusal:
        if "must lie inside the validity" not in str(refusal):
            raise
        return False
    return True


def rebuilt(aggregate: A) -> A:
    """The aggregate as a command sees it: replayed from the events it recorded."""
    context = CommandContext(actor=OFFICER, occurred_at=NEW_YEARS_EVE_NIGHT)
    return type(aggregate).replay(pending_envelopes(aggregate, context))


def refused(reason: str) -> str:
    """The pattern of a refusal's message that says exactly ``reason``."""
    return re.escape(reason)


# -- MoU: signature ----------------------------------------------------------------------


def test_a_signed_mou_is_active_for_its_scope_and_validity() -> None:
    mou = an_mou(scope=("ac_repair", "car_upholstery", "ac_repair"))

    assert mou.status is MoUStatus.ACTIVE
    assert (mou.valid_from, mou.valid_until) == (VALID_FROM, VALID_UNTIL)
    assert mou.scope == ("ac_repair", "car_upholstery")


def test_an_mou_whose_validity_has_not_begun_is_already_active() -> None:
    mou = an_mou(signed_on=TODAY, valid_from=TODAY + 30 * DAY)

    assert mou.status is MoUStatus.ACTIVE


def test_an_mou_may_be_valid_for_a_single_day() -> None:
    mou = an_mou(valid_from=TODAY, valid_until=TODAY)

    assert (mou.valid_from, mou.valid_until) == (TODAY, TODAY)


def test_an_mou_cannot_end_before_it_begins() -> None:
    with pytest.raises(
        InvalidValue, match=refused("valid_until: must not be before valid_from (2025-03-01)")
    ):
        an_mou(valid_until=VALID_FROM - DAY)


def test_an_mou_can_be_signed_today() -> None:
    assert an_mou(signed_on=TODAY).signed_on == TODAY


def test_an_mou_cannot_be_signed_on_a_day_still_to_come() -> None:
    with pytest.raises(
        InvalidValue,
        match=refused(
            "signed_on: 2025-03-04 lies in the future at the Bapas (today is 2025-03-03)"
        ),
    ):
        an_mou(signed_on=TODAY + DAY)


def test_an_mou_can_be_signed_on_its_last_valid_day() -> None:
    assert an_mou(valid_until=TODAY).status is MoUStatus.ACTIVE


def test_an_mou_whose_validity_has_already_ended_cannot_be_signed() -> None:
    with pytest.raises(
        InvalidValue,
        match=refused("valid_until: 2025-03-02 has passed at the Bapas: the MoU would be expired"),
    ):
        an_mou(valid_until=TODAY - DAY)


# -- MoU: expiry -------------------------------------------------------------------------


def test_an_mou_is_still_active_on_its_last_valid_day() -> None:
    mou = an_mou()

    assert mou.expire(today=VALID_UNTIL) is False
    assert mou.status is MoUStatus.ACTIVE


def test_an_mou_expires_on_the_day_after_its_valid_until() -> None:
    mou = an_mou()

    assert mou.expire(today=VALID_UNTIL + DAY) is True
    assert mou.status is MoUStatus.EXPIRED
    assert mou.pending_events[-1] == MoUExpired(mou_id=mou.id, expired_on=date(2026, 1, 1))


def test_an_mou_found_lapsed_days_later_expired_the_day_after_its_valid_until() -> None:
    mou = an_mou()

    mou.expire(today=VALID_UNTIL + 10 * DAY)

    assert mou.pending_events[-1] == MoUExpired(mou_id=mou.id, expired_on=date(2026, 1, 1))


def test_an_mou_expires_only_once() -> None:
    mou = an_expired_mou()

    assert mou.expire(today=VALID_UNTIL + 2 * DAY) is False
    assert len(mou.pending_events) == 2


def test_a_terminated_mou_does_not_expire() -> None:
    mou = a_terminated_mou()

    assert mou.expire(today=VALID_UNTIL + DAY) is False
    assert mou.status is MoUStatus.TERMINATED


def test_a_renewed_mou_does_not_expire_after_its_former_valid_until() -> None:
    mou = an_mou()
    mou.renew(RenewMoU(valid_until=date(2026, 6, 30)), today=TODAY)

    assert mou.expire(today=VALID_UNTIL + DAY) is False
    assert mou.expire(today=date(2026, 7, 1)) is True


# -- MoU: renewal ------------------------------------------------------------------------


def test_a_renewal_extends_an_active_mou_and_keeps_it_active() -> None:
    mou = an_mou()

    mou.renew(RenewMoU(valid_until=date(2026, 12, 31)), today=TODAY)

    assert (mou.status, mou.valid_until) == (MoUStatus.ACTIVE, date(2026, 12, 31))
    assert mou.pending_events[-1] == MoURenewed(
        mou_id=mou.id, valid_until=date(2026, 12, 31), renewed_on=TODAY
    )


def test_a_renewal_by_a_single_day_is_an_extension() -> None:
    mou = an_mou()

    mou.renew(RenewMoU(valid_until=VALID_UNTIL + DAY), today=TODAY)

    assert mou.valid_until == date(2026, 1, 1)


@pytest.mark.parametrize("valid_until", [VALID_UNTIL, VALID_UNTIL - DAY], ids=["same", "earlier"])
def test_a_renewal_must_reach_beyond_the_current_valid_until(valid_until: date) -> None:
    with pytest.raises(
        InvalidValue,
        match=refused(
            "valid_until: a renewal must extend the MoU beyond its current valid_until 2025-12-31"
        ),
    ):
        an_mou().renew(RenewMoU(valid_until=valid_until), today=TODAY)


def test_a_renewal_must_reach_at_least_today() -> None:
    late = date(2026, 2, 1)

    with pytest.raises(
        InvalidValue, match=refused("valid_until: a renewal must reach at least today (2026-02-01)")
    ):
        an_expired_mou().renew(RenewMoU(valid_until=late - DAY), today=late)


def test_a_renewal_up_to_today_reactivates_an_expired_mou() -> None:
    mou = an_expired_mou()
    late = date(2026, 2, 1)

    mou.renew(RenewMoU(valid_until=late), today=late)

    assert (mou.status, mou.valid_until) == (MoUStatus.ACTIVE, late)


def test_a_renewal_reactivates_a_terminated_mou() -> None:
    mou = a_terminated_mou()

    mou.renew(RenewMoU(valid_until=date(2026, 12, 31)), today=TODAY)

    assert mou.status is MoUStatus.ACTIVE


# -- MoU: termination --------------------------------------------------------------------


def test_an_active_mou_can_be_terminated_from_today() -> None:
    mou = an_mou()

    mou.terminate(TerminateMoU(effective_on=TODAY, reason="Pokmas tidak lagi aktif"), today=TODAY)

    assert mou.status is MoUStatus.TERMINATED
    assert mou.pending_events[-1] == MoUTerminated(
        mou_id=mou.id, effective_on=TODAY, reason="Pokmas tidak lagi aktif"
    )


def test_a_termination_may_take_effect_from_the_day_of_signature() -> None:
    mou = an_mou(signed_on=VALID_FROM)

    mou.terminate(TerminateMoU(effective_on=VALID_FROM, reason="Salah input"), today=TODAY)

    assert mou.status is MoUStatus.TERMINATED


def test_a_termination_cannot_take_effect_before_the_mou_was_signed() -> None:
    with pytest.raises(
        InvalidValue,
        match=refused("effective_on: must not be before the MoU was signed (2025-03-01)"),
    ):
        an_mou().terminate(
            TerminateMoU(effective_on=VALID_FROM - DAY, reason="Salah input"), today=TODAY
        )


def test_a_termination_cannot_take_effect_on_a_day_still_to_come() -> None:
    with pytest.raises(
        InvalidValue,
        match=refused(
            "effective_on: 2025-03-04 lies in the future at the Bapas (today is 2025-03-03)"
        ),
    ):
        an_mou().terminate(TerminateMoU(effective_on=TODAY + DAY, reason="Rencana"), today=TODAY)


def test_an_mou_can_be_terminated_on_its_last_valid_day() -> None:
    mou = an_mou()

    mou.terminate(TerminateMoU(effective_on=VALID_UNTIL, reason="Pokmas bubar"), today=VALID_UNTIL)

    assert mou.status is MoUStatus.TERMINATED


def test_an_mou_lapsed_before_the_daily_expiry_cannot_be_terminated() -> None:
    lapsed = VALID_UNTIL + DAY

    with pytest.raises(
        RuleViolated,
        match=refused(f"MoU {NUMBER} lapsed after 2025-12-31; it cannot be terminated"),
    ):
        an_mou().terminate(TerminateMoU(effective_on=lapsed, reason="Pokmas bubar"), today=lapsed)


def test_a_terminated_mou_cannot_be_terminated_again() -> None:
    with pytest.raises(
        RuleViolated, match=refused(f"MoU {NUMBER} is terminated; it cannot be terminated")
    ):
        a_terminated_mou().terminate(
            TerminateMoU(effective_on=TODAY, reason="Dua kali"), today=TODAY
        )


def test_an_expired_mou_cannot_be_terminated() -> None:
    late = date(2026, 1, 5)

    with pytest.raises(
        RuleViolated, match=refused(f"MoU {NUMBER} is expired; it cannot be terminated")
    ):
        an_expired_mou().terminate(
            TerminateMoU(effective_on=late, reason="Pokmas bubar"), today=late
        )


# -- Rule 1: a programme opens only under an active MoU covering its skill and dates -----


def test_a_programme_opens_under_an_active_mou_covering_its_skill_and_dates() -> None:
    mou = an_mou()

    programme = open_programme(mou, skill="car_upholstery")

    assert programme.status is ProgrammeStatus.OPEN
    assert (programme.bapas_code, programme.pokmas_id) == ("balikpapan", mou.pokmas_id)
    opened = programme.pending_events[-1]
    assert isinstance(opened, ProgrammeOpened)
    assert (opened.mou_id, opened.skill) == (mou.id, "car_upholstery")


def test_a_programme_may_run_over_the_whole_validity_of_its_mou() -> None:
    programme = open_programme(an_mou(), starts_on=VALID_FROM, ends_on=VALID_UNTIL)

    assert programme.status is ProgrammeStatus.OPEN


def test_a_programme_may_last_a_single_day() -> None:
    programme = open_programme(an_mou(), starts_on=TODAY, ends_on=TODAY)

    assert programme.status is ProgrammeStatus.OPEN


def test_a_programme_cannot_end_before_it_starts() -> None:
    with pytest.raises(InvalidValue, match=refused("ends_on: must not be before starts_on")):
        open_programme(an_mou(), starts_on=date(2025, 5, 1), ends_on=date(2025, 4, 30))


@pytest.mark.parametrize(
    ("starts_on", "ends_on"),
    [(VALID_FROM - DAY, date(2025, 6, 30)), (date(2025, 4, 1), VALID_UNTIL + DAY)],
    ids=["starting-the-day-before-valid-from", "ending-the-day-after-valid-until"],
)
def test_a_programme_cannot_run_outside_the_validity_of_its_mou(
    starts_on: date, ends_on: date
) -> None:
    with pytest.raises(
        RuleViolated,
        match=refused(
            f"rule 1: the programme's dates {starts_on}..{ends_on} must lie inside the "
            f"validity of MoU {NUMBER} (2025-03-01..2025-12-31)"
        ),
    ):
        open_programme(an_mou(), starts_on=starts_on, ends_on=ends_on)


def test_a_programme_opens_only_for_the_pokmas_that_signed_its_mou() -> None:
    with pytest.raises(InvalidValue, match=refused("mou_id: no MoU of this Pokmas has this id")):
        open_programme(an_mou(), pokmas_id=a_pokmas().id)


def test_a_programme_opens_only_under_the_mou_its_command_names() -> None:
    with pytest.raises(InvalidValue, match=refused("mou_id: no MoU of this Pokmas has this id")):
        open_programme(an_mou(), mou_id=an_mou().id)


def test_a_programme_needs_a_skill_the_mou_scope_covers() -> None:
    with pytest.raises(
        RuleViolated,
        match=refused(
            f"rule 1: the scope of MoU {NUMBER} (ac_repair, car_upholstery) "
            "does not cover the skill welding"
        ),
    ):
        open_programme(an_mou(), skill="welding")


def test_a_programme_cannot_open_under_a_terminated_mou() -> None:
    with pytest.raises(
        RuleViolated,
        match=refused(f"rule 1: MoU {NUMBER} is terminated; a programme needs an active MoU"),
    ):
        open_programme(a_terminated_mou())


def test_a_programme_cannot_open_under_an_expired_mou() -> None:
    with pytest.raises(
        RuleViolated,
        match=refused(f"rule 1: MoU {NUMBER} is expired; a programme needs an active MoU"),
    ):
        open_programme(an_expired_mou(), today=VALID_UNTIL + DAY)


def test_a_programme_can_open_on_the_last_valid_day_of_its_mou() -> None:
    programme = open_programme(
        an_mou(), starts_on=VALID_UNTIL, ends_on=VALID_UNTIL, today=VALID_UNTIL
    )

    assert programme.status is ProgrammeStatus.OPEN


def test_a_programme_cannot_open_the_day_after_valid_until_even_before_the_expiry() -> None:
    with pytest.raises(
        RuleViolated,
        match=refused(
            f"rule 1: MoU {NUMBER} lapsed after 2025-12-31; a programme needs an active MoU"
        ),
    ):
        open_programme(
            an_mou(), starts_on=date(2025, 12, 1), ends_on=VALID_UNTIL, today=VALID_UNTIL + DAY
        )


def test_a_programme_may_open_ahead_inside_an_mou_whose_validity_has_not_begun() -> None:
    mou = an_mou(signed_on=TODAY, valid_from=date(2025, 7, 1))

    programme = open_programme(mou, starts_on=date(2025, 7, 1), ends_on=date(2025, 9, 30))

    assert programme.status is ProgrammeStatus.OPEN


def test_a_programme_cannot_start_before_an_mou_signed_ahead_of_its_validity_begins() -> None:
    mou = an_mou(signed_on=TODAY, valid_from=date(2025, 7, 1))

    with pytest.raises(RuleViolated, match=refused("must lie inside the validity of MoU")):
        open_programme(mou, starts_on=date(2025, 6, 30), ends_on=date(2025, 9, 30))


def test_a_renewed_mou_hosts_a_programme_running_past_its_former_valid_until() -> None:
    mou = an_mou()
    mou.renew(RenewMoU(valid_until=date(2026, 6, 30)), today=TODAY)

    programme = open_programme(mou, starts_on=date(2025, 11, 1), ends_on=date(2026, 2, 28))

    assert programme.status is ProgrammeStatus.OPEN


def test_a_renewal_lets_an_expired_mou_host_programmes_again() -> None:
    mou = an_expired_mou()
    mou.renew(RenewMoU(valid_until=date(2026, 12, 31)), today=date(2026, 1, 10))

    programme = open_programme(
        mou, starts_on=date(2026, 2, 1), ends_on=date(2026, 4, 30), today=date(2026, 1, 10)
    )

    assert programme.status is ProgrammeStatus.OPEN


AROUND_THE_VALIDITY = st.dates(min_value=VALID_FROM - 20 * DAY, max_value=VALID_UNTIL + 20 * DAY)


@given(first=AROUND_THE_VALIDITY, last=AROUND_THE_VALIDITY)
def test_a_programme_under_an_active_mou_opens_exactly_when_its_dates_lie_inside_the_validity(
    first: date, last: date
) -> None:
    starts_on, ends_on = min(first, last), max(first, last)

    assert opens(an_mou(), starts_on=starts_on, ends_on=ends_on) == (
        starts_on >= VALID_FROM and ends_on <= VALID_UNTIL
    )


# -- Programme: closure ------------------------------------------------------------------


def test_an_open_programme_can_be_closed_today() -> None:
    programme = open_programme(an_mou())

    programme.close(CloseProgramme(closed_on=TODAY, reason="Peserta tidak mencukupi"), today=TODAY)

    assert programme.status is ProgrammeStatus.CLOSED
    assert programme.pending_events[-1] == ProgrammeClosed(
        programme_id=programme.id, closed_on=TODAY, reason="Peserta tidak mencukupi"
    )


def test_a_closed_programme_cannot_be_closed_again() -> None:
    programme = open_programme(an_mou())
    programme.close(CloseProgramme(closed_on=TODAY, reason="Peserta tidak mencukupi"), today=TODAY)

    with pytest.raises(RuleViolated, match=refused("the programme is already closed")):
        programme.close(CloseProgramme(closed_on=TODAY, reason="Dua kali"), today=TODAY)


def test_a_programme_cannot_be_closed_on_a_day_still_to_come() -> None:
    with pytest.raises(
        InvalidValue,
        match=refused(
            "closed_on: 2025-03-04 lies in the future at the Bapas (today is 2025-03-03)"
        ),
    ):
        open_programme(an_mou()).close(
            CloseProgramme(closed_on=TODAY + DAY, reason="Rencana"), today=TODAY
        )


# -- The rules hold on aggregates rebuilt from their events ------------------------------


def test_an_mou_rebuilt_from_its_events_keeps_its_status_scope_and_validity() -> None:
    mou = an_mou()
    mou.renew(RenewMoU(valid_until=date(2026, 6, 30)), today=TODAY)

    replayed = rebuilt(mou)

    assert (replayed.status, replayed.scope, replayed.valid_until, replayed.version) == (
        MoUStatus.ACTIVE,
        ("ac_repair", "car_upholstery"),
        date(2026, 6, 30),
        2,
    )


def test_a_terminated_mou_rebuilt_from_its_events_refuses_a_programme() -> None:
    with pytest.raises(RuleViolated, match=refused(f"rule 1: MoU {NUMBER} is terminated")):
        open_programme(rebuilt(a_terminated_mou()))


def test_an_expired_mou_rebuilt_from_its_events_expires_no_more() -> None:
    assert rebuilt(an_expired_mou()).expire(today=VALID_UNTIL + 5 * DAY) is False


def test_a_closed_programme_rebuilt_from_its_events_cannot_be_closed_again() -> None:
    programme = open_programme(an_mou())
    programme.close(CloseProgramme(closed_on=TODAY, reason="Peserta tidak mencukupi"), today=TODAY)

    with pytest.raises(RuleViolated, match=refused("the programme is already closed")):
        rebuilt(programme).close(CloseProgramme(closed_on=TODAY, reason="Dua kali"), today=TODAY)


# -- Rule 5: every date is the date at the Bapas -----------------------------------------


@pytest.mark.parametrize(
    ("bapas_code", "instant", "today"),
    [
        ("jakarta-pusat", datetime(2025, 12, 31, 16, 59, 59, tzinfo=UTC), date(2025, 12, 31)),
        ("jakarta-pusat", datetime(2025, 12, 31, 17, 0, tzinfo=UTC), date(2026, 1, 1)),
        ("pontianak", datetime(2025, 12, 31, 16, 59, 59, tzinfo=UTC), date(2025, 12, 31)),
        ("balikpapan", datetime(2025, 12, 31, 15, 59, 59, tzinfo=UTC), date(2025, 12, 31)),
        ("balikpapan", datetime(2025, 12, 31, 16, 0, tzinfo=UTC), date(2026, 1, 1)),
        ("jayapura", datetime(2025, 12, 31, 14, 59, 59, tzinfo=UTC), date(2025, 12, 31)),
        ("jayapura", datetime(2025, 12, 31, 15, 0, tzinfo=UTC), date(2026, 1, 1)),
    ],
    ids=[
        "wib-last-second",
        "wib-midnight",
        "wib-pontianak-last-second",
        "wita-last-second",
        "wita-midnight",
        "wit-last-second",
        "wit-midnight",
    ],
)
def test_a_new_day_begins_at_midnight_at_the_bapas(
    bapas_code: str, instant: datetime, today: date
) -> None:
    assert today_in(bapas_code, instant) == today


def test_offices_in_wib_wita_and_wit_can_live_on_different_dates_at_one_instant() -> None:
    offices = ("jakarta-pusat", "balikpapan", "jayapura")

    assert [today_in(code, NEW_YEARS_EVE_NIGHT) for code in offices] == [
        date(2025, 12, 31),
        date(2025, 12, 31),
        date(2026, 1, 1),
    ]
    assert [today_in(code, NEW_YEARS_NIGHT) for code in offices] == [
        date(2025, 12, 31),
        date(2026, 1, 1),
        date(2026, 1, 1),
    ]


@pytest.mark.parametrize(
    ("bapas_code", "instant"),
    [
        ("jakarta-pusat", NEW_YEARS_NIGHT),
        ("balikpapan", NEW_YEARS_EVE_NIGHT),
    ],
    ids=["wib-while-wita-and-wit-are-in-the-new-year", "wita-while-wit-is-in-the-new-year"],
)
def test_an_mou_still_hosts_a_programme_while_its_last_day_lasts_at_its_bapas(
    bapas_code: str, instant: datetime
) -> None:
    mou = an_mou_at(bapas_code)

    programme = open_programme(
        mou, starts_on=VALID_UNTIL, ends_on=VALID_UNTIL, today=today_in(bapas_code, instant)
    )

    assert (programme.status, programme.bapas_code) == (ProgrammeStatus.OPEN, bapas_code)


@pytest.mark.parametrize(
    ("bapas_code", "instant"),
    [
        ("balikpapan", NEW_YEARS_NIGHT),
        ("jayapura", NEW_YEARS_EVE_NIGHT),
    ],
    ids=["wita-while-wib-is-on-the-last-day", "wit-while-wib-and-wita-are-on-the-last-day"],
)
def test_an_mou_hosts_no_programme_once_the_new_day_began_at_its_bapas(
    bapas_code: str, instant: datetime
) -> None:
    mou = an_mou_at(bapas_code)

    with pytest.raises(RuleViolated, match=refused("lapsed after 2025-12-31")):
        open_programme(
            mou, starts_on=VALID_UNTIL, ends_on=VALID_UNTIL, today=today_in(bapas_code, instant)
        )


def test_the_daily_expiry_expires_only_the_mous_of_offices_already_past_the_last_day() -> None:
    mous = {code: an_mou_at(code) for code in ("jakarta-pusat", "balikpapan", "jayapura")}

    expired = {
        code: mou.expire(today=today_in(code, NEW_YEARS_EVE_NIGHT)) for code, mou in mous.items()
    }

    assert expired == {"jakarta-pusat": False, "balikpapan": False, "jayapura": True}
    assert mous["jayapura"].pending_events[-1] == MoUExpired(
        mou_id=mous["jayapura"].id, expired_on=date(2026, 1, 1)
    )


def test_an_mou_dated_new_years_day_can_be_signed_in_jayapura_already() -> None:
    new_years_day = date(2026, 1, 1)

    signed = an_mou(
        pokmas=a_pokmas("jayapura"),
        signed_on=new_years_day,
        valid_from=new_years_day,
        valid_until=date(2026, 12, 31),
        today=today_in("jayapura", NEW_YEARS_EVE_NIGHT),
    )

    assert signed.signed_on == new_years_day


def test_an_mou_dated_new_years_day_cannot_be_signed_in_balikpapan_yet() -> None:
    new_years_day = date(2026, 1, 1)

    with pytest.raises(
        InvalidValue,
        match=refused(
            "signed_on: 2026-01-01 lies in the future at the Bapas (today is 2025-12-31)"
        ),
    ):
        an_mou(
            pokmas=a_pokmas("balikpapan"),
            signed_on=new_years_day,
            valid_from=new_years_day,
            valid_until=date(2026, 12, 31),
            today=today_in("balikpapan", NEW_YEARS_EVE_NIGHT),
        )
