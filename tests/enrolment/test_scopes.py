"""Who may read and change what (the API contract, authentication and scope): reads outside the
caller's scope answer 404, writes 403; profiles only for the officers of the klien's
Bapas; a Pokmas partner sees only the enrolments in its own programmes, with the
trainee's name and never a NIK."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from shared.http import Role
from tests.enrolment.helpers import (
    OFFICER,
    PokmasFeed,
    attendance_body,
    client_body,
    enrol,
    enrolled_klien,
    officer,
    release_client,
    today,
)
from tests.support.service_app import bearer

MINISTRY = bearer(Role.MINISTRY, sub="kemenkumham")
KALTIM = bearer(Role.REGIONAL, province="kalimantan-timur", sub="kanwil-kaltim")
PAPUA = bearer(Role.REGIONAL, province="papua", sub="kanwil-papua")
SAMARINDA = officer("samarinda")


async def _released_with_profile(api: httpx.AsyncClient) -> tuple[UUID, dict[str, Any]]:
    body = client_body()
    response = await api.post("/api/v1/clients", json=body, headers=OFFICER)
    assert response.status_code == 201, response.text
    return UUID(response.json()["id"]), body["profile"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/clients"),
        ("GET", "/api/v1/clients"),
        ("GET", "/api/v1/clients/{id}"),
        ("DELETE", "/api/v1/clients/{id}/profile"),
        ("POST", "/api/v1/clients/{id}/enrolments"),
        ("POST", "/api/v1/clients/{id}/employment"),
        ("POST", "/api/v1/clients/{id}/reoffence"),
        ("POST", "/api/v1/clients/{id}/supervision-end"),
        ("GET", "/api/v1/enrolments"),
        ("GET", "/api/v1/enrolments/{id}"),
        ("POST", "/api/v1/enrolments/{id}/attendance"),
        ("POST", "/api/v1/enrolments/{id}/completion"),
        ("POST", "/api/v1/enrolments/{id}/withdrawal"),
    ],
)
async def test_every_endpoint_needs_a_token(api: httpx.AsyncClient, method: str, path: str) -> None:
    response = await api.request(method, path.format(id=uuid4()), json={})

    assert response.status_code == 401


async def test_the_ministry_reads_a_klien_without_the_profile(api: httpx.AsyncClient) -> None:
    client_id, _ = await _released_with_profile(api)

    response = await api.get(f"/api/v1/clients/{client_id}", headers=MINISTRY)

    assert response.status_code == 200
    assert response.json()["profile"] is None


async def test_the_regional_office_reads_a_klien_of_its_province_without_the_profile(
    api: httpx.AsyncClient,
) -> None:
    client_id, _ = await _released_with_profile(api)

    response = await api.get(f"/api/v1/clients/{client_id}", headers=KALTIM)

    assert response.status_code == 200
    assert response.json()["profile"] is None


async def test_a_regional_office_of_another_province_gets_404(api: httpx.AsyncClient) -> None:
    client_id, _ = await _released_with_profile(api)

    response = await api.get(f"/api/v1/clients/{client_id}", headers=PAPUA)

    assert response.status_code == 404


async def test_a_regional_office_lists_only_the_klien_of_its_province(
    api: httpx.AsyncClient,
) -> None:
    ours = await release_client(api)
    theirs = await release_client(api, "jayapura")

    response = await api.get("/api/v1/clients", params={"limit": 500}, headers=PAPUA)

    listed = {item["client_id"] for item in response.json()["items"]}
    assert str(theirs) in listed
    assert str(ours) not in listed


async def test_an_officer_of_another_bapas_cannot_read_the_klien(api: httpx.AsyncClient) -> None:
    client_id, _ = await _released_with_profile(api)

    response = await api.get(f"/api/v1/clients/{client_id}", headers=SAMARINDA)

    assert response.status_code == 404


async def test_an_officer_of_another_bapas_cannot_record_for_the_klien(
    api: httpx.AsyncClient,
) -> None:
    client_id, _ = await _released_with_profile(api)

    response = await api.post(
        f"/api/v1/clients/{client_id}/reoffence",
        json={"recorded_on": today().isoformat()},
        headers=SAMARINDA,
    )

    assert response.status_code == 403


async def test_an_officer_cannot_release_a_klien_into_another_bapas(
    api: httpx.AsyncClient,
) -> None:
    response = await api.post("/api/v1/clients", json=client_body("samarinda"), headers=OFFICER)

    assert response.status_code == 403


async def test_the_ministry_cannot_record_anything(api: httpx.AsyncClient) -> None:
    client_id, _ = await _released_with_profile(api)

    response = await api.post(
        f"/api/v1/clients/{client_id}/supervision-end",
        json={"ended_on": today().isoformat(), "outcome": "completed"},
        headers=MINISTRY,
    )

    assert response.status_code == 403


async def test_a_partner_sees_the_trainee_name_and_no_nik(
    api: httpx.AsyncClient, feed: PokmasFeed
) -> None:
    programme = await feed.open_programme()
    client_id, profile = await _released_with_profile(api)
    enrolled = await enrol(api, client_id, programme)

    response = await api.get(
        f"/api/v1/enrolments/{enrolled.json()['id']}", headers=programme.partner
    )

    assert response.status_code == 200
    assert response.json()["trainee_name"] == profile["full_name"]
    assert profile["nik"] not in response.text


async def test_the_ministry_sees_no_trainee_name(api: httpx.AsyncClient, feed: PokmasFeed) -> None:
    programme = await feed.open_programme()
    _, enrolment_id = await enrolled_klien(api, programme)

    response = await api.get(f"/api/v1/enrolments/{enrolment_id}", headers=MINISTRY)

    assert response.status_code == 200
    assert response.json()["trainee_name"] is None


async def test_a_partner_cannot_read_a_klien_record(
    api: httpx.AsyncClient, feed: PokmasFeed
) -> None:
    programme = await feed.open_programme()
    client_id, _ = await enrolled_klien(api, programme)

    single = await api.get(f"/api/v1/clients/{client_id}", headers=programme.partner)
    listed = await api.get("/api/v1/clients", headers=programme.partner)

    assert single.status_code == 404
    assert listed.json()["items"] == []


async def test_a_partner_lists_only_the_enrolments_in_its_own_programmes(
    api: httpx.AsyncClient, feed: PokmasFeed
) -> None:
    ours = await feed.open_programme()
    theirs = await feed.open_programme()
    _, our_enrolment = await enrolled_klien(api, ours)
    await enrolled_klien(api, theirs)

    response = await api.get("/api/v1/enrolments", params={"limit": 500}, headers=ours.partner)

    assert [item["enrolment_id"] for item in response.json()["items"]] == [str(our_enrolment)]


async def test_a_partner_gets_404_for_an_enrolment_in_another_pokmas_programme(
    api: httpx.AsyncClient, feed: PokmasFeed
) -> None:
    ours = await feed.open_programme()
    theirs = await feed.open_programme()
    _, their_enrolment = await enrolled_klien(api, theirs)

    response = await api.get(f"/api/v1/enrolments/{their_enrolment}", headers=ours.partner)

    assert response.status_code == 404


async def test_a_partner_records_attendance_in_its_own_programme(
    api: httpx.AsyncClient, feed: PokmasFeed
) -> None:
    programme = await feed.open_programme()
    _, enrolment_id = await enrolled_klien(api, programme)

    response = await api.post(
        f"/api/v1/enrolments/{enrolment_id}/attendance",
        json=attendance_body(1, programme),
        headers=programme.partner,
    )

    assert response.status_code == 201, response.text


async def test_a_partner_cannot_record_attendance_in_another_pokmas_programme(
    api: httpx.AsyncClient, feed: PokmasFeed
) -> None:
    ours = await feed.open_programme()
    theirs = await feed.open_programme()
    _, their_enrolment = await enrolled_klien(api, theirs)

    response = await api.post(
        f"/api/v1/enrolments/{their_enrolment}/attendance",
        json=attendance_body(1, theirs),
        headers=ours.partner,
    )

    assert response.status_code == 403


async def test_a_partner_cannot_enrol_a_klien(api: httpx.AsyncClient, feed: PokmasFeed) -> None:
    programme = await feed.open_programme()
    client_id = await release_client(api)

    response = await enrol(api, client_id, programme, headers=programme.partner)

    assert response.status_code == 403


async def test_a_partner_cannot_erase_a_profile(api: httpx.AsyncClient, feed: PokmasFeed) -> None:
    programme = await feed.open_programme()
    client_id, _ = await enrolled_klien(api, programme)

    response = await api.delete(f"/api/v1/clients/{client_id}/profile", headers=programme.partner)

    assert response.status_code == 403
