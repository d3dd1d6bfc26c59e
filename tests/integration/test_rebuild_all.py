"""Rebuilding everything a service shows changes nothing it shows.

For each of the five services, every list (page by page, with its cursors) and every
detail its API answers is the same before and after ``bapas projection rebuild SERVICE
--all``. A row removed by hand beforehand from each kind of table the rebuild makes (a
projection of another service's events; a read model of the service's own events) is
back afterwards, so a rebuild that did nothing fails.

One history, made through the pokmas, enrolment and employment APIs, feeds all five
services: Pokmas registered, a contact changed, MoUs signed, terminated and renewed,
programmes opened and closed; klien released, enrolled, attending, completing,
withdrawing, suspended and resumed by their MoU, employed, re-offending, their
supervision ended and a profile erased; an employer pledged, vacancies filled, closed
and open with a candidate, placements ended and checked; the e-mail, SMS and webhook
notifications of it all, and the figures. The services run in the test process on
databases of their own and on a Kafka of this module's own: their projections read the
contract's topics from the beginning in the usual consumer groups, which other readers
of a shared broker would split.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from fastapi import FastAPI
from typer.testing import CliRunner

from services.employment.app import create_app as create_employment_app
from services.enrolment.app import create_app as create_enrolment_app
from services.insights.app import create_app as create_insights_app
from services.insights.figures import BREAKDOWNS, Level
from services.notifications.app import create_app as create_notifications_app
from services.pokmas.app import create_app as create_pokmas_app
from shared.cli.main import app as bapas
from shared.cli.projection import projections_of
from shared.http import Role
from shared.kafka.admin import topic_partitions
from shared.kafka.connection import KafkaConnection
from shared.kafka.topics import EMPLOYMENT_EVENTS, ENROLMENT_EVENTS, POKMAS_EVENTS
from shared.reference import bapas_office
from tests.enrolment.helpers import (
    Programme,
    attend,
    days,
    enrolled_klien,
    release_client,
    today,
    wait_for_status,
)
from tests.notifications.receivers import http_receiver, mailbox
from tests.pokmas.helpers import open_programme, register_pokmas, sign_mou
from tests.support.databases import fresh_database
from tests.support.infrastructure import FAULT_KAFKA_PORT, Infrastructure, private_kafka
from tests.support.service_app import bearer, running_service

KAFKA_PORT = FAULT_KAFKA_PORT + 170
BAPAS = "balikpapan"
PAGE = 2
"""Items per page: every list the history fills takes several pages."""
QUIET_SECONDS = 90.0

OFFICER = bearer(Role.BAPAS_OFFICER, bapas=BAPAS, sub="pk-rebuild")
"""Sees everything of the office, klien profiles included."""
MINISTRY = bearer(Role.MINISTRY, sub="ministry-rebuild")

CREATE_APP: Mapping[str, Callable[[], FastAPI]] = {
    "pokmas": create_pokmas_app,
    "enrolment": create_enrolment_app,
    "notifications": create_notifications_app,
    "insights": create_insights_app,
    "employment": create_employment_app,
}

REMOVED_BY_HAND: Mapping[str, tuple[str, ...]] = {
    "pokmas": ("mous", "programme_seats"),
    "enrolment": ("enrolment_attendance", "pokmas_programmes"),
    "notifications": ("clients",),
    "insights": ("daily_counts",),
    "employment": ("vacancies", "clients"),
}
"""Per service, tables a row is removed from before the rebuild: one of its own read
models and one of its projections where it has both."""

STILL_WORKING: Mapping[str, str] = {
    "notifications": "SELECT count(*) FROM deliveries WHERE status = 'pending'",
}
"""Work a service still has to do, beyond its outbox and projections, before its
answers hold still."""


@dataclass(frozen=True)
class Listed:
    """A list of a service's API: filters worth asking it, and each item's detail."""

    path: str
    filters: tuple[dict[str, str], ...] = ({},)
    detail: str | None = None
    """The path of an item's detail, formatted with the item's fields."""


LISTS: Mapping[str, tuple[Listed, ...]] = {
    "pokmas": (
        Listed("/api/v1/pokmas", detail="/api/v1/pokmas/{pokmas_id}"),
        Listed(
            "/api/v1/mous",
            ({}, {"status": "terminated"}, {"expiring_within_days": "400"}),
            "/api/v1/mous/{mou_id}",
        ),
        Listed(
            "/api/v1/programmes", ({}, {"status": "closed"}), "/api/v1/programmes/{programme_id}"
        ),
    ),
    "enrolment": (
        Listed(
            "/api/v1/clients", ({}, {"status": "supervision_ended"}), "/api/v1/clients/{client_id}"
        ),
        Listed(
            "/api/v1/enrolments",
            ({}, {"status": "suspended"}, {"status": "completed"}),
            "/api/v1/enrolments/{enrolment_id}",
        ),
    ),
    "notifications": (
        Listed("/api/v1/notifications", ({}, {"channel": "webhook"}, {"channel": "sms"})),
        Listed("/api/v1/subscriptions", detail="/api/v1/subscriptions/{id}"),
    ),
    "employment": (
        Listed("/api/v1/employers", detail="/api/v1/employers/{employer_id}/record"),
        Listed(
            "/api/v1/vacancies",
            ({}, {"status": "filled"}, {"status": "closed"}),
            "/api/v1/vacancies/{vacancy_id}/candidates",
        ),
        Listed("/api/v1/placements", ({}, {"status": "ended"}), "/api/v1/placements/{id}"),
    ),
}

Answers = dict[str, Any]


@dataclass
class Platform:
    """The five running services: a client for each and their databases."""

    bootstrap: str
    clients: dict[str, httpx.AsyncClient] = field(default_factory=dict)
    database_urls: dict[str, str] = field(default_factory=dict)
    webhook_url: str = ""


@dataclass(frozen=True)
class History:
    pokmas_ids: list[UUID]


@pytest.fixture(scope="module")
def kafka() -> Iterator[str]:
    with private_kafka("rebuild-all", port=KAFKA_PORT) as stack:
        asyncio.run(stack.create_topics())
        yield stack.bootstrap_servers


@pytest.fixture(scope="module")
async def platform(
    infra: Infrastructure, kafka: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Platform]:
    async with AsyncExitStack() as stack:
        box = await stack.enter_async_context(mailbox(tmp_path_factory.mktemp("rebuild-mail")))
        receiver = await stack.enter_async_context(http_receiver())
        settings = {
            "notifications": {
                "NOTIFICATIONS_SMTP_PORT": str(box.port),
                "NOTIFICATIONS_SMS_GATEWAY_URL": receiver.url("/sms"),
                "NOTIFICATIONS_SMS_GATEWAY_KEY": "sms-gateway-rebuild-key",
                "NOTIFICATIONS_DELIVERY_POLL_SECONDS": "0.05",
            }
        }
        platform = Platform(bootstrap=kafka, webhook_url=receiver.url("/hooks"))
        for service, create_app in CREATE_APP.items():
            url = await stack.enter_async_context(
                fresh_database(infra.database_admin_url, prefix=f"rebuild_{service}")
            )
            platform.database_urls[service] = url
            platform.clients[service] = await stack.enter_async_context(
                running_service(
                    create_app,
                    service=service,
                    database_url=url,
                    kafka_bootstrap=kafka,
                    extra_environment=settings.get(service),
                )
            )
        yield platform


@pytest.fixture(scope="module")
async def history(platform: Platform) -> History:
    made = await make_history(platform)
    await until_quiet(platform)
    return made


async def make_history(platform: Platform) -> History:
    pokmas, enrolment = platform.clients["pokmas"], platform.clients["enrolment"]
    subscribed = await platform.clients["notifications"].post(
        "/api/v1/subscriptions",
        json={
            "url": platform.webhook_url,
            "event_types": ["TrainingCompleted", "EnrolmentSuspended"],
            "secret": "rebuild-test-webhook-secret-of-32-bytes",
        },
        headers=MINISTRY,
    )
    assert subscribed.status_code == 201, subscribed.text
    completing, resuming, staying_suspended = [
        await _programme(pokmas, number) for number in range(3)
    ]
    changed = await pokmas.put(
        f"/api/v1/pokmas/{completing.pokmas_id}/contact",
        json={
            "contact": {
                "name": "Pak Rudi",
                "phone": "+62 812 5555 0202",
                "email": "rudi@pokmas.example",
            }
        },
        headers=OFFICER,
    )
    assert changed.status_code == 200, changed.text

    graduate, completed = await enrolled_klien(enrolment, completing)
    await attend(enrolment, completed, completing, [1, 2, 3])
    await _command(
        enrolment,
        f"/api/v1/enrolments/{completed}/completion",
        {"completed_on": _today(), "assessment": "competent", "certificate_number": "SRT/1"},
    )
    await _command(
        enrolment,
        f"/api/v1/clients/{graduate}/employment",
        {"employment_kind": "employed", "employer_name": "CV Sejuk", "started_on": _today()},
    )
    _, withdrawn = await enrolled_klien(enrolment, completing)
    await attend(enrolment, withdrawn, completing, [1], status="absent")
    await _command(
        enrolment,
        f"/api/v1/enrolments/{withdrawn}/withdrawal",
        {"withdrawn_on": _today(), "reason_code": "moved", "note": "pindah ke Samarinda"},
    )

    _, resumed = await enrolled_klien(enrolment, resuming)
    await attend(enrolment, resumed, resuming, [1], status="late")
    await _terminate(pokmas, resuming)
    await wait_for_status(enrolment, resumed, "suspended")
    await _command(
        pokmas,
        f"/api/v1/mous/{resuming.mou_id}/renewal",
        {"valid_until": days(400).isoformat()},
    )
    await wait_for_status(enrolment, resumed, "enrolled")

    _, suspended = await enrolled_klien(enrolment, staying_suspended)
    await _command(
        pokmas,
        f"/api/v1/programmes/{staying_suspended.programme_id}/closure",
        {"closed_on": _today(), "reason": "bengkel ditutup"},
    )
    await _terminate(pokmas, staying_suspended)
    await wait_for_status(enrolment, suspended, "suspended")

    reoffended = await release_client(enrolment)
    await _command(
        enrolment,
        f"/api/v1/clients/{reoffended}/reoffence",
        {"recorded_on": _today(), "note": "pencurian"},
    )
    await _command(
        enrolment,
        f"/api/v1/clients/{reoffended}/supervision-end",
        {"ended_on": _today(), "outcome": "revoked"},
    )
    erased = await release_client(enrolment)
    response = await enrolment.delete(f"/api/v1/clients/{erased}/profile", headers=OFFICER)
    assert response.status_code == 204, response.text
    await make_employment_history(platform, graduate)
    return History(pokmas_ids=[p.pokmas_id for p in (completing, resuming, staying_suspended)])


async def make_employment_history(platform: Platform, graduate: UUID) -> None:
    """An employer pledged, a vacancy filled and one closed, one open whose candidate is
    the graduate; a placement from a vacancy ended, and one checked at six weeks."""
    employment, enrolment = platform.clients["employment"], platform.clients["enrolment"]
    employer = await _created(
        employment,
        "/api/v1/employers",
        {
            "bapas_code": BAPAS,
            "name": "CV Sejuk Jaya Teknik",
            "sector": "G",
            "address": "Jl. Soekarno-Hatta Km 5, Balikpapan",
            "contact": {"name": "Hendra", "phone": "+62 542 860 112", "email": "hr@sejuk.example"},
            "skills": ["ac_repair"],
        },
    )
    await _command(employment, f"/api/v1/employers/{employer}/pledge", {"signed_on": _today()})
    filled, open_vacancy, closed = [
        await _created(
            employment,
            f"/api/v1/employers/{employer}/vacancies",
            {
                "title": f"Teknisi AC {number}",
                "skill": "ac_repair",
                "positions": 1,
                "opens_on": _today(),
                "closes_on": days(30).isoformat(),
            },
        )
        for number in range(3)
    ]
    await _command(
        employment,
        f"/api/v1/vacancies/{closed}/closure",
        {"closed_on": _today(), "reason": "batal"},
    )
    worker = await _place(employment, await release_client(enrolment), employer, filled)
    await _command(
        employment,
        f"/api/v1/placements/{worker}/end",
        {"ended_on": _today(), "reason": "contract_ended"},
    )
    veteran = await release_client(enrolment, released_on=days(-100).isoformat())
    checked = await _place(employment, veteran, employer, None, started_on=days(-50))
    await _command(
        employment,
        f"/api/v1/placements/{checked}/checks",
        {"checked_on": _today(), "still_employed": True},
    )
    # The graduate stays the open vacancy's candidate once the projection learns of it.
    async with asyncio.timeout(QUIET_SECONDS):
        while True:
            page = await _get(employment, f"/api/v1/vacancies/{open_vacancy}/candidates", OFFICER)
            if str(graduate) in {item["client_id"] for item in page["items"]}:
                return
            await asyncio.sleep(0.2)


async def _place(
    employment: httpx.AsyncClient,
    client_id: UUID,
    employer_id: UUID,
    vacancy_id: UUID | None,
    *,
    started_on: date | None = None,
) -> UUID:
    """Place the klien once the employment service has learnt of it."""
    body = {
        "client_id": str(client_id),
        "employer_id": str(employer_id),
        "vacancy_id": None if vacancy_id is None else str(vacancy_id),
        "started_on": (started_on or today()).isoformat(),
        "kind": "employed",
    }
    async with asyncio.timeout(QUIET_SECONDS):
        while True:
            response = await employment.post("/api/v1/placements", json=body, headers=OFFICER)
            if response.status_code != 422:
                break
            await asyncio.sleep(0.1)
    assert response.status_code == 201, response.text
    return UUID(response.json()["id"])


async def _created(api: httpx.AsyncClient, path: str, body: dict[str, Any]) -> UUID:
    response = await api.post(path, json=body, headers=OFFICER)
    assert response.status_code == 201, f"POST {path}: {response.status_code} {response.text}"
    return UUID(response.json()["id"])


async def _programme(pokmas: httpx.AsyncClient, number: int) -> Programme:
    """A Pokmas with an MoU and an open programme of four sessions, begun ten days ago."""
    pokmas_id = await register_pokmas(pokmas, name=f"Pokmas Bangun Lagi {number}")
    mou_id = await sign_mou(
        pokmas,
        pokmas_id,
        number=f"PKS/BPP/RB-{number}",
        signed_on=days(-30).isoformat(),
        valid_from=days(-30).isoformat(),
        valid_until=days(300 + number).isoformat(),
    )
    starts_on, ends_on, capacity, sessions = days(-10), days(50), 5, 4
    programme_id = await open_programme(
        pokmas,
        pokmas_id,
        mou_id,
        title=f"Servis AC angkatan {number}",
        capacity=capacity,
        starts_on=starts_on.isoformat(),
        ends_on=ends_on.isoformat(),
        sessions_planned=sessions,
    )
    return Programme(BAPAS, pokmas_id, mou_id, programme_id, starts_on, ends_on, capacity, sessions)


async def _terminate(pokmas: httpx.AsyncClient, programme: Programme) -> None:
    await _command(
        pokmas,
        f"/api/v1/mous/{programme.mou_id}/termination",
        {"effective_on": _today(), "reason": "Pokmas berhenti beroperasi"},
    )


async def _command(api: httpx.AsyncClient, path: str, body: dict[str, Any]) -> None:
    response = await api.post(path, json=body, headers=OFFICER)
    assert response.status_code == 201, f"POST {path}: {response.status_code} {response.text}"


def _today() -> str:
    return today().isoformat()


# -- until every service has done all it will do -------------------------------------


async def until_quiet(platform: Platform) -> None:
    """Wait until every event is published, applied by every projection of every
    service, and every notification sent: from then on the answers hold still."""
    kafka = KafkaConnection.to(platform.bootstrap)
    partitions = await topic_partitions(kafka, [POKMAS_EVENTS, ENROLMENT_EVENTS, EMPLOYMENT_EVENTS])
    consumer = AIOKafkaConsumer(**kafka.client_options(), enable_auto_commit=False)
    await consumer.start()
    try:
        async with asyncio.timeout(QUIET_SECONDS):
            while not await _quiet(platform, consumer, partitions):
                await asyncio.sleep(0.2)
    finally:
        await consumer.stop()


async def _quiet(
    platform: Platform, consumer: AIOKafkaConsumer, partitions: list[TopicPartition]
) -> bool:
    ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
    for service, url in platform.database_urls.items():
        connection = await asyncpg.connect(url)
        try:
            if not await _service_quiet(connection, service, ends):
                return False
        finally:
            await connection.close()
    return bool(await consumer.end_offsets(partitions) == ends)


async def _service_quiet(
    connection: asyncpg.Connection, service: str, ends: Mapping[TopicPartition, int]
) -> bool:
    if await connection.fetchval("SELECT count(*) FROM outbox"):
        return False
    if service in STILL_WORKING and await connection.fetchval(STILL_WORKING[service]):
        return False
    for projection in projections_of(service).values():
        rows = await connection.fetch(
            "SELECT topic, partition, next_offset FROM projection_offsets WHERE projection = $1",
            projection.name,
        )
        applied = {TopicPartition(r["topic"], r["partition"]): r["next_offset"] for r in rows}
        for partition, end in ends.items():
            if partition.topic in projection.topics and applied.get(partition, 0) < end:
                return False
    return True


# -- what each service answers --------------------------------------------------------


async def answers_of(service: str, platform: Platform, history: History) -> Answers:
    api = platform.clients[service]
    if service == "insights":
        return await _figures(api, history)
    headers = OFFICER if service in ("pokmas", "enrolment", "employment") else MINISTRY
    answers: Answers = {}
    for listed in LISTS[service]:
        for filters in listed.filters:
            pages = await _pages(api, listed.path, headers, filters)
            answers[f"{listed.path} {filters}"] = pages
            if listed.detail is None or filters:
                continue
            for item in (item for page in pages for item in page["items"]):
                path = listed.detail.format(**item)
                answers[path] = await _get(api, path, headers)
    return answers


async def _pages(
    api: httpx.AsyncClient, path: str, headers: dict[str, str], filters: dict[str, str]
) -> list[Any]:
    pages: list[Any] = []
    cursor: dict[str, str] = {}
    while True:
        page = await _get(api, path, headers, limit=str(PAGE), **filters, **cursor)
        pages.append(page)
        if page["next_cursor"] is None:
            return pages
        cursor = {"cursor": page["next_cursor"]}


async def _figures(api: httpx.AsyncClient, history: History) -> Answers:
    """Every level's figures, all time and for a period, as JSON and as the CSV of each
    breakdown; the offices and how fresh the figures are."""
    office = bapas_office(BAPAS)
    scopes = {
        "/api/v1/figures": Level.NATIONAL,
        f"/api/v1/figures/provinces/{office.province}": Level.PROVINCE,
        f"/api/v1/figures/bapas/{BAPAS}": Level.BAPAS,
        **{f"/api/v1/figures/pokmas/{pokmas_id}": Level.POKMAS for pokmas_id in history.pokmas_ids},
    }
    period = {"from": (today() - timedelta(days=20)).isoformat(), "to": _today()}
    csv = {**MINISTRY, "Accept": "text/csv"}
    answers: Answers = {
        path: await _get(api, path, MINISTRY) for path in ("/api/v1/offices", "/api/v1/as-of")
    }
    for path, level in scopes.items():
        answers[path] = await _get(api, path, MINISTRY)
        answers[f"{path} {period}"] = await _get(api, path, MINISTRY, **period)
        for breakdown in BREAKDOWNS[level]:
            answers[f"{path} csv by {breakdown}"] = await _get(api, path, csv, by=breakdown.value)
    return answers


async def _get(api: httpx.AsyncClient, path: str, headers: dict[str, str], **query: str) -> Any:
    response = await api.get(path, params=query, headers=headers)
    assert response.status_code == 200, f"GET {path} {query}: {response.text}"
    if response.headers["content-type"].startswith("text/csv"):
        return response.text
    return response.json()


# -- damage, rebuild, compare ---------------------------------------------------------


async def remove_a_row_of_each(database_url: str, tables: tuple[str, ...]) -> dict[str, str]:
    """Delete one row of each table; the rows deleted, as JSON, by table."""
    connection = await asyncpg.connect(database_url)
    try:
        removed: dict[str, str] = {}
        for table in tables:
            row = await connection.fetchval(
                f"DELETE FROM {table} AS gone WHERE ctid = (SELECT ctid FROM {table} LIMIT 1)"
                " RETURNING to_jsonb(gone)"
            )
            assert row is not None, f"{table} is empty: the history does not reach it"
            removed[table] = row
        return removed
    finally:
        await connection.close()


async def rows_back(database_url: str, removed: dict[str, str]) -> list[str]:
    """The tables whose removed row is there again, exactly as it was."""
    connection = await asyncpg.connect(database_url)
    try:
        return [
            table
            for table, row in removed.items()
            if await connection.fetchval(
                f"SELECT count(*) FROM {table} AS kept WHERE to_jsonb(kept) = $1::jsonb", row
            )
        ]
    finally:
        await connection.close()


async def rebuild_everything(service: str, platform: Platform) -> str:
    """``bapas projection rebuild SERVICE --all`` with the service's settings, while the
    service runs; its output."""
    environment = {
        f"{service.upper()}_DATABASE_URL": platform.database_urls[service],
        "KAFKA_BOOTSTRAP_SERVERS": platform.bootstrap,
    }
    arguments = ["projection", "rebuild", service, "--all"]
    # In a thread: the command runs its own event loop, beside the services' one.
    result = await asyncio.to_thread(CliRunner().invoke, bapas, arguments, env=environment)
    assert result.exit_code == 0, f"{result.output}{result.exception!r}"
    return " ".join(result.output.split())


@pytest.mark.parametrize("service", list(CREATE_APP))
async def test_every_answer_of_a_service_is_the_same_after_rebuilding_all_it_shows(
    service: str, platform: Platform, history: History
) -> None:
    before = await answers_of(service, platform, history)
    removed = await remove_a_row_of_each(platform.database_urls[service], REMOVED_BY_HAND[service])

    output = await rebuild_everything(service, platform)
    after = await answers_of(service, platform, history)

    assert await rows_back(platform.database_urls[service], removed) == list(removed)
    changed = [question for question in before if after.get(question) != before[question]]
    assert changed == [], f"answers changed by the rebuild: {changed}"
    assert after.keys() == before.keys()
    for name in projections_of(service):
        assert f"rebuilt {service}.{name}:" in output
    if service in ("pokmas", "enrolment", "employment"):
        assert f"rebuilt the read models of {service} (" in output
    else:
        assert f"{service} keeps no read models of its own events" in output
