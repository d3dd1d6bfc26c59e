"""The whole platform end to end: the pokmas, enrolment, notifications and employment
services as real processes on a Kafka of the module's own and the real PostgreSQL, the
development mail server, and a webhook subscriber; the Balikpapan scenario played
through the HTTP APIs, then the cross-service results checked: seats counted by pokmas,
suspension on termination, notifications, a signed webhook, graduates placed from the
candidates the employment service learnt from the enrolment events, a certificate
verified, and complete, privacy-clean events on the topics."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest
import uvicorn
from aiokafka import AIOKafkaConsumer
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from shared.demo.balikpapan import EARLIER_TRAINING, KLIEN_PER_PROGRAMME, Scenario
from shared.demo.client import PlatformClient, ServiceUrls, eventually, token_for
from shared.demo.employment import PLEDGED, SIX_WEEK_CHECK
from shared.events.registry import parse_event
from shared.http import Role
from shared.kafka.admin import topic_partitions
from shared.kafka.connection import KafkaConnection
from shared.kafka.topics import EVENT_TOPICS, create_topics
from shared.postgres.urls import with_database
from shared.stack.services import ServiceProcess
from tests.support.infrastructure import FAULT_KAFKA_PORT, Infrastructure, private_kafka
from tests.support.ports import free_port

SECRET = "e2e-webhook-secret-of-at-least-32-bytes"
KAFKA_PORT = FAULT_KAFKA_PORT + 110


@dataclass
class Platform:
    urls: ServiceUrls
    mail_folder: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)


@pytest.fixture(scope="module")
def kafka() -> Iterator[str]:
    """The platform's own Kafka, its topics created: the services' projections start
    from the topics' beginning, and here they hold this module's events alone, not
    every event the session's broker was ever sent."""
    with private_kafka("e2e", port=KAFKA_PORT) as stack:
        asyncio.run(create_topics(stack.kafka_connection))
        yield stack.bootstrap_servers


