"""The whole platform end to end: the pokmas, enrolment, notifications and employment
services as real processes on a Kafka of the module's own and the real PostgreSQL, the
development mail server, and a webhook subscriber; the Balikpapan scenario played
through the HTTP APIs (and the check of wajib lapor on the enrolment database, as an
operator runs it), then the cross-service results checked: seats counted by pokmas,
suspension on termination, notifications, a signed webhook, graduates placed from the
candidates the employment service learnt from the enrolment events, a certificate
verified, one klien alone recommended for revocation, a klien transferred to Samarinda,
and complete, privacy-clean events on the topics."""

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
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import uvicorn
from aiokafka import AIOKafkaConsumer
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.enrolment.settings import EnrolmentSettings
from shared.cli.demo import report_check
from shared.demo.balikpapan import EARLIER_TRAINING, KLIEN_PER_PROGRAMME, Scenario
from shared.demo.client import PlatformClient, ServiceUrls, eventually, token_for
from shared.demo.employment import PLEDGED, SIX_WEEK_CHECK
from shared.demo.supervision import NEW_OFFICE, NEW_PK_OFFICER
from shared.events.enrolment import ReportMissed, RevocationRecommended
from shared.events.envelope import Envelope, EventPayload
from shared.events.registry import parse_event
from shared.http import Role
from shared.kafka.admin import topic_partitions
from shared.kafka.connection import KafkaConnection
from shared.kafka.topics import EVENT_TOPICS, create_topics
from shared.postgres.urls import with_database
from shared.reference import bapas_office
from shared.stack.services import ServiceProcess
from tests.support.infrastructure import FAULT_KAFKA_PORT, Infrastructure, private_kafka
from tests.support.ports import free_port

SECRET = "e2e-webhook-secret-of-at-least-32-bytes"
PK_OFFICER_EMAIL = "siti.rahmawati@bapas-balikpapan.example"
"""The PK officer of the scenario's klien at Balikpapan."""
KAFKA_PORT = FAULT_KAFKA_PORT + 110


