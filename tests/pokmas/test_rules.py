"""Business rules refused at the command with 409 and the reason: rule 1 for
programmes, and the MoU and programme life cycles."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
import pytest

from tests.pokmas.helpers import (
    OFFICER,
    days,
    open_programme,
    partner_with_mou,
    programme_body,
)

TERMINATION = {"effective_on": days(0), "reason": "Pokmas tidak lagi aktif"}
CLOSURE = {"closed_on": days(0), "reason": "Peserta tidak mencukupi"}


async def attempt_programme(
    client: httpx.AsyncClient, pokmas_id: UUID, mou_id: UUID, **changes: Any
) -> httpx.Response:
    return await client.post(
        f"/api/v1/pokmas/{pokmas_id}/programmes",
        json=programme_body(mou_id, **changes),
        headers=OFFICER,
    )


async def terminated_mou(client: httpx.AsyncClient) -> tuple[UUID, UUID]:
    pokmas_id, mou_id = await partner_with_mou(client)
    response = await client.post(
        f"/api/v1/mous/{mou_id}/termination", json=TERMINATION, headers=OFFICER
    )
    assert response.status_code == 201
    return pokmas_id, mou_id


async def test_programme_needs_an_active_mou(client: httpx.AsyncClient) -> None:
    pokmas_id, mou_id = await terminated_mou(client)

    response = await attempt_programme(client, pokmas_id, mou_id)

    assert response.status_code == 409
    assert response.json()["detail"].startswith("rule 1: MoU PKS/BPP/001/2025 is terminated")


async def test_programme_skill_must_be_in_the_mou_scope(client: httpx.AsyncClient) -> None:
    pokmas_id, mou_id = await partner_with_mou(client, scope=["ac_repair"])

    response = await attempt_programme(client, pokmas_id, mou_id, skill="interior_design")

    assert response.status_code == 409
    assert "does not cover the skill interior_design" in response.json()["detail"]


@pytest.mark.parametrize(
    ("starts_on", "ends_on"),
    [(days(9), days(40)), (days(20), days(101))],
    ids=["starting-before-valid-from", "ending-after-valid-until"],
)
async def test_programme_dates_must_lie_inside_the_mou_validity(
    client: httpx.AsyncClient, starts_on: str, ends_on: str
) -> None:
    pokmas_id, mou_id = await partner_with_mou(client, valid_from=days(10), valid_until=days(100))

    response = await attempt_programme(
        client, pokmas_id, mou_id, starts_on=starts_on, ends_on=ends_on
    )

    assert response.status_code == 409
    assert "must lie inside the validity" in response.json()["detail"]


async def test_programme_inside_a_future_mou_validity_may_open(client: httpx.AsyncClient) -> None:
    pokmas_id, mou_id = await partner_with_mou(client, valid_from=days(10), valid_until=days(100))

    response = await attempt_programme(
        client, pokmas_id, mou_id, starts_on=days(10), ends_on=days(100)
    )

    assert response.status_code == 201


async def test_terminated_mou_cannot_be_terminated_again(client: httpx.AsyncClient) -> None:
    _, mou_id = await terminated_mou(client)

    response = await client.post(
        f"/api/v1/mous/{mou_id}/termination", json=TERMINATION, headers=OFFICER
    )

    assert response.status_code == 409
    assert "is terminated" in response.json()["detail"]


async def test_renewing_a_terminated_mou_makes_it_active_again(client: httpx.AsyncClient) -> None:
    _, mou_id = await terminated_mou(client)

    renewal = await client.post(
        f"/api/v1/mous/{mou_id}/renewal", json={"valid_until": days(900)}, headers=OFFICER
    )
    mou = await client.get(f"/api/v1/mous/{mou_id}", headers=OFFICER)

    assert renewal.status_code == 201
    assert mou.json()["status"] == "active"


async def test_closed_programme_cannot_be_closed_again(client: httpx.AsyncClient) -> None:
    pokmas_id, mou_id = await partner_with_mou(client)
    programme_id = await open_programme(client, pokmas_id, mou_id)
    path = f"/api/v1/programmes/{programme_id}/closure"
    first = await client.post(path, json=CLOSURE, headers=OFFICER)

    second = await client.post(path, json=CLOSURE, headers=OFFICER)

    assert first.status_code == 201
    assert second.status_code == 409
    assert second.json()["detail"] == "the programme is already closed"


async def test_refused_command_changes_nothing(client: httpx.AsyncClient) -> None:
    pokmas_id, mou_id = await terminated_mou(client)

    await attempt_programme(client, pokmas_id, mou_id)

    listed = await client.get(
        "/api/v1/programmes", params={"pokmas_id": str(pokmas_id)}, headers=OFFICER
    )
    assert listed.json()["items"] == []
