"""``bapas privacy export`` against the running services (enrolment and employment, and
for this module notifications and insights beside them, all on the session's topics):
one document with each service's export of the klien, holding everything the
services' ordinary reads show about the klien and nothing of another klien; ``null``
where a service holds nothing, and a refusal when the token is not the klien's
officer's. The document's summary in Bahasa Indonesia (``--pdf``) reads the klien's
name, NIK, dates and every service's section, and nothing of the other klien."""

from __future__ import annotations

import asyncio
import io
import json
import stat
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from pypdf import PdfReader
from typer.testing import CliRunner

from services.insights.app import create_app as create_insights_app
from services.notifications.domain import who_is_told_of
from shared.cli import privacy
from shared.cli.privacy import EXPORTING_SERVICES, ExportRefused, gather_export
from shared.cli.privacy_summary import SECTIONS, summary_pdf
from shared.http import Role
from shared.indonesian import format_date
from tests.employment.helpers import Klien, World, created_id
from tests.enrolment.helpers import WAIT_SECONDS, enrolment_topic_messages, officer, today
from tests.notifications.conftest import RECENT_EVENTS_ONLY, Notifications, running_notifications
from tests.support.databases import fresh_database
from tests.support.infrastructure import Infrastructure
from tests.support.service_app import bearer, running_service

BAPAS = "balikpapan"
OFFICER = officer(BAPAS)


def officer_token(bapas_code: str) -> str:
    return bearer(Role.BAPAS_OFFICER, bapas=bapas_code, sub=f"pk-{bapas_code}")[
        "Authorization"
    ].removeprefix("Bearer ")


@pytest.fixture(scope="module")
async def notifications(
    infra: Infrastructure, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Notifications]:
    async with running_notifications(
        infra, kafka_bootstrap, tmp_path_factory.mktemp("mail"), environment=RECENT_EVENTS_ONLY
    ) as service:
        yield service


def insights_reading_alone() -> FastAPI:
    """The insights app, its projection in a consumer group of its own (the stack's
    insights service may read the same topics in the usual one)."""
    app = create_insights_app()
    for projection in app.state.runtime.projections:
        projection.name = f"insights.figures.test-{uuid4().hex[:12]}"
    return app


@dataclass(frozen=True)
class Insights:
    api: httpx.AsyncClient
    database_url: str


@pytest.fixture(scope="module")
async def insights(infra: Infrastructure, kafka_bootstrap: str) -> AsyncIterator[Insights]:
    async with (
        fresh_database(infra.database_admin_url, prefix="privacy_insights") as url,
        running_service(
            insights_reading_alone,
            service="insights",
            database_url=url,
            kafka_bootstrap=kafka_bootstrap,
        ) as api,
    ):
        yield Insights(api, url)


@pytest.fixture(scope="module")
def services(
    world: World, notifications: Notifications, insights: Insights
) -> dict[str, httpx.AsyncClient]:
    clients = {
        "enrolment": world.enrolment,
        "employment": world.api,
        "notifications": notifications.client,
        "insights": insights.api,
    }
    assert tuple(clients) == EXPORTING_SERVICES
    return clients


@dataclass(frozen=True)
class Supervised:
    """A klien trained and placed, with the ids of what every service holds of it."""

    klien: Klien
    enrolment_id: UUID
    placement_id: UUID
    placed_event_id: UUID

    @property
    def ids(self) -> list[str]:
        return [str(i) for i in (self.klien.client_id, self.enrolment_id, self.placement_id)]


async def place(world: World, klien: Klien, enrolment_id: UUID, employer_id: UUID) -> Supervised:
    placed = await world.place(klien.client_id, employer_id)
    return Supervised(klien, enrolment_id, created_id(placed), UUID(placed.json()["event_id"]))


async def every_item(api: httpx.AsyncClient, path: str, **query: str) -> list[Any]:
    """Every item of a list as the klien's officer reads it, page after page."""
    items: list[Any] = []
    cursor: dict[str, str] = {}
    while True:
        response = await api.get(path, params={"limit": "500", **query, **cursor}, headers=OFFICER)
        assert response.status_code == 200, response.text
        page = response.json()
        items.extend(page["items"])
        if page["next_cursor"] is None:
            return items
        cursor = {"cursor": page["next_cursor"]}


