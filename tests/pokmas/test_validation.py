"""Invalid input answers 422 and names the bad field: dates out of order, capacity and
sessions below one, unknown Bapas and skill codes, malformed e-mail and phone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from tests.pokmas.conftest import PokmasInstance
from tests.pokmas.helpers import (
    OFFICER,
    days,
    mou_body,
    open_programme,
    partner_with_mou,
    pokmas_body,
    programme_body,
)


@dataclass(frozen=True)
class Partner:
    pokmas_id: UUID
    mou_id: UUID
    programme_id: UUID
    other_mou_id: UUID
    """An MoU of another Pokmas of the same Bapas."""


@pytest.fixture(scope="module")
async def partner(pokmas: PokmasInstance) -> Partner:
    pokmas_id, mou_id = await partner_with_mou(pokmas.client)
    programme_id = await open_programme(pokmas.client, pokmas_id, mou_id)
    _, other_mou_id = await partner_with_mou(pokmas.client)
    return Partner(pokmas_id, mou_id, programme_id, other_mou_id)


def contact(**changes: str) -> dict[str, str]:
    return {**pokmas_body()["contact"], **changes}


async def assert_names_field(response: httpx.Response, field: str) -> None:
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [error["field"] for error in problem["errors"]], problem


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"bapas_code": "atlantis"}, "body.bapas_code"),
        ({"skills": ["ac_repair", "juggling"]}, "body.skills.1"),
        ({"skills": []}, "body.skills"),
        ({"kind": "company"}, "body.kind"),
        ({"contact": contact(email="sari-at-maju.example")}, "body.contact.email"),
        ({"contact": contact(phone="call me maybe")}, "body.contact.phone"),
        ({"name": ""}, "body.name"),
        ({"name": "Pokmas\x00Maju"}, "body.name"),
        ({"founded": "2019"}, "body.founded"),
    ],
    ids=[
        "unknown-bapas",
        "unknown-skill",
        "no-skills",
        "unknown-kind",
        "bad-email",
        "bad-phone",
        "empty-name",
        "nul-in-name",
        "unknown-field",
    ],
)
async def test_registration_with_invalid_input_names_the_field(
    client: httpx.AsyncClient, changes: dict[str, Any], field: str
) -> None:
    response = await client.post("/api/v1/pokmas", json=pokmas_body(**changes), headers=OFFICER)

    await assert_names_field(response, field)


async def test_contact_change_with_a_bad_email_names_the_field(
    client: httpx.AsyncClient, partner: Partner
) -> None:
    response = await client.put(
        f"/api/v1/pokmas/{partner.pokmas_id}/contact",
        json={"contact": contact(email="sari@")},
        headers=OFFICER,
    )

    await assert_names_field(response, "body.contact.email")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"valid_from": days(10), "valid_until": days(9)}, "body.valid_until"),
        ({"signed_on": days(1)}, "body.signed_on"),
        ({"valid_from": days(-60), "valid_until": days(-1)}, "body.valid_until"),
        ({"scope": ["welding", "juggling"]}, "body.scope.1"),
        ({"valid_until": "3025-01-01"}, "body.valid_until"),
        ({"valid_until": "next year"}, "body.valid_until"),
    ],
    ids=[
        "valid-until-before-valid-from",
        "signed-in-the-future",
        "already-lapsed",
        "unknown-skill",
        "far-off-year",
        "not-a-date",
    ],
)
async def test_signing_with_invalid_input_names_the_field(
    client: httpx.AsyncClient, partner: Partner, changes: dict[str, Any], field: str
) -> None:
    response = await client.post(
        f"/api/v1/pokmas/{partner.pokmas_id}/mous", json=mou_body(**changes), headers=OFFICER
    )

    await assert_names_field(response, field)


async def test_renewal_must_extend_the_mou(client: httpx.AsyncClient, partner: Partner) -> None:
    response = await client.post(
        f"/api/v1/mous/{partner.mou_id}/renewal",
        json={"valid_until": mou_body()["valid_until"]},
        headers=OFFICER,
    )

    await assert_names_field(response, "body.valid_until")


@pytest.mark.parametrize(
    "effective_on", [days(1), days(-1)], ids=["in-the-future", "before-signing"]
)
async def test_termination_date_must_lie_between_signing_and_today(
    client: httpx.AsyncClient, partner: Partner, effective_on: str
) -> None:
    response = await client.post(
        f"/api/v1/mous/{partner.mou_id}/termination",
        json={"effective_on": effective_on, "reason": "Pokmas tidak aktif"},
        headers=OFFICER,
    )

    await assert_names_field(response, "body.effective_on")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"starts_on": days(30), "ends_on": days(29)}, "body.ends_on"),
        ({"capacity": 0}, "body.capacity"),
        ({"sessions_planned": 0}, "body.sessions_planned"),
        ({"skill": "juggling"}, "body.skill"),
    ],
    ids=["ends-before-start", "no-capacity", "no-sessions", "unknown-skill"],
)
async def test_opening_with_invalid_input_names_the_field(
    client: httpx.AsyncClient, partner: Partner, changes: dict[str, Any], field: str
) -> None:
    response = await client.post(
        f"/api/v1/pokmas/{partner.pokmas_id}/programmes",
        json=programme_body(partner.mou_id, **changes),
        headers=OFFICER,
    )

    await assert_names_field(response, field)


@pytest.mark.parametrize("whose", ["another-pokmas", "nobody"])
async def test_programme_cannot_open_under_an_mou_not_of_its_pokmas(
    client: httpx.AsyncClient, partner: Partner, whose: str
) -> None:
    mou_id = partner.other_mou_id if whose == "another-pokmas" else uuid4()

    response = await client.post(
        f"/api/v1/pokmas/{partner.pokmas_id}/programmes",
        json=programme_body(mou_id),
        headers=OFFICER,
    )

    await assert_names_field(response, "body.mou_id")


async def test_closure_date_cannot_lie_in_the_future(
    client: httpx.AsyncClient, partner: Partner
) -> None:
    response = await client.post(
        f"/api/v1/programmes/{partner.programme_id}/closure",
        json={"closed_on": days(1), "reason": "Selesai"},
        headers=OFFICER,
    )

    await assert_names_field(response, "body.closed_on")


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/api/v1/pokmas", {"bapas_code": "atlantis"}, "query.bapas_code"),
        ("/api/v1/pokmas", {"cursor": "not-ours"}, "query.cursor"),
        ("/api/v1/mous", {"expiring_within_days": "-1"}, "query.expiring_within_days"),
        ("/api/v1/mous", {"status": "pending"}, "query.status"),
        ("/api/v1/programmes", {"skill": "juggling"}, "query.skill"),
        ("/api/v1/programmes", {"pokmas_id": "42"}, "query.pokmas_id"),
    ],
)
async def test_list_with_an_invalid_filter_names_it(
    client: httpx.AsyncClient, path: str, query: dict[str, str], field: str
) -> None:
    response = await client.get(path, params=query, headers=OFFICER)

    await assert_names_field(response, field)
