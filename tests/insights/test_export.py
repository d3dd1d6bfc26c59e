"""A klien's subject-access export from the insights service: the facts the figures keep
of the klien by its pseudonymous id (its row, its enrolments, its completion, placement
and employment), as stored under plain names, and nothing of another klien; only the
klien's own officers get it, even of a klien the service learnt from a completion
alone, and the export is recorded in the access log."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from uuid import UUID, uuid4

import httpx
import pytest

from shared.events.employment import ClientPlaced, PlacementKind
from shared.events.enrolment import (
    Assessment,
    ClientEnrolled,
    ClientReleased,
    IntegrationType,
    PkOfficer,
    TrainingCompleted,
)
from shared.events.envelope import Actor
from shared.http import Role
from tests.insights.conftest import InsightsTopics, publish, wait_until_all_applied
from tests.insights.histories import NumberedHistory
from tests.support.service_app import bearer

RELEASED_ON = date(2026, 2, 2)
COMPLETED_ON = date(2026, 4, 30)
PLACED_ON = date(2026, 5, 11)


@dataclass(frozen=True)
class Trained:
    """A klien released, trained to competence and placed, with its ids."""

    client_id: UUID
    enrolment_id: UUID
    programme_id: UUID
    pokmas_id: UUID
    placement_id: UUID


def trained(history: NumberedHistory, office: str) -> Trained:
    klien = Trained(uuid4(), uuid4(), uuid4(), uuid4(), uuid4())
    history.add(
        office,
        ClientReleased(
            client_id=klien.client_id,
            register_number=f"BPP/{klien.client_id.hex[:6]}/2026",
            integration_type=IntegrationType.PB,
            released_on=RELEASED_ON,
            supervision_ends_on=date(2027, 2, 2),
            pk_officer=PkOfficer(id="198501012010011001", name="Andi Wijaya"),
        ),
    )
    history.add(
        office,
        ClientEnrolled(
            enrolment_id=klien.enrolment_id,
            client_id=klien.client_id,
            programme_id=klien.programme_id,
            pokmas_id=klien.pokmas_id,
            enrolled_on=date(2026, 3, 2),
        ),
    )
    history.add(
        office,
        TrainingCompleted(
            enrolment_id=klien.enrolment_id,
            client_id=klien.client_id,
            programme_id=klien.programme_id,
            completed_on=COMPLETED_ON,
            assessment=Assessment.COMPETENT,
        ),
    )
    history.add(
        office,
        ClientPlaced(
            placement_id=klien.placement_id,
            client_id=klien.client_id,
            employer_id=uuid4(),
            started_on=PLACED_ON,
            kind=PlacementKind.EMPLOYED,
            skill="ac_repair",
        ),
    )
    return klien


@dataclass(frozen=True)
class Klien:
    placed: Trained
    someone_else: Trained
    completed_only: UUID
    """A klien whose completion alone reached the service (its release never did)."""


@pytest.fixture(scope="module")
async def klien(
    insights_api: httpx.AsyncClient, kafka_bootstrap: str, insights_topics: InsightsTopics
) -> Klien:
    history = NumberedHistory(Actor(role="bapas_officer", sub="pk-test"))
    placed, someone_else = trained(history, "balikpapan"), trained(history, "balikpapan")
    completed_only = uuid4()
    history.add(
        "samarinda",
        TrainingCompleted(
            enrolment_id=uuid4(),
            client_id=completed_only,
            programme_id=uuid4(),
            completed_on=COMPLETED_ON,
            assessment=Assessment.COMPETENT,
        ),
    )
    await publish(kafka_bootstrap, insights_topics, history.events)
    await wait_until_all_applied(insights_api, history.events)
    return Klien(placed, someone_else, completed_only)


def officer(bapas_code: str) -> dict[str, str]:
    return bearer(Role.BAPAS_OFFICER, bapas=bapas_code, sub=f"pk-{bapas_code}")


async def test_the_export_holds_the_facts_kept_of_the_klien_and_nothing_of_another(
    insights_api: httpx.AsyncClient, klien: Klien
) -> None:
    placed = klien.placed
    response = await insights_api.get(
        f"/api/v1/clients/{placed.client_id}/export", headers=officer("balikpapan")
    )

    assert response.status_code == 200, response.text
    document = response.json()
    assert document["service"] == "insights"
    assert document["klien"] == {
        "client_id": str(placed.client_id),
        "held_by_bapas_code": "balikpapan",
        "released_by_bapas_code": "balikpapan",
        "released_on": RELEASED_ON.isoformat(),
        "under_supervision": True,
        "first_employed_on": PLACED_ON.isoformat(),
        "reoffended": False,
        "revocation_recommended": False,
    }
    assert document["enrolments"] == [
        {
            "enrolment_id": str(placed.enrolment_id),
            "bapas_code": "balikpapan",
            "programme_id": str(placed.programme_id),
            "pokmas_id": str(placed.pokmas_id),
            "suspended": False,
        }
    ]
    facts = {fact["kind"]: fact for fact in document["facts"]}
    assert set(facts) == {"completion", "employment", "placement"}
    assert facts["completion"]["source_id"] == str(placed.enrolment_id)
    assert facts["completion"]["employed_since"] is True
    assert facts["placement"]["source_id"] == str(placed.placement_id)
    assert facts["placement"]["programme_id"] is None
    assert facts["placement"]["skill"] == "ac_repair"
    assert facts["employment"]["day"] == PLACED_ON.isoformat()
    text = json.dumps(document)
    for foreign in vars(klien.someone_else).values():
        assert str(foreign) not in text
    assert [e["route"] for e in document["access_log"]] == ["/api/v1/clients/{client_id}/export"]


async def test_only_the_klien_s_officers_export(
    insights_api: httpx.AsyncClient, klien: Klien
) -> None:
    path = f"/api/v1/clients/{klien.completed_only}/export"

    ministry = await insights_api.get(path, headers=bearer(Role.MINISTRY))
    another_office = await insights_api.get(path, headers=officer("balikpapan"))
    unknown = await insights_api.get(
        f"/api/v1/clients/{uuid4()}/export", headers=officer("samarinda")
    )
    own = await insights_api.get(path, headers=officer("samarinda"))

    assert ministry.status_code == 403
    assert [another_office.status_code, unknown.status_code] == [404, 404]
    assert own.status_code == 200, own.text
    assert own.json()["klien"] is None
    assert [fact["kind"] for fact in own.json()["facts"]] == ["completion"]
