"""Klien released into integration: their record, the validation of what is entered,
and the outcomes recorded along the supervision."""

from __future__ import annotations

import base64
from typing import Any
from uuid import UUID

import httpx

from tests.enrolment.helpers import OFFICER, client_body, days, officer, release_client


async def _client(api: httpx.AsyncClient, client_id: UUID) -> dict[str, Any]:
    response = await api.get(f"/api/v1/clients/{client_id}", headers=OFFICER)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_released_klien_is_under_supervision_with_the_profile_for_the_officer(
    api: httpx.AsyncClient,
) -> None:
    body = client_body()
    response = await api.post("/api/v1/clients", json=body, headers=OFFICER)

    assert response.status_code == 201, response.text
    client_id = response.json()["id"]
    assert response.headers["Location"] == f"/api/v1/clients/{client_id}"
    shown = await _client(api, UUID(client_id))
    assert (shown["status"], shown["register_number"], shown["profile"]) == (
        "under_supervision",
        body["register_number"],
        body["profile"],
    )


async def test_a_nik_that_is_not_16_digits_is_refused_naming_the_field(
    api: httpx.AsyncClient,
) -> None:
    body = client_body()
    body["profile"]["nik"] = "640123456789012"  # 15 digits

    response = await api.post("/api/v1/clients", json=body, headers=OFFICER)

    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["body.profile.nik"]
    assert "640123456789012" not in response.text


async def test_supervision_ending_before_the_release_is_refused_naming_the_field(
    api: httpx.AsyncClient,
) -> None:
    body = client_body(released_on=days(-10).isoformat(), supervision_ends_on=days(-20).isoformat())

    response = await api.post("/api/v1/clients", json=body, headers=OFFICER)

    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["body.supervision_ends_on"]


async def test_unknown_codes_are_refused_naming_each_field(api: httpx.AsyncClient) -> None:
    body = client_body(integration_type="PAROLE")
    body["bapas_code"] = "atlantis"

    response = await api.post("/api/v1/clients", json=body, headers=OFFICER)

    assert response.status_code == 422
    assert {error["field"] for error in response.json()["errors"]} == {
        "body.bapas_code",
        "body.integration_type",
    }


async def test_a_nik_already_registered_at_the_bapas_is_a_conflict(
    api: httpx.AsyncClient,
) -> None:
    first = client_body()
    await api.post("/api/v1/clients", json=first, headers=OFFICER)
    second = client_body()
    second["profile"]["nik"] = first["profile"]["nik"]

    response = await api.post("/api/v1/clients", json=second, headers=OFFICER)

    assert response.status_code == 409
    assert "NIK is already registered" in response.json()["detail"]
    assert first["profile"]["nik"] not in response.text


async def test_the_same_nik_may_be_registered_at_another_bapas(api: httpx.AsyncClient) -> None:
    first = client_body()
    await api.post("/api/v1/clients", json=first, headers=OFFICER)
    elsewhere = client_body("samarinda")
    elsewhere["profile"]["nik"] = first["profile"]["nik"]

    response = await api.post("/api/v1/clients", json=elsewhere, headers=officer("samarinda"))

    assert response.status_code == 201, response.text


async def test_employment_and_reoffence_are_recorded_on_the_klien(
    api: httpx.AsyncClient,
) -> None:
    client_id = await release_client(api)

    employed = await api.post(
        f"/api/v1/clients/{client_id}/employment",
        json={
            "employment_kind": "employed",
            "employer_name": "CV Sejuk Abadi",
            "started_on": days(-1).isoformat(),
            "skill": "ac_repair",
        },
        headers=OFFICER,
    )
    reoffended = await api.post(
        f"/api/v1/clients/{client_id}/reoffence",
        json={"recorded_on": days(0).isoformat()},
        headers=OFFICER,
    )

    assert (employed.status_code, reoffended.status_code) == (201, 201)
    shown = await _client(api, client_id)
    assert shown["employments"] == [
        {
            "employment_kind": "employed",
            "employer_name": "CV Sejuk Abadi",
            "started_on": days(-1).isoformat(),
            "skill": "ac_repair",
        }
    ]
    assert shown["reoffences"] == [{"recorded_on": days(0).isoformat(), "note": None}]
    assert shown["version"] == 4  # released, default schedule, employment, re-offence


async def test_employment_before_the_release_is_refused_naming_the_field(
    api: httpx.AsyncClient,
) -> None:
    client_id = await release_client(api, released_on=days(-5).isoformat())

    response = await api.post(
        f"/api/v1/clients/{client_id}/employment",
        json={"employment_kind": "self_employed", "started_on": days(-6).isoformat()},
        headers=OFFICER,
    )

    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["body.started_on"]


async def test_ending_the_supervision_makes_the_klien_supervision_ended(
    api: httpx.AsyncClient,
) -> None:
    client_id = await release_client(api)

    response = await api.post(
        f"/api/v1/clients/{client_id}/supervision-end",
        json={"ended_on": days(0).isoformat(), "outcome": "completed"},
        headers=OFFICER,
    )

    assert response.status_code == 201, response.text
    shown = await _client(api, client_id)
    assert (shown["status"], shown["supervision_outcome"]) == ("supervision_ended", "completed")


async def test_a_supervision_cannot_end_twice(api: httpx.AsyncClient) -> None:
    client_id = await release_client(api)
    end = {"ended_on": days(0).isoformat(), "outcome": "revoked"}
    await api.post(f"/api/v1/clients/{client_id}/supervision-end", json=end, headers=OFFICER)

    response = await api.post(
        f"/api/v1/clients/{client_id}/supervision-end", json=end, headers=OFFICER
    )

    assert response.status_code == 409
    assert "supervision" in response.json()["detail"]


async def test_clients_are_listed_by_bapas_and_status(api: httpx.AsyncClient) -> None:
    ended = await release_client(api, "jayapura")
    active = await release_client(api, "jayapura")
    await api.post(
        f"/api/v1/clients/{ended}/supervision-end",
        json={"ended_on": days(0, "jayapura").isoformat(), "outcome": "completed"},
        headers=officer("jayapura"),
    )

    response = await api.get(
        "/api/v1/clients",
        params={"bapas_code": "jayapura", "status": "under_supervision", "limit": 500},
        headers=officer("jayapura"),
    )

    assert response.status_code == 200
    listed = {item["client_id"] for item in response.json()["items"]}
    assert str(active) in listed
    assert str(ended) not in listed
    assert all("profile" not in item for item in response.json()["items"])


async def test_the_pages_of_a_list_show_each_klien_once(api: httpx.AsyncClient) -> None:
    released = {await release_client(api, "makassar") for _ in range(5)}
    shown: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"bapas_code": "makassar", "limit": 2}
        if cursor is not None:
            params["cursor"] = cursor
        page = (await api.get("/api/v1/clients", params=params, headers=officer("makassar"))).json()
        shown.extend(item["client_id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert len(shown) == len(set(shown))
    assert {str(client_id) for client_id in released} <= set(shown)


async def test_a_cursor_this_list_never_gave_out_is_refused(api: httpx.AsyncClient) -> None:
    forged = base64.urlsafe_b64encode(b"99999999999999999999999").decode()

    response = await api.get("/api/v1/clients", params={"cursor": forged}, headers=OFFICER)

    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["query.cursor"]
