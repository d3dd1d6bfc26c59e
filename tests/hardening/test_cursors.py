"""List cursors that decode to anything odd (issue 14): a cursor holding a date at the
edge of the calendar answered 500 on the notifications list.

A cursor is opaque to callers: URL-safe base64 of the JSON of the last item's sort key
(``[<name>, <uuid>]`` for Pokmas, ``[<date>, <uuid>]`` for MoUs and programmes, a
sequence number for klien and enrolments, ``[<datetime>, <uuid>]`` for notifications).
Built by hand here, a cursor the list never gave out (a date in year 1 or 9999, a naive
datetime, a huge number, the wrong shape, garbage) must answer 422 naming
``query.cursor``, never 500. The positive controls follow a ``next_cursor`` the list
gave out, and a well-formed hand-built cursor.
"""

from __future__ import annotations

import base64
import json
from typing import Any
from uuid import uuid4

import httpx
import pytest

from shared.http import Role
from tests.enrolment.helpers import OFFICER as ENROLMENT_OFFICER
from tests.enrolment.helpers import Programme, enrolled_klien
from tests.hardening.probes import assert_problem, assert_refused, named_fields
from tests.notifications.conftest import Notifications
from tests.pokmas.conftest import PokmasInstance
from tests.pokmas.helpers import OFFICER, open_programme, partner_with_mou
from tests.support.service_app import bearer

MINISTRY = bearer(Role.MINISTRY)
SOME_ID = str(uuid4())


def cursor_of(key: Any) -> str:
    """A cursor as the services encode one: URL-safe base64 of the key's JSON."""
    return base64.urlsafe_b64encode(json.dumps(key).encode()).rstrip(b"=").decode()


def raw_cursor(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


GARBAGE = {
    "not-base64": "this is not a cursor!",
    "percent-signs": "%%%%",
    "not-json": raw_cursor(b"[2025-01-01, 42"),
    "not-utf8": raw_cursor(b"\xff\xfe\xfd\xfc"),
    "json-null": cursor_of(None),
    "json-object": cursor_of({"after": SOME_ID}),
    "too-long": "A" * 5000,
}

# pydantic reads a number as a date or time since the epoch: in seconds, or in
# milliseconds above 2e10; the "epoch-ms" cases land exactly on the calendar's edges.
DATE_KEY_CURSORS = {
    "year-1": cursor_of(["0001-01-01", SOME_ID]),
    "year-9999": cursor_of(["9999-12-31", SOME_ID]),
    "year-9999-as-epoch-ms": cursor_of([253402214400000, SOME_ID]),
    "naive-datetime": cursor_of(["2025-06-01T12:30:00", SOME_ID]),
    "huge-number": cursor_of([10**30, SOME_ID]),
    "huge-float": cursor_of([1e308, SOME_ID]),
    "not-a-uuid": cursor_of(["2025-06-01", "not-a-uuid"]),
    "key-too-short": cursor_of(["2025-06-01"]),
    "key-too-long": cursor_of(["2025-06-01", SOME_ID, "more"]),
    **GARBAGE,
}

NAME_KEY_CURSORS = {
    "nul-in-name": cursor_of(["Pokmas\x00", SOME_ID]),
    "huge-number-for-name": cursor_of([10**30, SOME_ID]),
    "date-instead-of-key": cursor_of("9999-12-31"),
    "not-a-uuid": cursor_of(["Pokmas Maju", "not-a-uuid"]),
    "key-too-long": cursor_of(["Pokmas Maju", SOME_ID, "more"]),
    **GARBAGE,
}

SEQUENCE_CURSORS = {
    "past-bigint": cursor_of(2**63),
    "huge-number": cursor_of(10**30),
    "huge-float": cursor_of(1e308),
    "negative": cursor_of(-1),
    "fraction": cursor_of(1.5),
    "year-9999": cursor_of("9999-12-31"),
    "datetime-key": cursor_of(["2025-06-01T12:30:00+00:00", SOME_ID]),
    **GARBAGE,
}

DATETIME_KEY_CURSORS = {
    "year-1-utc": cursor_of(["0001-01-01T00:00:00+00:00", SOME_ID]),
    "year-1-east-of-utc": cursor_of(["0001-01-01T00:00:00+14:00", SOME_ID]),
    "year-9999-utc": cursor_of(["9999-12-31T23:59:59.999999+00:00", SOME_ID]),
    "year-9999-west-of-utc": cursor_of(["9999-12-31T23:59:59-12:00", SOME_ID]),
    "year-1-date-only": cursor_of(["0001-01-01", SOME_ID]),
    "naive-datetime": cursor_of(["2025-06-01T12:30:00", SOME_ID]),
    "year-1-as-epoch-ms": cursor_of([-62135596800000, SOME_ID]),
    "year-9999-as-epoch-ms": cursor_of([253402300799000, SOME_ID]),
    "huge-number": cursor_of([10**30, SOME_ID]),
    "huge-float": cursor_of([1e308, SOME_ID]),
    "not-a-uuid": cursor_of(["2025-06-01T12:30:00+00:00", "not-a-uuid"]),
    "key-too-short": cursor_of(["2025-06-01T12:30:00+00:00"]),
    **GARBAGE,
}


def cases(paths: list[str], cursors: dict[str, str]) -> list[Any]:
    return [
        pytest.param(path, cursor, id=f"{path.rsplit('/', 1)[-1]}-{label}")
        for path in paths
        for label, cursor in cursors.items()
    ]


async def page(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], **params: str | int
) -> dict[str, Any]:
    response = await client.get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


