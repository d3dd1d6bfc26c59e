"""The aggregates' rules on days the HTTP tests cannot choose: an MoU whose validity
has ended but that the daily job has not expired yet refuses what an expired one
refuses, and expires only from the day after its valid_until."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.pokmas.commands import (
    OpenProgramme,
    RegisterPokmas,
    RenewMoU,
    SignMoU,
    TerminateMoU,
)
from services.pokmas.domain import MoU, MoUStatus, Pokmas, Programme
from shared.events.pokmas import Contact, MoUExpired, PokmasKind
from shared.eventstore.refusals import InvalidValue, RuleViolated

SIGNED_ON = date(2025, 1, 6)
VALID_UNTIL = date(2025, 12, 31)
LAPSED = VALID_UNTIL + timedelta(days=1)


def mou() -> MoU:
    pokmas = Pokmas.register(
        RegisterPokmas(
            bapas_code="balikpapan",
            name="Pokmas Maju Bersama",
            kind=PokmasKind.ORGANISATION,
            contact=Contact(name="Ibu Sari", phone="+62 812 5555 0101", email="sari@maju.example"),
            address="Jl. Jenderal Sudirman 1, Balikpapan",
            skills=("ac_repair",),
        )
    )
    return MoU.sign(
        pokmas,
        SignMoU(
            number="PKS/BPP/001/2025",
            signed_on=SIGNED_ON,
            valid_from=SIGNED_ON,
            valid_until=VALID_UNTIL,
            scope=("ac_repair",),
        ),
        today=SIGNED_ON,
    )


def test_mou_does_not_expire_on_its_last_valid_day() -> None:
    signed = mou()

    assert signed.expire(today=VALID_UNTIL) is False
    assert signed.status is MoUStatus.ACTIVE


def test_mou_expires_once_from_the_day_after_its_last_valid_day() -> None:
    signed = mou()

    first, second = signed.expire(today=LAPSED), signed.expire(today=LAPSED + timedelta(days=3))

    assert (first, second) == (True, False)
    assert signed.pending_events[-1] == MoUExpired(mou_id=signed.id, expired_on=LAPSED)


def test_renewal_must_reach_today() -> None:
    with pytest.raises(InvalidValue, match="must reach at least today"):
        mou().renew(
            RenewMoU(valid_until=VALID_UNTIL + timedelta(days=10)),
            today=LAPSED + timedelta(days=30),
        )


def test_renewal_reactivates_a_lapsed_mou() -> None:
    renewed = mou()
    renewed.expire(today=LAPSED)

    renewed.renew(RenewMoU(valid_until=date(2026, 12, 31)), today=LAPSED)

    assert (renewed.status, renewed.valid_until) == (MoUStatus.ACTIVE, date(2026, 12, 31))


def test_lapsed_mou_cannot_be_terminated() -> None:
    with pytest.raises(RuleViolated, match="it cannot be terminated"):
        mou().terminate(TerminateMoU(effective_on=LAPSED, reason="Tidak aktif"), today=LAPSED)


def test_no_programme_opens_under_a_lapsed_mou() -> None:
    lapsed = mou()
    with pytest.raises(RuleViolated, match=r"rule 1: .* lapsed after 2025-12-31"):
        Programme.open(
            lapsed,
            OpenProgramme(
                mou_id=lapsed.id,
                skill="ac_repair",
                title="Servis AC",
                capacity=10,
                starts_on=date(2025, 12, 1),
                ends_on=VALID_UNTIL,
                sessions_planned=8,
                location="Balikpapan",
            ),
            pokmas_id=lapsed.pokmas_id,
            today=LAPSED,
        )
