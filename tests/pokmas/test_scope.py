"""Who may read and write what (the API contract): ministry reads everything, regional its
province, an officer its Bapas, a Pokmas partner its own Pokmas; writes outside the
scope answer 403, single-item reads 404, and lists show only what is inside."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from shared.http import Role
from tests.pokmas.conftest import PokmasInstance
from tests.pokmas.helpers import (
    days,
    mou_body,
    open_programme,
    partner_with_mou,
    pokmas_body,
    programme_body,
)
from tests.support.service_app import bearer

# A and B are Pokmas of Balikpapan (province kalimantan-timur), J one of Jakarta Pusat.
OWNERS = ("A", "B", "J")
OFFICE_OF = {"A": "balikpapan", "B": "balikpapan", "J": "jakarta-pusat"}


@dataclass(frozen=True)
class Owned:
    pokmas_id: UUID
    mou_id: UUID
    programme_id: UUID

    def id_of(self, kind: str) -> UUID:
        ids = {"pokmas": self.pokmas_id, "mous": self.mou_id, "programmes": self.programme_id}
        return ids[kind]


World = dict[str, Owned]


@pytest.fixture(scope="module")
async def world(pokmas: PokmasInstance) -> World:
    created: World = {}
    for owner in OWNERS:
        office = OFFICE_OF[owner]
        pokmas_id, mou_id = await partner_with_mou(
            pokmas.client,
            office,
            signed_on=days(0, office),
            valid_from=days(0, office),
            valid_until=days(365, office),
        )
        officer = bearer(Role.BAPAS_OFFICER, bapas=office)
        programme_id = await open_programme(pokmas.client, pokmas_id, mou_id, headers=officer)
        created[owner] = Owned(pokmas_id, mou_id, programme_id)
    return created


def caller(name: str, world: World) -> dict[str, str]:
    callers = {
        "ministry": lambda: bearer(Role.MINISTRY),
        "service": lambda: bearer(Role.SERVICE),
        "regional-kalimantan-timur": lambda: bearer(Role.REGIONAL, province="kalimantan-timur"),
        "officer-balikpapan": lambda: bearer(Role.BAPAS_OFFICER, bapas="balikpapan"),
        "officer-jakarta-pusat": lambda: bearer(Role.BAPAS_OFFICER, bapas="jakarta-pusat"),
        "partner-of-A": lambda: bearer(
            Role.POKMAS_PARTNER, bapas="balikpapan", pokmas_id=world["A"].pokmas_id
        ),
    }
    return callers[name]()


READABLE = {
    "ministry": {"A", "B", "J"},
    "service": {"A", "B", "J"},
    "regional-kalimantan-timur": {"A", "B"},
    "officer-balikpapan": {"A", "B"},
    "officer-jakarta-pusat": {"J"},
    "partner-of-A": {"A"},
}
KINDS = ("pokmas", "mous", "programmes")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("who", sorted(READABLE))
async def test_single_item_outside_the_scope_is_not_found(
    client: httpx.AsyncClient, world: World, who: str, kind: str
) -> None:
    headers = caller(who, world)

    statuses = {
        owner: (
            await client.get(f"/api/v1/{kind}/{world[owner].id_of(kind)}", headers=headers)
        ).status_code
        for owner in OWNERS
    }

    assert statuses == {owner: 200 if owner in READABLE[who] else 404 for owner in OWNERS}


async def every_item(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], **filters: str
) -> list[dict[str, Any]]:
    """All pages of a list, following ``next_cursor``."""
    items: list[dict[str, Any]] = []
    params: dict[str, str] = {"limit": "100", **filters}
    while True:
        response = await client.get(path, params=params, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        items.extend(page["items"])
        if page["next_cursor"] is None:
            return items
        params["cursor"] = page["next_cursor"]


ID_FIELD = {"pokmas": "pokmas_id", "mous": "mou_id", "programmes": "programme_id"}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("who", sorted(READABLE))
async def test_lists_show_only_the_caller_scope(
    client: httpx.AsyncClient, world: World, who: str, kind: str
) -> None:
    listed = await every_item(client, f"/api/v1/{kind}", caller(who, world))

    shown = {UUID(item[ID_FIELD[kind]]) for item in listed}
    assert {owner for owner in OWNERS if world[owner].id_of(kind) in shown} == READABLE[who]


async def test_filter_outside_the_scope_gives_an_empty_list(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await client.get(
        "/api/v1/programmes",
        params={"pokmas_id": str(world["B"].pokmas_id)},
        headers=caller("partner-of-A", world),
    )

    assert response.json() == {"items": [], "next_cursor": None}


def writes_on_b(world: World) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """A write on each kind of thing of Pokmas B (of Balikpapan): method, path, body."""
    b = world["B"]
    return {
        "register": ("POST", "/api/v1/pokmas", pokmas_body("balikpapan")),
        "contact": (
            "PUT",
            f"/api/v1/pokmas/{b.pokmas_id}/contact",
            {"contact": pokmas_body()["contact"]},
        ),
        "sign": ("POST", f"/api/v1/pokmas/{b.pokmas_id}/mous", mou_body()),
        "renew": ("POST", f"/api/v1/mous/{b.mou_id}/renewal", {"valid_until": days(700)}),
        "terminate": (
            "POST",
            f"/api/v1/mous/{b.mou_id}/termination",
            {"effective_on": days(0), "reason": "Tidak aktif"},
        ),
        "open": ("POST", f"/api/v1/pokmas/{b.pokmas_id}/programmes", programme_body(b.mou_id)),
        "close": (
            "POST",
            f"/api/v1/programmes/{b.programme_id}/closure",
            {"closed_on": days(0), "reason": "Selesai"},
        ),
    }


WRITES = ("register", "contact", "sign", "renew", "terminate", "open", "close")
OUTSIDERS = (
    "ministry",
    "service",
    "regional-kalimantan-timur",
    "officer-jakarta-pusat",
    "partner-of-A",
)


@pytest.mark.parametrize("write", WRITES)
@pytest.mark.parametrize("who", OUTSIDERS)
async def test_write_outside_the_scope_is_forbidden(
    client: httpx.AsyncClient, world: World, who: str, write: str
) -> None:
    method, path, body = writes_on_b(world)[write]

    response = await client.request(method, path, json=body, headers=caller(who, world))

    assert response.status_code == 403, response.text


@pytest.mark.parametrize("write", [w for w in WRITES if w != "open"])
async def test_partner_may_not_manage_its_own_pokmas(
    client: httpx.AsyncClient, world: World, write: str
) -> None:
    partner_of_b = bearer(Role.POKMAS_PARTNER, bapas="balikpapan", pokmas_id=world["B"].pokmas_id)
    method, path, body = writes_on_b(world)[write]

    response = await client.request(method, path, json=body, headers=partner_of_b)

    assert response.status_code == 403, response.text


async def test_partner_opens_a_programme_under_its_own_active_mou(
    client: httpx.AsyncClient, world: World
) -> None:
    a = world["A"]

    programme_id = await open_programme(
        client, a.pokmas_id, a.mou_id, headers=caller("partner-of-A", world)
    )

    shown = await client.get(
        f"/api/v1/programmes/{programme_id}", headers=caller("partner-of-A", world)
    )
    assert (shown.json()["pokmas_id"], shown.json()["mou_id"]) == (str(a.pokmas_id), str(a.mou_id))


async def test_write_on_an_unknown_id_is_not_found(client: httpx.AsyncClient) -> None:
    response = await client.post(
        f"/api/v1/mous/{uuid4()}/renewal",
        json={"valid_until": days(700)},
        headers=bearer(Role.BAPAS_OFFICER, bapas="balikpapan"),
    )

    assert response.status_code == 404