# -- pokmas ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def two_of_each(pokmas: PokmasInstance) -> None:
    """At least two Pokmas, MoUs and programmes in the officer's scope."""
    for _ in range(2):
        pokmas_id, mou_id = await partner_with_mou(pokmas.client)
        await open_programme(pokmas.client, pokmas_id, mou_id)


@pytest.mark.parametrize(
    ("path", "cursor"),
    cases(["/api/v1/mous", "/api/v1/programmes"], DATE_KEY_CURSORS)
    + cases(["/api/v1/pokmas"], NAME_KEY_CURSORS),
)
async def test_an_odd_cursor_on_a_pokmas_list_is_refused_naming_it(
    pokmas: PokmasInstance, path: str, cursor: str
) -> None:
    response = await pokmas.client.get(path, params={"cursor": cursor}, headers=OFFICER)

    assert_refused(response, "query.cursor")


@pytest.mark.parametrize("path", ["/api/v1/pokmas", "/api/v1/mous", "/api/v1/programmes"])
async def test_the_next_cursor_of_a_pokmas_list_leads_to_the_next_page(
    pokmas: PokmasInstance, two_of_each: None, path: str
) -> None:
    first = await page(pokmas.client, path, OFFICER, limit=1)
    assert first["next_cursor"] is not None

    second = await page(pokmas.client, path, OFFICER, limit=1, cursor=first["next_cursor"])

    assert second["items"]
    assert second["items"] != first["items"]


async def test_a_plausible_hand_built_date_cursor_is_accepted(pokmas: PokmasInstance) -> None:
    await page(pokmas.client, "/api/v1/mous", OFFICER, cursor=cursor_of(["2025-06-01", SOME_ID]))


# -- enrolment -------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def two_trainees(enrolment_api: httpx.AsyncClient, programme: Programme) -> None:
    """At least two klien and two enrolments in the officer's scope."""
    for _ in range(2):
        await enrolled_klien(enrolment_api, programme)


@pytest.mark.parametrize(
    ("path", "cursor"), cases(["/api/v1/clients", "/api/v1/enrolments"], SEQUENCE_CURSORS)
)
async def test_an_odd_cursor_on_an_enrolment_list_is_refused_naming_it(
    enrolment_api: httpx.AsyncClient, path: str, cursor: str
) -> None:
    response = await enrolment_api.get(path, params={"cursor": cursor}, headers=ENROLMENT_OFFICER)

    assert_refused(response, "query.cursor")


@pytest.mark.parametrize("path", ["/api/v1/clients", "/api/v1/enrolments"])
async def test_the_next_cursor_of_an_enrolment_list_leads_to_the_next_page(
    enrolment_api: httpx.AsyncClient, two_trainees: None, path: str
) -> None:
    first = await page(enrolment_api, path, ENROLMENT_OFFICER, limit=1)
    assert first["next_cursor"] is not None

    second = await page(
        enrolment_api, path, ENROLMENT_OFFICER, limit=1, cursor=first["next_cursor"]
    )

    assert second["items"]
    assert second["items"] != first["items"]


# -- notifications ---------------------------------------------------------------------


@pytest.mark.parametrize(("path", "cursor"), cases(["/api/v1/notifications"], DATETIME_KEY_CURSORS))
async def test_an_odd_cursor_on_the_notifications_list_is_refused_naming_it(
    notifications: Notifications, path: str, cursor: str
) -> None:
    response = await notifications.client.get(path, params={"cursor": cursor}, headers=MINISTRY)

    assert_refused(response, "query.cursor")


@pytest.mark.parametrize(
    "moment",
    ["2025-06-01T12:30:00+00:00", "2025-06-01T20:30:00+08:00", "2025-06-01T12:30:00Z"],
    ids=["utc", "wita", "zulu"],
)
async def test_a_plausible_hand_built_notifications_cursor_is_accepted(
    notifications: Notifications, moment: str
) -> None:
    await page(
        notifications.client, "/api/v1/notifications", MINISTRY, cursor=cursor_of([moment, SOME_ID])
    )


# -- a NUL in the query itself ---------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/pokmas", "/api/v1/mous"])
async def test_a_raw_nul_in_a_pokmas_cursor_is_refused(pokmas: PokmasInstance, path: str) -> None:
    response = await pokmas.client.get(path, params={"cursor": "abc\x00def"}, headers=OFFICER)

    problem = assert_problem(response, 422)
    assert {"query.cursor", "query"} & set(named_fields(problem)), problem


async def test_a_raw_nul_in_the_notifications_cursor_is_refused(
    notifications: Notifications,
) -> None:
    response = await notifications.client.get(
        "/api/v1/notifications", params={"cursor": "abc\x00def"}, headers=MINISTRY
    )

    problem = assert_problem(response, 422)
    assert {"query.cursor", "query"} & set(named_fields(problem)), problem
