"""A klien's subject-access export from the employment service: its placements exactly
as the API shows them, and nothing of another klien; only the klien's own officers get
it, and the export is recorded in the access log."""

from __future__ import annotations

import json

from shared.http import Role
from tests.employment.helpers import World
from tests.enrolment.helpers import officer
from tests.support.service_app import bearer


async def test_the_export_holds_the_klien_s_placements_and_nothing_of_another(
    world: World,
) -> None:
    employer_id = await world.employer()
    klien = await world.klien()
    someone_else = await world.klien()
    placement_id = await world.placement(klien.client_id, employer_id)
    their_placement = await world.placement(someone_else.client_id, employer_id)

    shown = await world.get(f"/api/v1/placements/{placement_id}")
    export = await world.get(f"/api/v1/clients/{klien.client_id}/export")

    assert export["service"] == "employment"
    assert export["klien"]["register_number"] == klien.register_number
    assert export["placements"] == [shown]
    text = json.dumps(export)
    for foreign in (str(someone_else.client_id), str(their_placement), someone_else.nik):
        assert foreign not in text
    assert [e["route"] for e in export["access_log"]] == ["/api/v1/clients/{client_id}/export"]


async def test_only_the_klien_s_officers_export(world: World) -> None:
    klien = await world.klien()
    await world.until_learnt({klien.client_id: "under_supervision"})
    path = f"/api/v1/clients/{klien.client_id}/export"

    ministry = await world.api.get(path, headers=bearer(Role.MINISTRY))
    another_office = await world.api.get(path, headers=officer("samarinda"))

    assert ministry.status_code == 403
    assert another_office.status_code == 404