async def read(api: httpx.AsyncClient, path: str) -> Any:
    response = await api.get(path, headers=OFFICER)
    assert response.status_code == 200, response.text
    return response.json()


async def report(api: httpx.AsyncClient, klien: Klien) -> None:
    """The klien reports for its next due date (late if it has passed), with a note."""
    due_on = (await read(api, f"/api/v1/clients/{klien.client_id}"))["reporting"]["next_due_on"]
    response = await api.post(
        f"/api/v1/clients/{klien.client_id}/reports",
        json={
            "due_on": due_on,
            "reported_on": today(BAPAS).isoformat(),
            "status": "late" if date.fromisoformat(due_on) < today(BAPAS) else "reported",
            "channel": "in_person",
            "note": "Datang bersama istrinya; sudah bekerja di bengkel AC",
        },
        headers=OFFICER,
    )
    assert response.status_code == 201, response.text


async def settled_announcements(
    bootstrap: str, notifications: Notifications, klien: Klien, enrolment_id: UUID
) -> list[UUID]:
    """The klien's enrolment events that people are told of (its release, schedule,
    enrolment, attendance and completion at least are on the topic), once their
    deliveries are settled."""
    events = await enrolment_topic_messages(bootstrap, [klien.client_id, enrolment_id], 5)
    told = [event.event_id for _, event in events if who_is_told_of(event.payload)]
    for cause in told:
        await notifications.settled(cause, 1)
    return told


async def until_insights_learnt(database_url: str, client_id: UUID) -> None:
    """Wait (bounded) until insights keeps the klien's completion, employment and placement."""
    connection = await asyncpg.connect(database_url)
    try:
        async with asyncio.timeout(WAIT_SECONDS * 4):
            while (
                await connection.fetchval(
                    "SELECT count(*) FROM klien_facts WHERE client_id = $1", client_id
                )
                < 3
            ):
                await asyncio.sleep(0.2)
    finally:
        await connection.close()


@dataclass(frozen=True)
class Gathered:
    subject: Supervised
    someone_else: Supervised
    shown: list[Any]
    """Every answer of the services' ordinary reads about the subject, before the export."""
    document: dict[str, Any]


@pytest.fixture(scope="module")
async def gathered(
    world: World,
    services: dict[str, httpx.AsyncClient],
    notifications: Notifications,
    insights: Insights,
    kafka_bootstrap: str,
) -> Gathered:
    employer_id = await world.employer()
    vacancy_id = await world.vacancy(employer_id)
    klien, enrolment_id = await world.trained_klien()
    await report(world.enrolment, klien)
    await world.until_learnt({klien.client_id: "under_supervision"}, completions=[enrolment_id])
    candidates = [
        c
        for c in await every_item(world.api, f"/api/v1/vacancies/{vacancy_id}/candidates")
        if c["client_id"] == str(klien.client_id)
    ]
    # The notifications directory knows the klien's PK officer before it is placed: the
    # service reads the enrolment and employment topics side by side.
    causes = await settled_announcements(kafka_bootstrap, notifications, klien, enrolment_id)
    subject = await place(world, klien, enrolment_id, employer_id)
    await notifications.settled(subject.placed_event_id, 1)
    causes.append(subject.placed_event_id)
    someone_else = await place(world, *await world.trained_klien(), employer_id)
    await until_insights_learnt(insights.database_url, klien.client_id)

    client_id = klien.client_id
    enrolment, employment = world.enrolment, world.api
    shown: list[Any] = [
        candidates,
        [
            c
            for c in await every_item(enrolment, "/api/v1/clients")
            if c["client_id"] == str(client_id)
        ],
        await read(enrolment, f"/api/v1/clients/{client_id}"),
        await read(enrolment, f"/api/v1/clients/{client_id}/reports"),
        await every_item(enrolment, "/api/v1/enrolments", client_id=str(client_id)),
        await read(enrolment, f"/api/v1/enrolments/{enrolment_id}"),
        await every_item(employment, "/api/v1/placements", client_id=str(client_id)),
        await read(employment, f"/api/v1/placements/{subject.placement_id}"),
        *[
            await every_item(notifications.client, "/api/v1/notifications", cause_event_id=str(c))
            for c in causes
        ],
        await every_item(enrolment, f"/api/v1/clients/{client_id}/access-log"),
    ]
    document = await gather_export(services, client_id, officer_token(BAPAS))
    return Gathered(subject, someone_else, shown, document)


