"""Who looked at a klien's personal data: each read that shows the profile, or the
trainee's name, adds an entry naming the caller, the route and the request's
correlation id; the Bapas's officers and the ministry read the entries; nothing can
change or delete one, through the API or in the database."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest

from shared.http import Role
from tests.enrolment.helpers import PokmasFeed, days, enrolled_klien, officer, release_client
from tests.support.service_app import bearer

MINISTRY = bearer(Role.MINISTRY)


async def access_log(
    api: httpx.AsyncClient, client_id: UUID, headers: dict[str, str]
) -> list[dict[str, Any]]:
    response = await api.get(f"/api/v1/clients/{client_id}/access-log", headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_each_profile_read_adds_an_entry_with_the_caller(api: httpx.AsyncClient) -> None:
    client_id = await release_client(api)
    correlation_ids = [uuid4(), uuid4()]

    for correlation_id in correlation_ids:
        read = await api.get(
            f"/api/v1/clients/{client_id}",
            headers=officer() | {"X-Correlation-ID": str(correlation_id)},
        )
        assert read.json()["profile"] is not None
    await api.get(f"/api/v1/clients/{client_id}", headers=MINISTRY)  # no profile: no entry

    entries = await access_log(api, client_id, MINISTRY)
    assert [
        (e["role"], e["sub"], e["method"], e["route"], e["correlation_id"]) for e in entries
    ] == [
        ("bapas_officer", "pk-balikpapan", "GET", "/api/v1/clients/{client_id}", str(c))
        for c in reversed(correlation_ids)  # the latest first
    ]


async def test_the_trainee_name_a_partner_sees_is_a_read_of_the_profile(
    api: httpx.AsyncClient, feed: PokmasFeed
) -> None:
    programme = await feed.open_programme()
    client_id, enrolment_id = await enrolled_klien(api, programme)

    shown = await api.get(f"/api/v1/enrolments/{enrolment_id}", headers=programme.partner)

    assert shown.json()["trainee_name"]
    [entry] = await access_log(api, client_id, officer())
    assert entry["role"] == "pokmas_partner"
    assert entry["route"] == "/api/v1/enrolments/{enrolment_id}"


@pytest.mark.parametrize(
    "caller",
    [
        officer("samarinda"),
        bearer(Role.REGIONAL, province="kalimantan-timur"),
        bearer(Role.SERVICE),
    ],
    ids=["another office's officer", "regional", "service"],
)
async def test_only_the_klien_s_officers_and_the_ministry_read_the_log(
    api: httpx.AsyncClient, caller: dict[str, str]
) -> None:
    client_id = await release_client(api)

    refused = await api.get(f"/api/v1/clients/{client_id}/access-log", headers=caller)
    unknown = await api.get(f"/api/v1/clients/{uuid4()}/access-log", headers=MINISTRY)

    assert refused.status_code == 404
    assert unknown.status_code == 404


async def test_no_route_changes_the_log(api: httpx.AsyncClient) -> None:
    client_id = await release_client(api)
    await api.get(f"/api/v1/clients/{client_id}", headers=officer())
    path = f"/api/v1/clients/{client_id}/access-log"

    answers = [
        await api.request(method, path, headers=officer(), json={})
        for method in ("POST", "PUT", "PATCH", "DELETE")
    ]

    assert {answer.status_code for answer in answers} == {405}
    routes = (await api.get("/openapi.json")).json()["paths"]
    assert set(routes["/api/v1/clients/{client_id}/access-log"]) == {"get"}
    assert len(await access_log(api, client_id, officer())) == 1


async def test_the_database_refuses_to_change_or_delete_an_entry(
    api: httpx.AsyncClient, database: asyncpg.Connection
) -> None:
    client_id = await release_client(api)
    await api.get(f"/api/v1/clients/{client_id}", headers=officer())

    for statement in (
        "UPDATE client_access_log SET sub = 'someone else' WHERE client_id = $1",
        "DELETE FROM client_access_log WHERE client_id = $1",
    ):
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await database.execute(statement, client_id)
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
        await database.execute("TRUNCATE client_access_log")

    assert len(await access_log(api, client_id, officer())) == 1


async def test_after_a_transfer_the_new_office_reads_who_looked_before(
    api: httpx.AsyncClient,
) -> None:
    client_id = await release_client(api)
    await api.get(f"/api/v1/clients/{client_id}", headers=officer())
    moved = await api.post(
        f"/api/v1/clients/{client_id}/transfer",
        json={"to_bapas_code": "makassar", "transferred_on": str(days(0)), "reason": "work"},
        headers=officer(),
    )
    assert moved.status_code == 201, moved.text

    old = await api.get(f"/api/v1/clients/{client_id}/access-log", headers=officer())
    entries = await access_log(api, client_id, officer("makassar"))

    assert old.status_code == 404
    assert [e["sub"] for e in entries] == ["pk-balikpapan"]