@pytest.fixture(scope="module")
def platform(
    kafka: str, infra: Infrastructure, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Platform]:
    databases = {
        name: f"e2e_{name}_{uuid.uuid4().hex[:8]}"
        for name in ("pokmas", "enrolment", "notifications", "employment")
    }

    async def create() -> None:
        admin = await asyncpg.connect(infra.database_admin_url)
        try:
            for database in databases.values():
                await admin.execute(f'CREATE DATABASE "{database}"')
        finally:
            await admin.close()

    asyncio.run(create())
    ports = {name: free_port() for name in databases}
    mail_port = free_port()
    folder = tmp_path_factory.mktemp("mail")
    found = Platform(
        urls=ServiceUrls(**{name: f"http://127.0.0.1:{port}" for name, port in ports.items()}),
        mail_folder=folder,
    )
    found.processes.append(
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "services.notifications.dev_smtp",
                "--port",
                str(mail_port),
                "--folder",
                str(folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    )
    for name, database in databases.items():
        prefix = name.upper()
        env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": kafka,
            f"{prefix}_DATABASE_URL": with_database(infra.database_admin_url, database),
            f"{prefix}_PORT": str(ports[name]),
            "NOTIFICATIONS_SMTP_PORT": str(mail_port),
            "NOTIFICATIONS_DELIVERY_POLL_SECONDS": "0.2",
        }
        found.processes.append(
            subprocess.Popen(
                ServiceProcess(name, ports[name]).command,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    try:
        asyncio.run(_wait_ready(found))
        yield found
    finally:
        for process in found.processes:
            process.terminate()
        for process in found.processes:
            process.wait(timeout=30)


async def _wait_ready(platform: Platform) -> None:
    async with httpx.AsyncClient(timeout=2) as http:
        urls = platform.urls
        for url in (urls.pokmas, urls.enrolment, urls.notifications, urls.employment):

            async def ready(url: str = url) -> bool:
                try:
                    return (await http.get(f"{url}/health/ready")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(f"{url} to be ready", ready, timeout=90)


@dataclass
class WebhookReceiver:
    url: str
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@contextlib.asynccontextmanager
async def webhook_receiver() -> AsyncIterator[WebhookReceiver]:
    port = free_port()
    receiver = WebhookReceiver(url=f"http://127.0.0.1:{port}/hooks")

    async def hook(request: Request) -> Response:
        receiver.received.append((dict(request.headers), await request.body()))
        return Response(status_code=204)

    server = uvicorn.Server(
        uvicorn.Config(
            Starlette(routes=[Route("/hooks", hook, methods=["POST"])]),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    task = asyncio.create_task(server.serve())
    await eventually("the webhook receiver", lambda: _started(server))
    try:
        yield receiver
    finally:
        server.should_exit = True
        await task


async def _started(server: uvicorn.Server) -> bool:
    return server.started


@pytest.fixture(scope="module")
async def played(platform: Platform) -> AsyncIterator[tuple[Scenario, WebhookReceiver]]:
    """The scenario, played once for every test of this module, with a subscriber."""
    async with httpx.AsyncClient(timeout=30) as http, webhook_receiver() as receiver:
        client = PlatformClient(platform.urls, http)
        await client.command(
            "notifications",
            "/subscriptions",
            {"url": receiver.url, "event_types": ["TrainingCompleted"], "secret": SECRET},
            token=token_for(Role.MINISTRY),
        )
        scenario = Scenario(client)
        await scenario.play()

        async def all_completions() -> bool:
            return len(receiver.received) >= _completions(scenario)

        await eventually("the TrainingCompleted webhooks", all_completions)
        yield scenario, receiver


def _completions(scenario: Scenario) -> int:
    """Two completions per programme of the run's cohort, and the earlier cohort's."""
    return 2 * len(scenario.programmes) + len(scenario.graduates)


async def test_pokmas_counts_the_seats_of_the_enrolments_made_in_the_enrolment_service(
    played: tuple[Scenario, WebhookReceiver],
) -> None:
    scenario, _ = played

    rows = await scenario.programme_table()

    assert [row["seats_taken"] for row in rows] == [KLIEN_PER_PROGRAMME - 1] * len(rows)
    assert all(
        row["seats_taken"] == row["enrolled"] + row["completed"] + row["suspended"] for row in rows
    )


async def test_terminating_an_mou_suspends_the_enrolments_of_its_programmes(
    played: tuple[Scenario, WebhookReceiver],
) -> None:
    scenario, _ = played

    rows = await scenario.programme_table()

    assert (rows[-1]["suspended"], rows[-1]["enrolled"]) == (1, 0)
    assert all(row["suspended"] == 0 for row in rows[:-1])


@pytest.fixture(scope="module")
async def records(played: tuple[Scenario, WebhookReceiver], kafka: str) -> list[tuple[str, bytes]]:
    """(topic, value) of every record on the event topics once the scenario is played."""
    partitions = await topic_partitions(KafkaConnection.to(kafka), EVENT_TOPICS)
    # auto_offset_reset, not only seek_to_beginning: the reset that assign() starts
    # races with the seek, and the default, "latest", could win.
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka, auto_offset_reset="earliest")
    await consumer.start()
    try:
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        await consumer.seek_to_beginning(*partitions)
        found: list[tuple[str, bytes]] = []
        async with asyncio.timeout(60):
            while [p for p in partitions if await consumer.position(p) < ends[p]]:
                for batch in (await consumer.getmany(timeout_ms=500)).values():
                    found.extend((r.topic, r.value or b"") for r in batch)
    finally:
        await consumer.stop()
    return found


async def test_a_klien_enrolled_is_announced_to_the_pokmas_and_the_pk_officer(
    played: tuple[Scenario, WebhookReceiver], platform: Platform, records: list[tuple[str, bytes]]
) -> None:
    scenario, _ = played
    enrolment_id = scenario.programmes[0].enrolment_ids[0]
    cause = next(
        event.event_id
        for event in (parse_event(value) for _, value in records)
        if event.event_type == "ClientEnrolled" and event.aggregate_id == enrolment_id
    )

    async def both_sent() -> list[dict[str, object]] | None:
        deliveries = await scenario.client.read_all(
            "notifications", "/notifications", token=scenario.officer, cause_event_id=cause
        )
        sent = [d for d in deliveries if d["status"] == "sent"]
        return sent if len(sent) >= 2 else None

    sent = await eventually("both ClientEnrolled notifications", both_sent)

    assert sorted(str(d["recipient_kind"]) for d in sent) == ["pk_officer", "pokmas"]
    mails = [path.read_text(errors="replace") for path in platform.mail_folder.glob("*.eml")]
    assert any("siti.rahmawati@bapas-balikpapan.example" in mail for mail in mails)


async def test_a_webhook_subscriber_receives_each_training_completed_signed_with_its_secret(
    played: tuple[Scenario, WebhookReceiver],
) -> None:
    scenario, receiver = played

    for headers, body in receiver.received:
        parts = dict(part.split("=", 1) for part in headers["x-bapas-signature"].split(","))
        signed = parts["t"].encode() + b"." + body
        expected = hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()
        assert parts["v1"] == expected
    events = [json.loads(body) for _, body in receiver.received]
    assert {event["event_type"] for event in events} == {"TrainingCompleted"}
    assert len({event["event_id"] for event in events}) == len(events) == _completions(scenario)


async def test_the_workshops_pledged_and_their_vacancies_are_filled_from_their_candidates(
    played: tuple[Scenario, WebhookReceiver],
) -> None:
    scenario, _ = played
    hiring = scenario.hiring

    employers = await hiring.employer_rows()
    vacancies = await hiring.vacancy_rows()

    assert [(row["employer"], row["sector"], row["pledged_on"]) for row in employers] == [
        ("CV Sejuk Jaya Teknik", "S", scenario.day(PLEDGED)),
        ("Bengkel Jok Makmur", "G", scenario.day(PLEDGED)),
    ]
    assert [
        (row["skill"], row["positions"], row["placed"], row["status"]) for row in vacancies
    ] == [
        ("ac_repair", 2, 2, "filled"),
        ("car_upholstery", 1, 1, "filled"),
    ]
    for workshop in hiring.workshops:
        placed = {placement.register_number for placement in workshop.placements}
        assert placed <= set(workshop.candidates)


async def test_the_graduates_placed_are_still_at_work_at_their_six_week_check(
    played: tuple[Scenario, WebhookReceiver],
) -> None:
    scenario, _ = played
    hiring = scenario.hiring

    placements = await hiring.placement_rows()
    candidates = await scenario.client.read_all(
        "employment",
        f"/vacancies/{hiring.workshops[0].vacancy_id}/candidates",
        token=scenario.officer,
    )

    assert [(row["employer"], row["status"], row["still_employed"]) for row in placements] == [
        ("CV Sejuk Jaya Teknik", "active", True),
        ("CV Sejuk Jaya Teknik", "active", True),
        ("Bengkel Jok Makmur", "active", True),
    ]
    completed = date.fromisoformat(scenario.day(EARLIER_TRAINING[1]))
    for row in placements:
        started_on = date.fromisoformat(row["started_on"])
        assert started_on > completed
        assert date.fromisoformat(row["checked_on"]) == started_on + timedelta(SIX_WEEK_CHECK)
    assert [row["hires"] for row in await hiring.employer_rows()] == [2, 1]
    still_candidates = {candidate["register_number"] for candidate in candidates}
    assert not still_candidates & {row["klien"] for row in placements}


async def test_an_employer_verifies_a_hired_graduates_certificate_by_the_printed_name(
    played: tuple[Scenario, WebhookReceiver],
) -> None:
    scenario, _ = played
    hiring = scenario.hiring

    other_name = await scenario.client.verify_certificate(
        hiring.certificate_code, name="Nama Orang Lain"
    )

    check = hiring.certificate_check
    assert (check["valid"], check["name_matches"]) == (True, True)
    assert (check["skill"], check["bapas_code"]) == ("ac_repair", "balikpapan")
    assert check["completed_on"] == scenario.day(EARLIER_TRAINING[1])
    assert (other_name["valid"], other_name["name_matches"]) == (True, False)


async def test_every_event_on_the_topics_has_the_full_envelope_and_no_personal_data(
    played: tuple[Scenario, WebhookReceiver], records: list[tuple[str, bytes]]
) -> None:
    scenario, _ = played
    secrets = [
        value.encode()
        for profile in scenario.profiles
        for value in (profile["full_name"], profile["nik"])
    ]

    events = [parse_event(value) for _, value in records]

    assert len(events) > 300
    assert all(event.event_id and event.correlation_id and event.actor for event in events)
    assert not [value for _, value in records if any(secret in value for secret in secrets)]
