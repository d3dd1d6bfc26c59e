"""The status codes of the API contract (issue 14): a DELETE of a profile answered 201 and a
PUT of a contact 201.

A PUT answers 200 with ``{"id", "version", "event_id"}`` (the event is in the store
when the answer comes); a DELETE answers 204 with no body.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg
import httpx

from tests.enrolment.helpers import OFFICER as ENROLMENT_OFFICER
from tests.enrolment.helpers import release_client
from tests.pokmas.conftest import PokmasInstance
from tests.pokmas.helpers import OFFICER, pokmas_body, register_pokmas


async def test_a_contact_put_answers_200_with_id_version_and_event_id(
    pokmas: PokmasInstance, pokmas_db: asyncpg.Connection
) -> None:
    pokmas_id = await register_pokmas(pokmas.client)
    contact = {**pokmas_body()["contact"], "name": "Pak Joko"}

    response = await pokmas.client.put(
        f"/api/v1/pokmas/{pokmas_id}/contact", json={"contact": contact}, headers=OFFICER
    )

    assert response.status_code == 200, response.text
    answer = response.json()
    assert set(answer) == {"id", "version", "event_id"}
    assert UUID(answer["id"]) == pokmas_id
    assert answer["version"] == 2
    stored = await pokmas_db.fetchrow(
        "SELECT event_type, aggregate_id, aggregate_version FROM events WHERE event_id = $1",
        UUID(answer["event_id"]),
    )
    assert stored is not None
    assert dict(stored) == {
        "event_type": "PokmasContactChanged",
        "aggregate_id": pokmas_id,
        "aggregate_version": 2,
    }


async def test_a_profile_delete_answers_204_with_no_body(
    enrolment_api: httpx.AsyncClient, enrolment_db: asyncpg.Connection
) -> None:
    client_id = await release_client(enrolment_api)

    response = await enrolment_api.delete(
        f"/api/v1/clients/{client_id}/profile", headers=ENROLMENT_OFFICER
    )

    assert response.status_code == 204, response.text
    assert response.content == b""
    assert "content-type" not in response.headers
    detail = await enrolment_api.get(f"/api/v1/clients/{client_id}", headers=ENROLMENT_OFFICER)
    assert detail.json()["profile"] is None
    erased = await enrolment_db.fetchval(
        "SELECT count(*) FROM events"
        " WHERE aggregate_id = $1 AND event_type = 'ClientProfileErased'",
        client_id,
    )
    assert erased == 1