@dataclass
class Platform:
    urls: ServiceUrls
    mail_folder: Path
    database_urls: dict[str, str]
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

    async def each_database(statement: str) -> None:
        admin = await asyncpg.connect(infra.database_admin_url)
        try:
            for database in databases.values():
                await admin.execute(statement.format(database=database))
        finally:
            await admin.close()

    asyncio.run(each_database('CREATE DATABASE "{database}"'))
    ports = {name: free_port() for name in databases}
    mail_port = free_port()
    folder = tmp_path_factory.mktemp("mail")
    found = Platform(
        urls=ServiceUrls(**{name: f"http://127.0.0.1:{port}" for name, port in ports.items()}),
        mail_folder=folder,
        database_urls={
            name: with_database(infra.database_admin_url, database)
            for name, database in databases.items()
        },
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
    for name in databases:
        prefix = name.upper()
        env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": kafka,
            f"{prefix}_DATABASE_URL": found.database_urls[name],
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
        asyncio.run(each_database('DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))


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
        enrolment_database = EnrolmentSettings(database_url=platform.database_urls["enrolment"])
        scenario = Scenario(client, report_check(enrolment_database))
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

    # One klien withdrew from each programme, and the first one's trainee moved away.
    seats = [KLIEN_PER_PROGRAMME - 2] + [KLIEN_PER_PROGRAMME - 1] * (len(rows) - 1)
    assert [row["seats_taken"] for row in rows] == seats
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


async def _outbox_empty(database_url: str) -> bool:
    connection = await asyncpg.connect(database_url)
    try:
        return bool(await connection.fetchval("SELECT NOT EXISTS (SELECT FROM outbox)"))
    finally:
        await connection.close()


async def _relayed(platform: Platform) -> None:
    """Wait until every service's outbox is empty: its relay published what it wrote."""
    for name, database_url in platform.database_urls.items():
        await eventually(f"the {name} relay to publish", partial(_outbox_empty, database_url))


@pytest.fixture(scope="module")
async def records(
    played: tuple[Scenario, WebhookReceiver], platform: Platform, kafka: str
) -> list[tuple[str, bytes]]:
    """(topic, value) of every record on the event topics once the scenario is played
    and the services' relays published it all."""
    await _relayed(platform)
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


def _events(records: list[tuple[str, bytes]]) -> list[Envelope[EventPayload]]:
    return [parse_event(value) for _, value in records]


async def _sent(
    scenario: Scenario, cause: Envelope[EventPayload], token: str, *, count: int
) -> list[dict[str, Any]]:
    """The notifications of ``cause`` once ``count`` of them are sent, as ``token``'s
    caller reads them."""

    async def all_sent() -> list[dict[str, Any]] | None:
        deliveries = await scenario.client.read_all(
            "notifications", "/notifications", token=token, cause_event_id=cause.event_id
        )
        sent = [d for d in deliveries if d["status"] == "sent"]
        return sent if len(sent) >= count else None

    found: list[dict[str, Any]] = await eventually(
        f"{count} notifications of {cause.event_type}", all_sent
    )
    return found


def _recipients(deliveries: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return sorted((d["recipient_kind"], d["address"]) for d in deliveries)


async def test_a_klien_enrolled_is_announced_to_the_pokmas_and_the_pk_officer(
    played: tuple[Scenario, WebhookReceiver], platform: Platform, records: list[tuple[str, bytes]]
) -> None:
    scenario, _ = played
    enrolment_id = scenario.programmes[0].enrolment_ids[0]
    cause = next(
        event
        for event in _events(records)
        if event.event_type == "ClientEnrolled" and event.aggregate_id == enrolment_id
    )

    sent = await _sent(scenario, cause, scenario.officer, count=2)

    assert sorted(str(d["recipient_kind"]) for d in sent) == ["pk_officer", "pokmas"]
    mails = [path.read_text(errors="replace") for path in platform.mail_folder.glob("*.eml")]
    assert any(PK_OFFICER_EMAIL in mail for mail in mails)


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


async def test_the_klien_who_stopped_reporting_alone_is_recommended_for_revocation(
    played: tuple[Scenario, WebhookReceiver], records: list[tuple[str, bytes]]
) -> None:
    scenario, _ = played
    lapse = scenario.supervision.lapse
    assert lapse is not None
    events = _events(records)

    recommended = [
        (event.aggregate_id, event.payload.missed_due_dates)
        for event in events
        if isinstance(event.payload, RevocationRecommended)
    ]
    missed = [
        (event.aggregate_id, event.payload.due_on)
        for event in events
        if isinstance(event.payload, ReportMissed)
    ]
    due_dates = await scenario.supervision.due_date_rows()
    compliance = await scenario.supervision.compliance()

    # Weekly from 58 days ago: the last three due dates before today went unanswered.
    last_three = [date.fromisoformat(scenario.day(offset)) for offset in (-16, -9, -2)]
    assert recommended == [(lapse.client_id, last_three)]
    assert missed == [(lapse.client_id, day) for day in last_three]
    assert [(row["due_on"], row["outcome"]) for row in due_dates[-3:]] == [
        (day.isoformat(), "missed") for day in last_three
    ]
    assert [row["outcome"] for row in due_dates[:-3]] == ["reported"] * 6
    assert (compliance["missed_in_a_row"], compliance["revocation_recommended"]) == (3, True)


async def test_every_other_klien_of_the_run_reported_on_each_due_date_until_today(
    played: tuple[Scenario, WebhookReceiver],
) -> None:
    scenario, _ = played
    klien = [
        client_id
        for played_programme in (*scenario.programmes, *scenario.earlier_cohort)
        for client_id in played_programme.client_ids
    ]
    ministry = token_for(Role.MINISTRY)

    compliance = [
        (await scenario.client.read("enrolment", f"/clients/{client_id}", token=ministry))[
            "reporting"
        ]
        for client_id in klien
    ]

    assert len(compliance) == len(scenario.programmes) * KLIEN_PER_PROGRAMME + len(
        scenario.graduates
    )
    assert all(
        reporting["missed_in_a_row"] == 0 and reporting["revocation_recommended"] is False
        for reporting in compliance
    )
    assert all(reporting["next_due_on"] > scenario.day(0) for reporting in compliance)


async def test_the_first_miss_is_told_to_the_pk_officer_and_the_recommendation_to_the_office(
    played: tuple[Scenario, WebhookReceiver], records: list[tuple[str, bytes]]
) -> None:
    scenario, _ = played
    lapse = scenario.supervision.lapse
    assert lapse is not None
    events = [event for event in _events(records) if event.aggregate_id == lapse.client_id]
    first_miss = next(event for event in events if isinstance(event.payload, ReportMissed))
    recommendation = next(
        event for event in events if isinstance(event.payload, RevocationRecommended)
    )

    told_of_the_miss = await _sent(scenario, first_miss, scenario.officer, count=1)
    told_of_the_recommendation = await _sent(scenario, recommendation, scenario.officer, count=2)

    assert _recipients(told_of_the_miss) == [("pk_officer", PK_OFFICER_EMAIL)]
    assert _recipients(told_of_the_recommendation) == [
        ("bapas", bapas_office("balikpapan").email),
        ("pk_officer", PK_OFFICER_EMAIL),
    ]


async def test_a_klien_transferred_is_samarindas_alone_and_its_training_ended_as_moved(
    played: tuple[Scenario, WebhookReceiver],
) -> None:
    scenario, _ = played
    move = scenario.supervision.move
    assert move is not None
    client_id = move.trainee.client_id

    balikpapan_answers = [
        await scenario.client.answer_to(
            "enrolment", f"/clients/{client_id}{path}", token=scenario.officer
        )
        for path in ("", "/reports")
    ]
    seen = await scenario.client.read(
        "enrolment", f"/clients/{client_id}", token=scenario.supervision.new_officer
    )
    enrolment = await scenario.client.read(
        "enrolment", f"/enrolments/{move.trainee.enrolment_id}", token=scenario.officer
    )
    rows = await scenario.programme_table()

    assert balikpapan_answers == [404, 404]
    assert (seen["bapas_code"], seen["pk_officer"]["name"]) == (NEW_OFFICE, NEW_PK_OFFICER["name"])
    assert seen["profile"]["nik"]  # the new office's officers see the profile
    assert (enrolment["status"], enrolment["withdrawal_reason"], enrolment["bapas_code"]) == (
        "withdrawn",
        "moved",
        "balikpapan",
    )
    assert move.trainee.programme_id == scenario.programmes[0].programme_id
    assert (rows[0]["withdrawn"], rows[0]["seats_taken"]) == (2, KLIEN_PER_PROGRAMME - 2)


async def test_a_transfer_is_told_to_each_office_and_its_pk_officer(
    played: tuple[Scenario, WebhookReceiver],
    records: list[tuple[str, bytes]],
    platform: Platform,
) -> None:
    scenario, _ = played
    move = scenario.supervision.move
    assert move is not None
    transfer = {
        event.event_type: event
        for event in _events(records)
        if event.aggregate_id == move.trainee.client_id
        and event.event_type in ("ClientTransferredOut", "ClientTransferredIn")
    }

    told_out = await _sent(scenario, transfer["ClientTransferredOut"], scenario.officer, count=2)
    told_in = await _sent(
        scenario, transfer["ClientTransferredIn"], scenario.supervision.new_officer, count=2
    )

    assert _recipients(told_out) == [
        ("bapas", bapas_office("balikpapan").email),
        ("pk_officer", PK_OFFICER_EMAIL),
    ]
    assert _recipients(told_in) == [
        ("bapas", bapas_office(NEW_OFFICE).email),
        ("pk_officer", NEW_PK_OFFICER["email"]),
    ]
    assert {d["bapas_code"] for d in told_out} == {"balikpapan"}
    assert {d["bapas_code"] for d in told_in} == {NEW_OFFICE}
    mails = [path.read_text(errors="replace") for path in platform.mail_folder.glob("*.eml")]
    assert any(NEW_PK_OFFICER["email"] in mail for mail in mails)


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


async def test_notes_stay_in_the_enrolment_service_and_reach_no_topic_subscriber_or_mail(
    played: tuple[Scenario, WebhookReceiver], records: list[tuple[str, bytes]], platform: Platform
) -> None:
    scenario, receiver = played
    marker = scenario.note_marker
    enrolment_ids = scenario.programmes[0].enrolment_ids
    completed, withdrawn = [
        await scenario.client.read("enrolment", f"/enrolments/{i}", token=scenario.officer)
        for i in (enrolment_ids[0], enrolment_ids[2])
    ]
    concerns = [s["concern"] for s in completed["attendance"] if s["status"] == "late"]

    assert marker in withdrawn["withdrawal_note"]
    assert concerns
    assert all(marker in concern for concern in concerns)
    assert not [topic for topic, value in records if marker.encode() in value]
    assert not [body for _, body in receiver.received if marker.encode() in body]
    mails = [path.read_bytes() for path in platform.mail_folder.glob("*.eml")]
    assert mails
    assert not [mail for mail in mails if marker.encode() in mail]
