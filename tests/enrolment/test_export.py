"""A klien's subject-access export from the enrolment service: everything the API shows
of the klien is in it, exactly as shown, and nothing of another klien; only the
klien's own officers get it, and getting it is recorded in the access log."""

from __future__ import annotations

import json
from typing import Any

import httpx

from shared.http import Role
from tests.enrolment.helpers import PokmasFeed, enrolled_klien, officer, release_client
from tests.support.service_app import bearer


async def shown(api: httpx.AsyncClient, path: str) -> Any:
    response = await api.get(f"/api/v1{path}", headers=officer())
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_export_holds_what_the_api_shows_of_the_klien_and_nothing_of_another(
    api: httpx.AsyncClient, feed: PokmasFeed
) -> None:
    programme = await feed.open_programme()
    client_id, enrolment_id = await enrolled_klien(api, programme)
    someone_else, their_enrolment = await enrolled_klien(api, programme)
    await api.post(
        f"/api/v1/clients/{client_id}/reoffence",
        json={"recorded_on": programme.starts_on.isoformat(), "note": "Catatan polisi"},
        headers=officer(),
    )

    klien = await shown(api, f"/clients/{client_id}")
    due_dates = await shown(api, f"/clients/{client_id}/reports")
    enrolments = [await shown(api, f"/enrolments/{enrolment_id}")]
    export = await shown(api, f"/clients/{client_id}/export")

    assert export["service"] == "enrolment"
    assert export["klien"] == klien
    assert export["klien"]["profile"]["nik"]
    assert export["due_dates"] == due_dates
    assert export["enrolments"] == enrolments
    assert [e["route"] for e in export["access_log"]][-1] == "/api/v1/clients/{client_id}/export"
    other = await shown(api, f"/clients/{someone_else}")
    text = json.dumps(export)
    for foreign in (
        str(someone_else),
        str(their_enrolment),
        other["profile"]["nik"],
        other["profile"]["full_name"],
    ):
        assert foreign not in text


async def test_only_the_klien_s_officers_export_and_each_export_is_recorded(
    api: httpx.AsyncClient,
) -> None:
    client_id = await release_client(api)
    path = f"/api/v1/clients/{client_id}/export"

    ministry = await api.get(path, headers=bearer(Role.MINISTRY))
    another_office = await api.get(path, headers=officer("samarinda"))
    exported = await api.get(path, headers=officer())

    assert ministry.status_code == 403
    assert another_office.status_code == 404
    assert exported.status_code == 200
    log = await api.get(f"/api/v1/clients/{client_id}/access-log", headers=officer())
    assert [(e["role"], e["route"]) for e in log.json()["items"]] == [
        ("bapas_officer", "/api/v1/clients/{client_id}/export")
    ]
