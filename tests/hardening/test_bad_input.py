"""Texts a caller can send that once broke the services (issue 14): a NUL or another
control character in any text of a body, blank names, and JSON nested deep enough to
exhaust a recursive walk.

The API contract (common rules) says no request makes a service answer 500: a control
character is a 422 naming the field, texts are trimmed, a blank required text is a
422, and nesting is refused without recursion. Each test sends the bad thing to the
real service and checks both the answer and that nothing was stored (no event holds
the test's marker); a positive control beside each shows a good value still works.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest

from tests.enrolment.helpers import OFFICER as ENROLMENT_OFFICER
from tests.enrolment.helpers import (
    Programme,
    client_body,
    enrolled_klien,
    enrolment,
)
from tests.hardening.probes import (
    JSON_HEADERS,
    assert_client_error,
    assert_refused,
    event_count,
    events_holding,
    marker,
    named_fields,
)
from tests.pokmas.conftest import PokmasInstance
from tests.pokmas.helpers import (
    OFFICER,
    mou_body,
    partner_with_mou,
    pokmas_body,
    programme_body,
    register_pokmas,
)

CONTROL_CHARACTERS = {
    "nul": "\x00",
    "bell": "\x07",
    "backspace": "\x08",
    "vertical-tab": "\x0b",
    "form-feed": "\x0c",
    "escape": "\x1b",
    "unit-separator": "\x1f",
    "del": "\x7f",
    "c1-padding": "\x80",
    "c1-next-line": "\x85",
    "c1-last": "\x9f",
}

BLANKS = {"spaces": "   ", "whitespace-mix": " \t\r\n "}


def contact(**changes: str) -> dict[str, str]:
    """A complete contact of a Pokmas, with ``changes``."""
    found: dict[str, str] = pokmas_body()["contact"]
    return {**found, **changes}


def nested_json(depth: int) -> str:
    """A JSON array nested ``depth`` levels deep around one string."""
    return "[" * depth + '"x"' + "]" * depth


def with_raw_field(body: dict[str, Any], field: str, raw_json: str) -> bytes:
    """``body`` as JSON text with ``field`` replaced by ``raw_json`` verbatim."""
    placeholder = "__raw_json_placeholder__"
    text = json.dumps({**body, field: placeholder})
    return text.replace(json.dumps(placeholder), raw_json).encode()


async def pokmas_names(client: httpx.AsyncClient, pokmas_id: UUID) -> dict[str, Any]:
    response = await client.get(f"/api/v1/pokmas/{pokmas_id}", headers=OFFICER)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


# -- pokmas: control characters --------------------------------------------------------


async def test_a_nul_in_a_pokmas_name_is_refused_and_not_stored(
    pokmas: PokmasInstance, pokmas_db: asyncpg.Connection
) -> None:
    name = marker()

    response = await pokmas.client.post(
        "/api/v1/pokmas", json=pokmas_body(name=f"Pokmas {name}\x00 Maju"), headers=OFFICER
    )

    assert_refused(response, "body.name")
    assert await events_holding(pokmas_db, name) == 0


@pytest.mark.parametrize("character", CONTROL_CHARACTERS.values(), ids=CONTROL_CHARACTERS.keys())
async def test_a_control_character_in_a_pokmas_name_is_refused_and_not_stored(
    pokmas: PokmasInstance, pokmas_db: asyncpg.Connection, character: str
) -> None:
    name = marker()

    response = await pokmas.client.post(
        "/api/v1/pokmas", json=pokmas_body(name=f"Pokmas {name}{character}"), headers=OFFICER
    )

    assert_refused(response, "body.name")
    assert await events_holding(pokmas_db, name) == 0


@pytest.mark.parametrize(
    ("field", "named"),
    [
        ({"contact": contact(name="Ibu\x00Sari")}, "body.contact.name"),
        ({"address": "Jl. Sudirman\x001"}, "body.address"),
        ({"registration_number": "AHU-\x1b001"}, "body.registration_number"),
    ],
    ids=["contact-name", "address", "registration-number"],
)
async def test_a_control_character_in_any_pokmas_text_is_refused_naming_its_path(
    pokmas: PokmasInstance, pokmas_db: asyncpg.Connection, field: dict[str, Any], named: str
) -> None:
    name = marker()

    response = await pokmas.client.post(
        "/api/v1/pokmas", json=pokmas_body(name=name, **field), headers=OFFICER
    )

    assert_refused(response, named)
    assert await events_holding(pokmas_db, name) == 0


async def test_a_nul_in_an_mou_number_is_refused_and_no_mou_signed(
    pokmas: PokmasInstance, pokmas_db: asyncpg.Connection
) -> None:
    pokmas_id = await register_pokmas(pokmas.client)
    number = marker()

    response = await pokmas.client.post(
        f"/api/v1/pokmas/{pokmas_id}/mous", json=mou_body(number=f"{number}\x00"), headers=OFFICER
    )

    assert_refused(response, "body.number")
    assert await events_holding(pokmas_db, number) == 0


async def test_a_nul_in_a_programme_title_is_refused_and_no_programme_opened(
    pokmas: PokmasInstance, pokmas_db: asyncpg.Connection
) -> None:
    pokmas_id, mou_id = await partner_with_mou(pokmas.client)
    title = marker()

    response = await pokmas.client.post(
        f"/api/v1/pokmas/{pokmas_id}/programmes",
        json=programme_body(mou_id, title=f"Servis AC {title}\x00"),
        headers=OFFICER,
    )

    assert_refused(response, "body.title")
    assert await events_holding(pokmas_db, title) == 0


async def test_a_control_character_in_a_new_contact_is_refused_and_the_contact_unchanged(
    pokmas: PokmasInstance, pokmas_db: asyncpg.Connection
) -> None:
    pokmas_id = await register_pokmas(pokmas.client)
    before = await pokmas_names(pokmas.client, pokmas_id)
    name = marker()

    response = await pokmas.client.put(
        f"/api/v1/pokmas/{pokmas_id}/contact",
        json={"contact": contact(name=f"Pak {name}\x07")},
        headers=OFFICER,
    )

    assert_refused(response, "body.contact.name")
    assert await pokmas_names(pokmas.client, pokmas_id) == before
    assert await events_holding(pokmas_db, name) == 0


async def test_tab_newline_and_carriage_return_inside_a_text_are_kept(
    pokmas: PokmasInstance,
) -> None:
    address = "Jl. Jenderal Sudirman 1\r\nRT 05\tBalikpapan"

    response = await pokmas.client.post(
        "/api/v1/pokmas", json=pokmas_body(name=marker(), address=address), headers=OFFICER
    )

    assert response.status_code == 201, response.text
    stored = await pokmas_names(pokmas.client, UUID(response.json()["id"]))
    assert stored["address"] == address


# -- pokmas: trimming and blank texts --------------------------------------------------


async def test_a_pokmas_name_with_surrounding_spaces_is_stored_trimmed(
    pokmas: PokmasInstance,
) -> None:
    name = f"Pokmas {marker()}"

    response = await pokmas.client.post(
        "/api/v1/pokmas",
        json=pokmas_body(
            name=f"  {name} \t",
            contact=contact(name=" Ibu Sari "),
        ),
        headers=OFFICER,
    )

    assert response.status_code == 201, response.text
    stored = await pokmas_names(pokmas.client, UUID(response.json()["id"]))
    assert stored["name"] == name
    assert stored["contact"]["name"] == "Ibu Sari"


@pytest.mark.parametrize("blank", BLANKS.values(), ids=BLANKS.keys())
async def test_a_blank_pokmas_name_is_refused_and_not_stored(
    pokmas: PokmasInstance, pokmas_db: asyncpg.Connection, blank: str
) -> None:
    address = f"Jl. {marker()}"

    response = await pokmas.client.post(
        "/api/v1/pokmas", json=pokmas_body(name=blank, address=address), headers=OFFICER
    )

    assert_refused(response, "body.name")
    assert await events_holding(pokmas_db, address) == 0


async def test_a_blank_contact_name_is_refused_and_the_contact_unchanged(
    pokmas: PokmasInstance,
) -> None:
    pokmas_id = await register_pokmas(pokmas.client)
    before = await pokmas_names(pokmas.client, pokmas_id)

    response = await pokmas.client.put(
        f"/api/v1/pokmas/{pokmas_id}/contact",
        json={"contact": contact(name="   ")},
        headers=OFFICER,
    )

    assert_refused(response, "body.contact.name")
    assert await pokmas_names(pokmas.client, pokmas_id) == before


# -- pokmas: deep nesting --------------------------------------------------------------


async def test_json_nested_700_deep_in_a_pokmas_field_is_refused_naming_the_field(
    pokmas: PokmasInstance, pokmas_db: asyncpg.Connection
) -> None:
    name = marker()
    content = with_raw_field(pokmas_body(name=name), "address", nested_json(700))

    response = await pokmas.client.post(
        "/api/v1/pokmas", content=content, headers={**OFFICER, **JSON_HEADERS}
    )

    problem = assert_refused(response)
    assert any(field.startswith("body.address") for field in named_fields(problem)), problem
    assert await events_holding(pokmas_db, name) == 0


async def test_json_nested_100000_deep_in_a_pokmas_field_is_a_client_error(
    pokmas: PokmasInstance, pokmas_db: asyncpg.Connection
) -> None:
    name = marker()
    content = with_raw_field(pokmas_body(name=name), "address", nested_json(100_000))

    response = await pokmas.client.post(
        "/api/v1/pokmas", content=content, headers={**OFFICER, **JSON_HEADERS}
    )

    assert_client_error(response)
    assert await events_holding(pokmas_db, name) == 0


DEEP_BODIES = {
    "arrays": "[" * 100_000 + "]" * 100_000,
    "objects": '{"a":' * 100_000 + "1" + "}" * 100_000,
}


@pytest.mark.parametrize("content", DEEP_BODIES.values(), ids=DEEP_BODIES.keys())
async def test_a_pokmas_body_nested_100000_deep_is_a_client_error(
    pokmas: PokmasInstance, pokmas_db: asyncpg.Connection, content: str
) -> None:
    events_before = await event_count(pokmas_db)

    response = await pokmas.client.post(
        "/api/v1/pokmas", content=content.encode(), headers={**OFFICER, **JSON_HEADERS}
    )

    assert_client_error(response)
    assert await event_count(pokmas_db) == events_before


async def test_a_new_contact_nested_100000_deep_is_a_client_error_and_the_contact_unchanged(
    pokmas: PokmasInstance,
) -> None:
    pokmas_id = await register_pokmas(pokmas.client)
    before = await pokmas_names(pokmas.client, pokmas_id)

    response = await pokmas.client.put(
        f"/api/v1/pokmas/{pokmas_id}/contact",
        content=with_raw_field({}, "contact", nested_json(100_000)),
        headers={**OFFICER, **JSON_HEADERS},
    )

    assert_client_error(response)
    assert await pokmas_names(pokmas.client, pokmas_id) == before


# -- enrolment: control characters -----------------------------------------------------


async def klien_rows(database: asyncpg.Connection, text: str) -> int:
    """Klien whose register number holds ``text``."""
    count: int = await database.fetchval(
        "SELECT count(*) FROM clients WHERE strpos(register_number, $1) > 0", text
    )
    return count


async def profile_count(database: asyncpg.Connection) -> int:
    count: int = await database.fetchval("SELECT count(*) FROM client_profiles")
    return count


async def test_a_nul_in_a_klien_register_number_is_refused_and_not_stored(
    enrolment_api: httpx.AsyncClient, enrolment_db: asyncpg.Connection
) -> None:
    register = marker()

    response = await enrolment_api.post(
        "/api/v1/clients",
        json=client_body(register_number=f"BPP/{register}\x00/2025"),
        headers=ENROLMENT_OFFICER,
    )

    assert_refused(response, "body.register_number")
    assert await events_holding(enrolment_db, register) == 0
    assert await klien_rows(enrolment_db, register) == 0


async def test_a_nul_in_a_klien_name_is_refused_and_not_stored(
    enrolment_api: httpx.AsyncClient, enrolment_db: asyncpg.Connection
) -> None:
    register = marker()
    body = client_body(register_number=register)
    good_name = body["profile"]["full_name"]
    body["profile"] = {**body["profile"], "full_name": f"{good_name}\x00"}
    profiles_before = await profile_count(enrolment_db)

    response = await enrolment_api.post("/api/v1/clients", json=body, headers=ENROLMENT_OFFICER)

    assert_refused(response, "body.profile.full_name")
    assert good_name not in response.text
    assert await events_holding(enrolment_db, register) == 0
    assert await klien_rows(enrolment_db, register) == 0
    assert await profile_count(enrolment_db) == profiles_before
    # Nothing recorded the NIK either: the same klien, spelt right, is released.
    body["profile"] = {**body["profile"], "full_name": good_name}
    retry = await enrolment_api.post("/api/v1/clients", json=body, headers=ENROLMENT_OFFICER)
    assert retry.status_code == 201, retry.text


@pytest.mark.parametrize("character", CONTROL_CHARACTERS.values(), ids=CONTROL_CHARACTERS.keys())
async def test_a_control_character_in_a_klien_name_is_refused_and_not_stored(
    enrolment_api: httpx.AsyncClient, enrolment_db: asyncpg.Connection, character: str
) -> None:
    register = marker()
    body = client_body(register_number=register)
    body["profile"] = {**body["profile"], "full_name": f"Budi{character}Santoso"}

    response = await enrolment_api.post("/api/v1/clients", json=body, headers=ENROLMENT_OFFICER)

    assert_refused(response, "body.profile.full_name")
    assert await klien_rows(enrolment_db, register) == 0


@pytest.mark.parametrize(
    ("part", "changes", "named"),
    [
        ("pk_officer", {"name": "Andi\x00Wijaya"}, "body.pk_officer.name"),
        ("profile", {"address": "Jl. Ahmad Yani\x1b 7"}, "body.profile.address"),
    ],
    ids=["pk-officer-name", "profile-address"],
)
async def test_a_control_character_in_a_nested_klien_text_is_refused_naming_its_path(
    enrolment_api: httpx.AsyncClient,
    enrolment_db: asyncpg.Connection,
    part: str,
    changes: dict[str, str],
    named: str,
) -> None:
    register = marker()
    body = client_body(register_number=register)
    body[part] = {**body[part], **changes}

    response = await enrolment_api.post("/api/v1/clients", json=body, headers=ENROLMENT_OFFICER)

    assert_refused(response, named)
    assert await events_holding(enrolment_db, register) == 0


async def test_a_nul_in_an_attendance_concern_is_refused_and_not_recorded(
    enrolment_api: httpx.AsyncClient, enrolment_db: asyncpg.Connection, programme: Programme
) -> None:
    _, enrolment_id = await enrolled_klien(enrolment_api, programme)
    concern = marker()

    response = await enrolment_api.post(
        f"/api/v1/enrolments/{enrolment_id}/attendance",
        json={
            "session_no": 1,
            "session_date": programme.starts_on.isoformat(),
            "status": "absent",
            "concern": f"{concern}\x00",
        },
        headers=ENROLMENT_OFFICER,
    )

    assert_refused(response, "body.concern")
    assert (await enrolment(enrolment_api, enrolment_id))["attendance"] == []
    assert await events_holding(enrolment_db, concern) == 0


# -- enrolment: trimming and blank texts -----------------------------------------------


async def test_a_klien_name_and_register_number_are_stored_trimmed(
    enrolment_api: httpx.AsyncClient,
) -> None:
    register = marker()
    body = client_body(register_number=f"  {register}\t")
    name = body["profile"]["full_name"]
    body["profile"] = {**body["profile"], "full_name": f" \t{name}  "}

    response = await enrolment_api.post("/api/v1/clients", json=body, headers=ENROLMENT_OFFICER)

    assert response.status_code == 201, response.text
    detail = await enrolment_api.get(
        f"/api/v1/clients/{response.json()['id']}", headers=ENROLMENT_OFFICER
    )
    assert detail.status_code == 200, detail.text
    assert detail.json()["register_number"] == register
    assert detail.json()["profile"]["full_name"] == name


@pytest.mark.parametrize("blank", BLANKS.values(), ids=BLANKS.keys())
async def test_a_blank_klien_name_is_refused_and_not_stored(
    enrolment_api: httpx.AsyncClient, enrolment_db: asyncpg.Connection, blank: str
) -> None:
    register = marker()
    body = client_body(register_number=register)
    body["profile"] = {**body["profile"], "full_name": blank}

    response = await enrolment_api.post("/api/v1/clients", json=body, headers=ENROLMENT_OFFICER)

    assert_refused(response, "body.profile.full_name")
    assert await klien_rows(enrolment_db, register) == 0


async def test_a_blank_register_number_is_refused_and_no_klien_released(
    enrolment_api: httpx.AsyncClient, enrolment_db: asyncpg.Connection
) -> None:
    body = client_body(register_number="   ")
    profiles_before = await profile_count(enrolment_db)

    response = await enrolment_api.post("/api/v1/clients", json=body, headers=ENROLMENT_OFFICER)

    assert_refused(response, "body.register_number")
    assert await profile_count(enrolment_db) == profiles_before


# -- enrolment: deep nesting -----------------------------------------------------------


async def test_json_nested_700_deep_in_a_klien_profile_is_refused_and_not_stored(
    enrolment_api: httpx.AsyncClient, enrolment_db: asyncpg.Connection
) -> None:
    register = marker()
    body = client_body(register_number=register)
    content = with_raw_field(body, "profile", nested_json(700))

    response = await enrolment_api.post(
        "/api/v1/clients", content=content, headers={**ENROLMENT_OFFICER, **JSON_HEADERS}
    )

    problem = assert_refused(response)
    assert any(field.startswith("body.profile") for field in named_fields(problem)), problem
    assert await klien_rows(enrolment_db, register) == 0


@pytest.mark.parametrize("content", DEEP_BODIES.values(), ids=DEEP_BODIES.keys())
async def test_a_klien_body_nested_100000_deep_is_a_client_error(
    enrolment_api: httpx.AsyncClient, enrolment_db: asyncpg.Connection, content: str
) -> None:
    profiles_before = await profile_count(enrolment_db)

    response = await enrolment_api.post(
        "/api/v1/clients", content=content.encode(), headers={**ENROLMENT_OFFICER, **JSON_HEADERS}
    )

    assert_client_error(response)
    assert await profile_count(enrolment_db) == profiles_before
