"""Every rule of the employment service answered over HTTP by the running service: a
broken business rule is a 409 whose detail says which, a bad value a 422 naming its
field, and a refused command changes nothing the API shows."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

from tests.employment.helpers import OFFICER, World, created_id
from tests.enrolment.helpers import days, today
from tests.hardening.probes import assert_problem, assert_refused

SIX_WEEKS, SIX_MONTHS = 42, 183


def iso(day_offset: int) -> str:
    return days(day_offset).isoformat()


def conflict(response: Any, reason: str) -> None:
    problem = assert_problem(response, 409)
    assert reason in problem["detail"], problem


async def placed_long_ago(world: World, started: int) -> tuple[UUID, UUID]:
    """A placement that started ``started`` days ago (negative): (placement, employer)."""
    employer_id = await world.employer()
    klien = await world.klien()
    placement_id = await world.placement(klien.client_id, employer_id, started_on=days(started))
    return placement_id, employer_id


async def check(world: World, placement_id: UUID, checked_on: str, **body: Any) -> Any:
    return await world.command(
        f"/api/v1/placements/{placement_id}/checks",
        {"checked_on": checked_on, "still_employed": True, **body},
    )


# -- employers and vacancies ----------------------------------------------------------


async def test_an_employer_pledges_once(world: World) -> None:
    employer_id = await world.employer()
    path = f"/api/v1/employers/{employer_id}/pledge"

    created_id(await world.command(path, {"signed_on": iso(0)}))
    conflict(await world.command(path, {"signed_on": iso(0)}), "already signed the pledge")

    employer = await world.get(f"/api/v1/employers/{employer_id}")
    assert (employer["pledged_on"], employer["version"]) == (iso(0), 2)


async def test_a_pledge_signed_tomorrow_names_signed_on(world: World) -> None:
    employer_id = await world.employer()

    response = await world.command(f"/api/v1/employers/{employer_id}/pledge", {"signed_on": iso(1)})

    assert_refused(response, "body.signed_on")


async def test_a_vacancy_closing_before_it_opens_names_closes_on(world: World) -> None:
    employer_id = await world.employer()

    response = await world.command(
        f"/api/v1/employers/{employer_id}/vacancies",
        {
            "title": "Teknisi",
            "skill": "ac_repair",
            "positions": 1,
            "opens_on": iso(5),
            "closes_on": iso(4),
        },
    )

    assert_refused(response, "body.closes_on")


async def test_a_vacancy_closes_once_and_then_takes_no_placement(world: World) -> None:
    employer_id = await world.employer()
    vacancy_id = await world.vacancy(employer_id)
    path = f"/api/v1/vacancies/{vacancy_id}/closure"
    closure = {"closed_on": iso(0), "reason": "Posisi diisi dari luar"}

    created_id(await world.command(path, closure))
    conflict(await world.command(path, closure), "already closed")
    klien = await world.klien()
    conflict(await world.place(klien.client_id, employer_id, vacancy_id), "takes no placements")

    vacancy = await world.get(f"/api/v1/vacancies/{vacancy_id}")
    assert (vacancy["status"], vacancy["placed"], vacancy["closed_on"]) == ("closed", 0, iso(0))


async def test_a_vacancy_not_yet_open_takes_no_placement(world: World) -> None:
    employer_id = await world.employer()
    vacancy_id = await world.vacancy(employer_id, opens_on=iso(3), closes_on=iso(10))
    klien = await world.klien()

    conflict(await world.place(klien.client_id, employer_id, vacancy_id), f"opens on {iso(3)}")


async def test_the_placement_that_takes_the_last_position_fills_the_vacancy(world: World) -> None:
    employer_id = await world.employer()
    vacancy_id = await world.vacancy(employer_id, positions=2)
    first, second, third = [await world.klien() for _ in range(3)]

    created_id(await world.place(first.client_id, employer_id, vacancy_id))
    assert (await world.get(f"/api/v1/vacancies/{vacancy_id}"))["status"] == "open"
    created_id(await world.place(second.client_id, employer_id, vacancy_id))
    conflict(await world.place(third.client_id, employer_id, vacancy_id), "the vacancy is filled")

    vacancy = await world.get(f"/api/v1/vacancies/{vacancy_id}")
    assert (vacancy["status"], vacancy["placed"], vacancy["positions"]) == ("filled", 2, 2)
    filled = await world.every_item("/api/v1/vacancies?status=filled&skill=ac_repair")
    assert str(vacancy_id) in {item["vacancy_id"] for item in filled}


# -- placements -----------------------------------------------------------------------


async def test_a_klien_of_another_bapas_is_not_placed_with_the_employer(world: World) -> None:
    employer_id = await world.employer()
    klien = await world.klien("samarinda")

    conflict(await world.place(klien.client_id, employer_id), "not supervised by Bapas balikpapan")


async def test_a_klien_whose_supervision_ended_is_not_placed(world: World) -> None:
    employer_id = await world.employer()
    klien = await world.klien()
    await world.end_supervision(klien)
    await world.until_learnt({klien.client_id: "supervision_ended"})

    conflict(await world.place(klien.client_id, employer_id), "has ended")


async def test_a_klien_has_one_open_placement_at_a_time(world: World) -> None:
    first_employer, second_employer = await world.employer(), await world.employer()
    klien = await world.klien()
    placement_id = await world.placement(klien.client_id, first_employer)

    conflict(await world.place(klien.client_id, second_employer), "already has an open placement")

    created_id(
        await world.command(
            f"/api/v1/placements/{placement_id}/end", {"ended_on": iso(0), "reason": "moved"}
        )
    )
    created_id(await world.place(klien.client_id, second_employer))
    placements = await world.get("/api/v1/placements", client_id=str(klien.client_id))
    assert sorted(item["status"] for item in placements["items"]) == ["active", "ended"]


async def test_unknown_ids_in_a_placement_name_their_field(world: World) -> None:
    employer_id = await world.employer()
    klien = await world.klien()
    await world.until_learnt({klien.client_id: "under_supervision"})

    assert_refused(await world.place(klien.client_id, uuid4()), "body.employer_id")
    assert_refused(await world.place(klien.client_id, employer_id, uuid4()), "body.vacancy_id")
    response = await world.api.post(
        "/api/v1/placements",
        json={
            "client_id": str(uuid4()),
            "employer_id": str(employer_id),
            "started_on": iso(0),
            "kind": "employed",
        },
        headers=OFFICER,
    )
    assert_refused(response, "body.client_id")


async def test_a_vacancy_of_another_employer_names_vacancy_id(world: World) -> None:
    employer_id = await world.employer()
    other_vacancy = await world.vacancy(await world.employer())
    klien = await world.klien()

    assert_refused(
        await world.place(klien.client_id, employer_id, other_vacancy), "body.vacancy_id"
    )


async def test_a_placement_before_the_release_names_started_on(world: World) -> None:
    klien = await world.klien()

    response = await world.place(klien.client_id, await world.employer(), started_on=days(-500))

    assert_refused(response, "body.started_on")


# -- retention checks and the end ------------------------------------------------------


async def test_a_check_before_day_42_is_refused_and_on_day_42_is_the_six_week_one(
    world: World,
) -> None:
    placement_id, _ = await placed_long_ago(world, -SIX_WEEKS)
    started = today() - timedelta(days=SIX_WEEKS)

    conflict(await check(world, placement_id, iso(-1)), f"6-week check is due from {today()}")
    created_id(await check(world, placement_id, iso(0)))

    placement = await world.get(f"/api/v1/placements/{placement_id}")
    assert placement["started_on"] == started.isoformat()
    assert placement["six_weeks"] == {"checked_on": iso(0), "still_employed": True}
    assert (placement["six_months"], placement["status"]) == (None, "active")


async def test_each_check_is_recorded_once(world: World) -> None:
    placement_id, _ = await placed_long_ago(world, -SIX_MONTHS - 10)

    created_id(await check(world, placement_id, iso(-60)))
    conflict(await check(world, placement_id, iso(-50)), "6-month check is due from")
    created_id(await check(world, placement_id, iso(0)))
    conflict(await check(world, placement_id, iso(0)), "no retention check is left")

    placement = await world.get(f"/api/v1/placements/{placement_id}")
    assert placement["six_months"] == {"checked_on": iso(0), "still_employed": True}


async def test_a_klien_no_longer_employed_at_the_check_ends_the_placement(world: World) -> None:
    placement_id, _ = await placed_long_ago(world, -SIX_WEEKS)

    created_id(await check(world, placement_id, iso(0), still_employed=False, reason="dismissed"))

    placement = await world.get(f"/api/v1/placements/{placement_id}")
    assert (placement["status"], placement["ended_on"], placement["end_reason"]) == (
        "ended",
        iso(0),
        "dismissed",
    )
    assert placement["six_weeks"] == {"checked_on": iso(0), "still_employed": False}
    assert placement["version"] == 3
    conflict(await check(world, placement_id, iso(0)), "takes no more checks")


async def test_a_reason_for_a_klien_still_employed_names_reason(world: World) -> None:
    placement_id, _ = await placed_long_ago(world, -SIX_WEEKS)

    assert_refused(await check(world, placement_id, iso(0), reason="resigned"), "body.reason")


async def test_a_placement_ends_once_and_not_before_it_started(world: World) -> None:
    placement_id, _ = await placed_long_ago(world, -10)
    path = f"/api/v1/placements/{placement_id}/end"

    assert_refused(
        await world.command(path, {"ended_on": iso(-11), "reason": "resigned"}), "body.ended_on"
    )
    assert_refused(
        await world.command(path, {"ended_on": iso(1), "reason": "resigned"}), "body.ended_on"
    )
    assert_refused(
        await world.command(path, {"ended_on": iso(0), "reason": "bosan"}), "body.reason"
    )
    created_id(await world.command(path, {"ended_on": iso(0), "reason": "contract_ended"}))
    conflict(await world.command(path, {"ended_on": iso(0), "reason": "moved"}), "cannot end again")


async def test_the_track_record_counts_hires_retention_and_ends_by_reason(world: World) -> None:
    employer_id = await world.employer()
    kept, let_go, resigned = [await world.klien() for _ in range(3)]
    kept_placement = await world.placement(kept.client_id, employer_id, started_on=days(-200))
    let_go_placement = await world.placement(let_go.client_id, employer_id, started_on=days(-200))
    resigned_placement = await world.placement(
        resigned.client_id, employer_id, started_on=days(-100)
    )
    created_id(await check(world, kept_placement, iso(-150)))
    created_id(await check(world, kept_placement, iso(0)))
    created_id(
        await check(world, let_go_placement, iso(-150), still_employed=False, reason="dismissed")
    )
    created_id(
        await world.command(
            f"/api/v1/placements/{resigned_placement}/end",
            {"ended_on": iso(-50), "reason": "resigned"},
        )
    )

    record = await world.get(f"/api/v1/employers/{employer_id}/record")

    assert record == {
        "employer_id": str(employer_id),
        "bapas_code": "balikpapan",
        "hires": 3,
        "active": 1,
        "six_weeks": {"checked": 2, "still_employed": 1},
        "six_months": {"checked": 1, "still_employed": 1},
        "ended_by_reason": {
            "resigned": 1,
            "dismissed": 1,
            "contract_ended": 0,
            "reoffended": 0,
            "revoked": 0,
            "moved": 0,
            "other": 0,
        },
    }
    listed = await world.get("/api/v1/placements", employer_id=str(employer_id), status="active")
    assert [item["id"] for item in listed["items"]] == [str(kept_placement)]


# -- concurrent commands ---------------------------------------------------------------


async def test_concurrent_placements_of_one_klien_place_it_once(world: World) -> None:
    employers = [await world.employer() for _ in range(4)]
    klien = await world.klien()
    await world.until_learnt({klien.client_id: "under_supervision"})

    answers = await asyncio.gather(
        *(world.place(klien.client_id, employer_id) for employer_id in employers)
    )

    assert sorted(answer.status_code for answer in answers) == [201, 409, 409, 409]
    placements = await world.get("/api/v1/placements", client_id=str(klien.client_id))
    assert [item["status"] for item in placements["items"]] == ["active"]


async def test_concurrent_placements_into_the_last_position_take_it_once(world: World) -> None:
    employer_id = await world.employer()
    vacancy_id = await world.vacancy(employer_id, positions=1)
    klien = [await world.klien() for _ in range(4)]
    await world.until_learnt({k.client_id: "under_supervision" for k in klien})

    answers = await asyncio.gather(
        *(world.place(k.client_id, employer_id, vacancy_id) for k in klien)
    )

    assert sorted(answer.status_code for answer in answers) == [201, 409, 409, 409]
    vacancy = await world.get(f"/api/v1/vacancies/{vacancy_id}")
    assert (vacancy["placed"], vacancy["status"]) == (1, "filled")
