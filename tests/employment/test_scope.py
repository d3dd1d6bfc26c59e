"""Who sees and changes what in the employment service: the ministry everything, a
regional office its province, an officer its own Bapas, a Pokmas partner nothing (empty
lists, 404 for items); writes by the officers of the item's Bapas alone (403 for
anyone else)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest

from shared.http import Role
from tests.employment.helpers import OFFICER, World, employer_body
from tests.enrolment.helpers import days, officer
from tests.hardening.probes import assert_problem
from tests.support.service_app import bearer

MINISTRY = bearer(Role.MINISTRY, sub="kemenkumham")
KALTIM = bearer(Role.REGIONAL, province="kalimantan-timur", sub="kanwil-kaltim")
JATIM = bearer(Role.REGIONAL, province="jawa-timur", sub="kanwil-jatim")
SAMARINDA = officer("samarinda")


@dataclass(frozen=True)
class Office:
    """One employer of Balikpapan with a vacancy and a placement."""

    employer_id: UUID
    vacancy_id: UUID
    placement_id: UUID

    @property
    def items(self) -> list[str]:
        return [
            f"/api/v1/employers/{self.employer_id}",
            f"/api/v1/employers/{self.employer_id}/record",
            f"/api/v1/vacancies/{self.vacancy_id}",
            f"/api/v1/placements/{self.placement_id}",
        ]

    def lists(self) -> dict[str, tuple[str, str]]:
        """Each list, with the id field its items carry and this office's item in it."""
        return {
            "/api/v1/employers": ("employer_id", str(self.employer_id)),
            "/api/v1/vacancies": ("vacancy_id", str(self.vacancy_id)),
            "/api/v1/placements": ("id", str(self.placement_id)),
        }

    def writes(self, client_id: UUID) -> list[tuple[str, dict[str, Any]]]:
        today = days(0).isoformat()
        return [
            ("/api/v1/employers", employer_body("balikpapan")),
            (f"/api/v1/employers/{self.employer_id}/pledge", {"signed_on": today}),
            (
                f"/api/v1/employers/{self.employer_id}/vacancies",
                {
                    "title": "Penjahit",
                    "skill": "sewing",
                    "positions": 1,
                    "opens_on": today,
                    "closes_on": today,
                },
            ),
            (f"/api/v1/vacancies/{self.vacancy_id}/closure", {"closed_on": today, "reason": "x"}),
            (
                "/api/v1/placements",
                {
                    "client_id": str(client_id),
                    "employer_id": str(self.employer_id),
                    "started_on": today,
                    "kind": "apprenticeship",
                },
            ),
            (
                f"/api/v1/placements/{self.placement_id}/checks",
                {"checked_on": today, "still_employed": True},
            ),
            (f"/api/v1/placements/{self.placement_id}/end", {"ended_on": today, "reason": "other"}),
        ]


@pytest.fixture(scope="module")
async def office(world: World) -> Office:
    employer_id = await world.employer()
    vacancy_id = await world.vacancy(employer_id)
    klien = await world.klien()
    placement_id = await world.placement(klien.client_id, employer_id)
    return Office(employer_id, vacancy_id, placement_id)


async def listed(world: World, path: str, headers: dict[str, str], id_field: str) -> set[str]:
    return {item[id_field] for item in await world.every_item(path, headers)}


@pytest.mark.parametrize(
    ("who", "headers"),
    [("ministry", MINISTRY), ("regional office of the province", KALTIM), ("officer", OFFICER)],
)
async def test_readers_in_scope_see_every_item_and_list_of_the_office(
    world: World, office: Office, who: str, headers: dict[str, str]
) -> None:
    for path in office.items:
        assert (await world.api.get(path, headers=headers)).status_code == 200, (who, path)
    for path, (id_field, item_id) in office.lists().items():
        assert item_id in await listed(world, f"{path}?bapas_code=balikpapan", headers, id_field)


@pytest.mark.parametrize(
    ("who", "headers"),
    [("officer of another Bapas", SAMARINDA), ("regional office of another province", JATIM)],
)
async def test_readers_outside_the_office_see_nothing_of_it(
    world: World, office: Office, who: str, headers: dict[str, str]
) -> None:
    for path in office.items:
        assert_problem(await world.api.get(path, headers=headers), 404)
    for path, (id_field, item_id) in office.lists().items():
        assert item_id not in await listed(world, path, headers, id_field), (who, path)
        assert await listed(world, f"{path}?bapas_code=balikpapan", headers, id_field) == set()


async def test_a_pokmas_partner_sees_nothing_of_the_employment_service(
    world: World, office: Office
) -> None:
    partner = (await world.programme()).partner

    for path in office.items:
        assert_problem(await world.api.get(path, headers=partner), 404)
    for path in office.lists():
        page = await world.get(path, partner)
        assert page == {"items": [], "next_cursor": None}


@pytest.mark.parametrize(
    ("who", "headers"),
    [
        ("officer of another Bapas", SAMARINDA),
        ("ministry", MINISTRY),
        ("regional office", KALTIM),
        ("pokmas partner", None),
    ],
)
async def test_only_the_office_s_officers_write(
    world: World, office: Office, who: str, headers: dict[str, str] | None
) -> None:
    caller = headers or (await world.programme()).partner
    klien = await world.klien()
    before = await world.get(f"/api/v1/placements/{office.placement_id}")

    for path, body in office.writes(klien.client_id):
        response = await world.api.post(path, json=body, headers=caller)
        assert_problem(response, 403)

    assert await world.get(f"/api/v1/placements/{office.placement_id}") == before
    assert await world.get("/api/v1/placements", client_id=str(klien.client_id)) == {
        "items": [],
        "next_cursor": None,
    }
