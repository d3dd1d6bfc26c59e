"""Bad input the employment service refuses with a 4xx problem document naming what is
wrong, never a 500, and stores nothing for: control characters and blank texts, an
unknown KBLI section, dates at the calendar's edges, numbers out of range, unknown and
malformed ids, and cursors no list gave out."""

from __future__ import annotations

import base64
import json
from typing import Any
from uuid import uuid4

import asyncpg
import pytest

from tests.employment.helpers import OFFICER, World, employer_body, vacancy_body
from tests.enrolment.helpers import days
from tests.hardening.probes import (
    JSON_HEADERS,
    assert_client_error,
    assert_problem,
    assert_refused,
    events_holding,
    marker,
)

EDGE_DATES = ["0001-01-01", "1999-12-31", "9999-12-31", "2024-02-30", "2025-13-01", "tomorrow"]


@pytest.mark.parametrize("text", ["\x00", "\x07", "\x1b", "\x9f"], ids=["nul", "bell", "esc", "c1"])
@pytest.mark.parametrize("field", ["name", "address"])
async def test_a_control_character_in_an_employer_s_text_names_the_field(
    world: World, database: asyncpg.Connection, field: str, text: str
) -> None:
    tag = marker()

    response = await world.api.post(
        "/api/v1/employers", json=employer_body(**{field: f"{tag}{text}"}), headers=OFFICER
    )

    assert_refused(response, f"body.{field}")
    assert await events_holding(database, tag) == 0


async def test_a_nul_in_the_business_contact_names_the_nested_field(world: World) -> None:
    body = employer_body()
    body["contact"] = {**body["contact"], "name": "Hendra\x00"}

    response = await world.api.post("/api/v1/employers", json=body, headers=OFFICER)

    assert_refused(response, "body.contact.name")


@pytest.mark.parametrize(
    ("path", "field"),
    [("employers/{employer}/vacancies", "title"), ("vacancies/{vacancy}/closure", "reason")],
)
async def test_a_blank_text_is_refused_naming_the_field(
    world: World, path: str, field: str
) -> None:
    employer_id = await world.employer()
    vacancy_id = await world.vacancy(employer_id)
    bodies = {
        "title": vacancy_body(title="   "),
        "reason": {"closed_on": days(0).isoformat(), "reason": " \t\n "},
    }

    response = await world.api.post(
        f"/api/v1/{path.format(employer=employer_id, vacancy=vacancy_id)}",
        json=bodies[field],
        headers=OFFICER,
    )

    assert_refused(response, f"body.{field}")


@pytest.mark.parametrize("sector", ["V", "Z", "c", "", "AB", "1"])
async def test_an_unknown_kbli_section_names_sector(
    world: World, database: asyncpg.Connection, sector: str
) -> None:
    tag = marker()

    response = await world.api.post(
        "/api/v1/employers", json=employer_body(name=tag, sector=sector), headers=OFFICER
    )

    assert_refused(response, "body.sector")
    assert await events_holding(database, tag) == 0


async def test_every_kbli_section_a_to_u_is_accepted(world: World) -> None:
    for letter in "ABCDEFGHIJKLMNOPQRSTU":
        response = await world.api.post(
            "/api/v1/employers", json=employer_body(sector=letter), headers=OFFICER
        )
        assert response.status_code == 201, (letter, response.text)


async def test_an_unknown_kbli_section_as_a_filter_names_the_query(world: World) -> None:
    response = await world.api.get("/api/v1/employers?sector=V", headers=OFFICER)

    assert_refused(response, "query.sector")


@pytest.mark.parametrize("day", EDGE_DATES)
async def test_dates_at_the_calendar_s_edges_are_refused_naming_the_field(
    world: World, day: str
) -> None:
    employer_id = await world.employer()
    vacancy_id = await world.vacancy(employer_id)
    klien = await world.klien()
    placement_id = await world.placement(klien.client_id, employer_id)
    commands: list[tuple[str, dict[str, Any], str]] = [
        (f"employers/{employer_id}/pledge", {"signed_on": day}, "signed_on"),
        (f"employers/{employer_id}/vacancies", vacancy_body(opens_on=day), "opens_on"),
        (f"employers/{employer_id}/vacancies", vacancy_body(closes_on=day), "closes_on"),
        (f"vacancies/{vacancy_id}/closure", {"closed_on": day, "reason": "x"}, "closed_on"),
        (
            "placements",
            {
                "client_id": str(klien.client_id),
                "employer_id": str(employer_id),
                "started_on": day,
                "kind": "employed",
            },
            "started_on",
        ),
        (
            f"placements/{placement_id}/checks",
            {"checked_on": day, "still_employed": True},
            "checked_on",
        ),
        (f"placements/{placement_id}/end", {"ended_on": day, "reason": "other"}, "ended_on"),
    ]

    for path, body, field in commands:
        response = await world.api.post(f"/api/v1/{path}", json=body, headers=OFFICER)
        assert_refused(response, f"body.{field}")


