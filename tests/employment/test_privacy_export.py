"""``bapas privacy export``'s gathering, against the running enrolment and employment
services: one document with each service's export of the klien, ``null`` where a
service holds nothing, and a refusal when the token is not the klien's officer's."""

from __future__ import annotations

import pytest

from shared.cli.privacy import ExportRefused, gather_export
from shared.http import Role
from tests.employment.helpers import World
from tests.support.service_app import bearer


def officer_token(bapas_code: str) -> str:
    return bearer(Role.BAPAS_OFFICER, bapas=bapas_code, sub=f"pk-{bapas_code}")[
        "Authorization"
    ].removeprefix("Bearer ")


async def test_the_exports_of_every_service_are_gathered_into_one_document(
    world: World,
) -> None:
    placed = await world.klien()
    await world.placement(placed.client_id, await world.employer())
    services = {"enrolment": world.enrolment, "employment": world.api}

    document = await gather_export(services, placed.client_id, officer_token("balikpapan"))

    assert document["client_id"] == str(placed.client_id)
    enrolment, employment = document["services"]["enrolment"], document["services"]["employment"]
    assert enrolment["klien"]["profile"]["nik"] == placed.nik
    assert [p["client_id"] for p in employment["placements"]] == [str(placed.client_id)]


async def test_another_office_s_officer_learns_nothing_and_the_ministry_is_refused(
    world: World,
) -> None:
    klien = await world.klien()
    await world.until_learnt({klien.client_id: "under_supervision"})
    services = {"enrolment": world.enrolment, "employment": world.api}

    document = await gather_export(services, klien.client_id, officer_token("samarinda"))
    with pytest.raises(ExportRefused, match="403"):
        await gather_export(services, klien.client_id, bearer(Role.MINISTRY)["Authorization"][7:])

    assert document["services"] == {"enrolment": None, "employment": None}
