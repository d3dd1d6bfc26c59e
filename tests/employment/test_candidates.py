"""The candidates of a vacancy, as the officers of its Bapas see them: klien of that
Bapas, under supervision, with a completed training assessed competent in the vacancy's
skill, and no open placement; learnt from the enrolment and pokmas events, answered
with ``client_id`` and ``register_number`` and nothing else."""

from __future__ import annotations

import json
from uuid import UUID

import asyncpg

from shared.http import Role
from tests.employment.helpers import OFFICER, World
from tests.enrolment.helpers import officer
from tests.hardening.probes import assert_problem
from tests.support.service_app import bearer


async def candidate_ids(world: World, vacancy_id: UUID) -> set[UUID]:
    items = await world.every_item(f"/api/v1/vacancies/{vacancy_id}/candidates")
    return {UUID(item["client_id"]) for item in items}


async def test_only_trained_competent_supervised_unplaced_klien_of_the_office_are_candidates(
    world: World,
) -> None:
    employer_id = await world.employer()
    vacancy_id = await world.vacancy(employer_id, skill="ac_repair")
    candidate, candidate_enrolment = await world.trained_klien()
    placed, placed_enrolment = await world.trained_klien()
    ended, ended_enrolment = await world.trained_klien()
    not_competent, not_competent_enrolment = await world.trained_klien(
        assessment="not_yet_competent"
    )
    other_skill, other_skill_enrolment = await world.trained_klien(skill="car_upholstery")
    elsewhere, elsewhere_enrolment = await world.trained_klien("samarinda")
    untrained = await world.klien()
    await world.end_supervision(ended)
    await world.placement(placed.client_id, await world.employer())

    await world.until_learnt(
        {
            candidate.client_id: "under_supervision",
            placed.client_id: "under_supervision",
            ended.client_id: "supervision_ended",
            not_competent.client_id: "under_supervision",
            other_skill.client_id: "under_supervision",
            elsewhere.client_id: "under_supervision",
            untrained.client_id: "under_supervision",
        },
        completions=[
            candidate_enrolment,
            placed_enrolment,
            ended_enrolment,
            not_competent_enrolment,
            other_skill_enrolment,
            elsewhere_enrolment,
        ],
        programmes=[
            await world.programme(),
            await world.programme(skill="car_upholstery"),
            await world.programme("samarinda"),
        ],
    )
    found = await candidate_ids(world, vacancy_id)

    assert candidate.client_id in found
    not_candidates = {
        "placed elsewhere": placed,
        "supervision ended": ended,
        "not yet competent": not_competent,
        "trained in another skill": other_skill,
        "of another Bapas": elsewhere,
        "never trained": untrained,
    }
    assert {why for why, klien in not_candidates.items() if klien.client_id in found} == set()


async def test_a_candidate_is_shown_by_client_id_and_register_number_alone(world: World) -> None:
    vacancy_id = await world.vacancy(await world.employer())
    klien, enrolment_id = await world.trained_klien()
    await world.until_learnt(
        {klien.client_id: "under_supervision"},
        completions=[enrolment_id],
        programmes=[await world.programme()],
    )

    items = await world.every_item(f"/api/v1/vacancies/{vacancy_id}/candidates")

    [shown] = [item for item in items if item["client_id"] == str(klien.client_id)]
    assert shown == {"client_id": str(klien.client_id), "register_number": klien.register_number}


async def test_a_candidate_placed_through_the_vacancy_is_a_candidate_no_more(world: World) -> None:
    employer_id = await world.employer()
    vacancy_id = await world.vacancy(employer_id)
    klien, enrolment_id = await world.trained_klien()
    await world.until_learnt(
        {klien.client_id: "under_supervision"},
        completions=[enrolment_id],
        programmes=[await world.programme()],
    )
    assert klien.client_id in await candidate_ids(world, vacancy_id)

    await world.placement(klien.client_id, employer_id, vacancy_id=vacancy_id)

    assert klien.client_id not in await candidate_ids(world, vacancy_id)


async def test_a_training_in_the_vacancy_s_skill_makes_a_candidate_of_another_skill_s_vacancy_not(
    world: World,
) -> None:
    employer_id = await world.employer()
    upholstery = await world.vacancy(employer_id, skill="car_upholstery")
    ac_repair = await world.vacancy(employer_id, skill="ac_repair")
    klien, enrolment_id = await world.trained_klien(skill="car_upholstery")
    await world.until_learnt(
        {klien.client_id: "under_supervision"},
        completions=[enrolment_id],
        programmes=[await world.programme(skill="car_upholstery")],
    )

    assert klien.client_id in await candidate_ids(world, upholstery)
    assert klien.client_id not in await candidate_ids(world, ac_repair)


async def test_only_the_officers_of_the_vacancy_s_bapas_see_its_candidates(world: World) -> None:
    vacancy_id = await world.vacancy(await world.employer())
    path = f"/api/v1/vacancies/{vacancy_id}/candidates"

    assert (await world.api.get(path, headers=OFFICER)).status_code == 200
    for reader in (
        bearer(Role.MINISTRY, sub="kemenkumham"),
        bearer(Role.REGIONAL, province="kalimantan-timur", sub="kanwil-kaltim"),
    ):
        assert_problem(await world.api.get(path, headers=reader), 403)
    for outsider in (
        officer("samarinda"),
        bearer(Role.REGIONAL, province="jawa-timur", sub="kanwil-jatim"),
        (await world.programme()).partner,
    ):
        assert_problem(await world.api.get(path, headers=outsider), 404)


async def test_a_posted_vacancy_records_how_many_candidates_it_had(
    world: World, database: asyncpg.Connection
) -> None:
    klien, enrolment_id = await world.trained_klien()
    await world.until_learnt(
        {klien.client_id: "under_supervision"},
        completions=[enrolment_id],
        programmes=[await world.programme()],
    )
    employer_id = await world.employer()

    vacancy_id = await world.vacancy(employer_id, skill="ac_repair")
    listed = await world.every_item(f"/api/v1/vacancies/{vacancy_id}/candidates")
    none_yet = await world.vacancy(employer_id, skill="interior_design")

    recorded = {
        row["aggregate_id"]: json.loads(row["envelope"])["payload"]["candidates"]
        for row in await database.fetch(
            "SELECT aggregate_id, envelope::text AS envelope FROM events"
            " WHERE aggregate_id = ANY($1::uuid[])",
            [vacancy_id, none_yet],
        )
    }
    assert recorded[vacancy_id] == len(listed) >= 1
    assert recorded[none_yet] == len(
        await world.every_item(f"/api/v1/vacancies/{none_yet}/candidates")
    )