@pytest.mark.parametrize("positions", [0, -1, 1_001, 10**30, "2", 2.5, True])
async def test_positions_out_of_range_or_not_a_whole_number_are_refused(
    world: World, positions: Any
) -> None:
    employer_id = await world.employer()

    response = await world.api.post(
        f"/api/v1/employers/{employer_id}/vacancies",
        json=vacancy_body(positions=positions),
        headers=OFFICER,
    )

    assert_refused(response, "body.positions")


@pytest.mark.parametrize("still_employed", ["yes", 1, None])
async def test_still_employed_must_be_true_or_false(world: World, still_employed: Any) -> None:
    klien = await world.klien()
    placement_id = await world.placement(klien.client_id, await world.employer())

    response = await world.api.post(
        f"/api/v1/placements/{placement_id}/checks",
        json={"checked_on": days(0).isoformat(), "still_employed": still_employed},
        headers=OFFICER,
    )

    assert_refused(response, "body.still_employed")


async def test_unknown_fields_and_unknown_kinds_are_refused(world: World) -> None:
    klien = await world.klien()
    employer_id = await world.employer()
    body = {
        "client_id": str(klien.client_id),
        "employer_id": str(employer_id),
        "started_on": days(0).isoformat(),
    }

    assert_refused(
        await world.api.post(
            "/api/v1/placements", json={**body, "kind": "slavery"}, headers=OFFICER
        ),
        "body.kind",
    )
    assert_refused(
        await world.api.post(
            "/api/v1/placements",
            json={**body, "kind": "employed", "full_name": "Budi"},
            headers=OFFICER,
        ),
        "body.full_name",
    )


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/v1/employers/{id}", "employer_id"),
        ("/api/v1/employers/{id}/record", "employer_id"),
        ("/api/v1/vacancies/{id}", "vacancy_id"),
        ("/api/v1/vacancies/{id}/candidates", "vacancy_id"),
        ("/api/v1/placements/{id}", "placement_id"),
    ],
)
async def test_an_unknown_id_is_a_404_and_a_malformed_one_a_422(
    world: World, path: str, parameter: str
) -> None:
    assert_problem(await world.api.get(path.format(id=uuid4()), headers=OFFICER), 404)
    malformed = await world.api.get(path.format(id="not-a-uuid"), headers=OFFICER)
    assert_refused(malformed, f"path.{parameter}")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/employers/{id}/pledge", {"signed_on": "2025-01-02"}),
        ("/api/v1/employers/{id}/vacancies", vacancy_body()),
        ("/api/v1/vacancies/{id}/closure", {"closed_on": "2025-01-02", "reason": "x"}),
        ("/api/v1/placements/{id}/checks", {"checked_on": "2025-01-02", "still_employed": True}),
        ("/api/v1/placements/{id}/end", {"ended_on": "2025-01-02", "reason": "moved"}),
    ],
)
async def test_a_command_on_an_unknown_id_is_a_404(
    world: World, path: str, body: dict[str, Any]
) -> None:
    assert_problem(await world.api.post(path.format(id=uuid4()), json=body, headers=OFFICER), 404)


@pytest.mark.parametrize(
    "cursor", ["garbage", "WyIwMDAxLTAxLTAxIiwgIngiXQ", "W10", "\x00", "A" * 2000]
)
@pytest.mark.parametrize("path", ["/api/v1/employers", "/api/v1/vacancies", "/api/v1/placements"])
async def test_a_cursor_no_list_gave_out_is_a_4xx(world: World, path: str, cursor: str) -> None:
    response = await world.api.get(path, params={"cursor": cursor}, headers=OFFICER)

    assert_client_error(response)


async def test_a_cursor_holding_a_date_at_the_calendar_s_edge_is_a_422(world: World) -> None:
    for key in (["0001-01-01", str(uuid4())], ["9999-12-31", str(uuid4())]):
        cursor = base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")
        for path in ("/api/v1/vacancies", "/api/v1/placements"):
            response = await world.api.get(path, params={"cursor": cursor}, headers=OFFICER)
            assert_refused(response, "query.cursor")


async def test_malformed_json_is_a_4xx(world: World) -> None:
    for raw in (b"{", b"[]", b'"employer"', b"\xff\xfe", b"[" * 1000 + b"]" * 1000):
        response = await world.api.post(
            "/api/v1/employers", content=raw, headers={**OFFICER, **JSON_HEADERS}
        )
        assert_client_error(response)