def leaves(value: Any, key: str = "") -> set[tuple[str, str]]:
    """Each value an answer shows, under the name it is shown with (nulls say nothing)."""
    if isinstance(value, dict):
        return {leaf for k, v in value.items() for leaf in leaves(v, k)}
    if isinstance(value, list):
        return {leaf for item in value for leaf in leaves(item, key)}
    return set() if value is None else {(key, json.dumps(value))}


def foreign_to(gathered: Gathered) -> Iterable[str]:
    """What names the other klien."""
    other = gathered.someone_else
    return [*other.ids, other.klien.nik, other.klien.full_name, other.klien.register_number]


async def test_the_document_holds_everything_the_services_show_of_the_klien_and_no_other(
    gathered: Gathered,
) -> None:
    document = gathered.document
    exports = document["services"]

    assert document["client_id"] == str(gathered.subject.klien.client_id)
    assert all(exports[service] is not None for service in EXPORTING_SERVICES)
    assert all(answer for answer in gathered.shown)
    assert leaves(gathered.shown) - leaves(document) == set()
    assert exports["enrolment"]["klien"]["profile"]["nik"] == gathered.subject.klien.nik
    assert {m["cause_event_type"] for m in exports["notifications"]["messages"]} >= {
        "ClientReleased",
        "ClientEnrolled",
        "TrainingCompleted",
        "ClientPlaced",
    }
    assert {f["kind"] for f in exports["insights"]["facts"]} == {
        "completion",
        "employment",
        "placement",
    }
    text = json.dumps(document)
    for foreign in foreign_to(gathered):
        assert foreign not in text


def pdf_text(pdf: bytes) -> str:
    """The summary's text, without the spaces and line breaks its layout put in."""
    pages = PdfReader(io.BytesIO(pdf)).pages
    return "".join("".join(page.extract_text() for page in pages).split())


async def test_the_summary_reads_the_klien_s_data_in_bahasa_indonesia_and_nothing_of_another(
    gathered: Gathered,
) -> None:
    klien = gathered.subject.klien
    released_on = gathered.document["services"]["enrolment"]["klien"]["released_on"]

    text = pdf_text(summary_pdf(gathered.document))

    for expected in (
        "Ringkasan Data Pribadi Klien",
        str(klien.client_id),
        klien.full_name,
        klien.nik,
        klien.register_number,
        format_date(date.fromisoformat(released_on)),
        *SECTIONS.values(),
        "Riwayat akses",
    ):
        assert "".join(expected.split()) in text
    for foreign in foreign_to(gathered):
        assert "".join(foreign.split()) not in text


def test_the_command_writes_the_document_and_its_summary(
    gathered: Gathered, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def already_gathered(*_: object) -> dict[str, Any]:
        return gathered.document

    monkeypatch.setattr(privacy, "_gather", already_gathered)
    client_id = gathered.subject.klien.client_id
    out, pdf = tmp_path / "klien.json", tmp_path / "klien.pdf"
    out.write_text("an earlier export, readable by all")
    out.chmod(0o644)

    result = CliRunner().invoke(
        privacy.privacy_app,
        ["export", str(client_id), "--token", "t", "--out", str(out), "--pdf", str(pdf)],
    )

    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8")) == gathered.document
    assert gathered.subject.klien.nik in pdf_text(pdf.read_bytes())
    assert [stat.S_IMODE(f.stat().st_mode) for f in (out, pdf)] == [0o600, 0o600]


async def test_another_office_s_officer_learns_nothing_and_the_ministry_is_refused(
    world: World, services: dict[str, httpx.AsyncClient]
) -> None:
    klien = await world.klien()
    await world.until_learnt({klien.client_id: "under_supervision"})

    document = await gather_export(services, klien.client_id, officer_token("samarinda"))
    with pytest.raises(ExportRefused, match="403"):
        await gather_export(services, klien.client_id, bearer(Role.MINISTRY)["Authorization"][7:])

    assert document["services"] == dict.fromkeys(EXPORTING_SERVICES)
