"""A broker of a three-node Kafka cluster dies under the services (the quality bars).

The pokmas, enrolment and notifications services run as processes against a cluster
of their own, named by its comma-separated bootstrap list (each of them would have
failed to start had the list been taken for one host). Offices play their Pokmas
stories in parallel: register a Pokmas, sign its MoU, open a programme, release and
enrol klien, and for some terminate the MoU. Once a third of the commands are
accepted, the broker leading the most of the events is killed (SIGKILL) and the
stories go on; a command answered 503 is sent again, as a client would (the API has
no idempotency key, and a 503 stores nothing).

Afterwards every accepted command's event is on its topic, and each is applied
downstream exactly once: the enrolment service holds each Pokmas, MoU and programme
at the version of its last accepted command, the pokmas service counts each
enrolment's seat once, each terminated MoU suspends each of its enrolments once, and
each signed MoU and released klien is announced once to each recipient. Then the
killed broker rejoins the cluster.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared.demo.client import DemoError, eventually, token_for
from shared.events.registry import parse_event
from shared.http import Role
from shared.kafka.admin import topic_partitions
from shared.kafka.connection import KafkaConnection
from shared.kafka.probe import wait_for_kafka
from shared.kafka.topics import ENROLMENT_EVENTS, POKMAS_EVENTS, create_topics
from shared.postgres.urls import with_database
from shared.reference import today_in
from shared.stack.local import LocalStack
from shared.stack.services import ServiceProcess
from tests.support.infrastructure import FAULT_KAFKA_PORT, Infrastructure, private_kafka
from tests.support.ports import free_port

CLUSTER_PORT = FAULT_KAFKA_PORT + 140
SERVICES = ("pokmas", "enrolment", "notifications")
OFFICES = ("balikpapan", "samarinda", "medan", "bandung", "makassar", "jayapura")
POKMAS_PER_OFFICE = 8
KLIEN_PER_PROGRAMME = 2
TERMINATED_EVERY = 4
"""Every fourth Pokmas has its MoU terminated once its klien are enrolled."""
CALLERS = 8
"""Stories played at once, each by its own caller."""
STORIES = len(OFFICES) * POKMAS_PER_OFFICE
COMMANDS = STORIES * (3 + 2 * KLIEN_PER_PROGRAMME) + STORIES // TERMINATED_EVERY
CHOOSE_AFTER = COMMANDS // 10
"""Accepted commands after which the broker to kill is chosen: the relays have then
published events of every office."""
KILL_AFTER = COMMANDS // 3
SETTLE_SECONDS = 120.0
"""How long the relays and projections may take to catch up after the load."""


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalStack]:
    with private_kafka("brokers-services", nodes=3, port=CLUSTER_PORT) as stack:
        asyncio.run(create_topics(stack.kafka_connection))
        yield stack


@dataclass
class Platform:
    urls: Mapping[str, str]
    database_urls: Mapping[str, str]
    logs: Path

    def troubles(self, service: str, lines: int = 30) -> str:
        """The service's last warnings, errors and projection lines, to say why an
        assertion failed."""
        return _troubles(self.logs / f"{service}.log", lines)


def _troubles(log: Path, lines: int) -> str:
    found = [
        line
        for line in log.read_text(errors="replace").splitlines()
        if '"level": "warning"' in line
        or '"level": "error"' in line
        or '"logger": "shared.projections' in line
    ]
    return f"last lines of note in {log}:\n" + "\n".join(found[-lines:])


async def _create_databases(admin_url: str, names: list[str]) -> None:
    admin = await asyncpg.connect(admin_url)
    try:
        for name in names:
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def _drop_databases(admin_url: str, names: list[str]) -> None:
    admin = await asyncpg.connect(admin_url)
    try:
        for name in names:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def _wait_ready(urls: Mapping[str, str], logs: Path) -> None:
    async with httpx.AsyncClient(timeout=2) as http:
        for name, url in urls.items():

            async def ready(url: str = url) -> bool:
                try:
                    return (await http.get(f"{url}/health/ready")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(f"the {name} service to be ready (log in {logs})", ready, timeout=120)


@pytest.fixture(scope="module")
def platform(
    cluster: LocalStack, infra: Infrastructure, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Platform]:
    """The three services as processes on the cluster, each with a database of its own
    on the test server and a port of its own; e-mail goes to a mail server of the test's."""
    logs = tmp_path_factory.mktemp("brokers-services")
    databases = {name: f"brokers_{name}_{uuid.uuid4().hex[:8]}" for name in SERVICES}
    asyncio.run(_create_databases(infra.database_admin_url, list(databases.values())))
    ports = {name: free_port() for name in SERVICES}
    mail_port = free_port()
    found = Platform(
        urls={name: f"http://127.0.0.1:{port}" for name, port in ports.items()},
        database_urls={
            name: with_database(infra.database_admin_url, database)
            for name, database in databases.items()
        },
        logs=logs,
    )
    commands = {
        "mail": [
            sys.executable,
            "-m",
            "services.notifications.dev_smtp",
            "--port",
            str(mail_port),
            "--folder",
            str(logs / "mail"),
        ],
        **{name: ServiceProcess(name, port).command for name, port in ports.items()},
    }
    environment = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": cluster.bootstrap_servers,
        "NOTIFICATIONS_SMTP_PORT": str(mail_port),
        **{f"{name.upper()}_DATABASE_URL": url for name, url in found.database_urls.items()},
        **{f"{name.upper()}_PORT": str(port) for name, port in ports.items()},
    }
    processes: dict[str, subprocess.Popen[bytes]] = {}
    stuck: list[str] = []
    try:
        for name, command in commands.items():
            with (logs / f"{name}.log").open("wb") as log:
                processes[name] = subprocess.Popen(
                    command, env=environment, stdout=log, stderr=subprocess.STDOUT
                )
        asyncio.run(_wait_ready(found.urls, logs))
        yield found
    finally:
        for process in processes.values():
            process.terminate()
        for name, process in processes.items():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                stuck.append(name)
                process.kill()
                process.wait()
        asyncio.run(_drop_databases(infra.database_admin_url, list(databases.values())))
    # A service that does not stop on SIGTERM is a fault of its own; its log says where.
    assert stuck == [], "\n".join(_troubles(logs / f"{name}.log", 60) for name in stuck)


@dataclass(frozen=True)
class Accepted:
    """A command answered 201: the event it recorded, and whether a broker was down."""

    event_type: str
    aggregate_id: UUID
    version: int
    event_id: UUID
    after_kill: bool


@dataclass
class Story:
    """One Pokmas of one office, from its registration to its enrolled klien."""

    office: str
    number: int
    pokmas_id: UUID | None = None
    mou_id: UUID | None = None
    programme_id: UUID | None = None
    enrolment_ids: list[UUID] = field(default_factory=list)

    @property
    def terminated(self) -> bool:
        return self.number % TERMINATED_EVERY == TERMINATED_EVERY - 1

    @property
    def name(self) -> str:
        return f"Pokmas Tahan Banting {self.office} {self.number}"

    def day(self, offset: int) -> str:
        today: date = today_in(self.office, datetime.now(UTC))
        return (today + timedelta(days=offset)).isoformat()


def _the_programme_is_not_known_yet(response: httpx.Response) -> bool:
    """The enrolment service learns a programme from the pokmas events: until then an
    enrolment in it is refused 422 on ``programme_id``, and worth sending again."""
    return response.status_code == 422 and "programme_id" in response.text


class Load:
    """Plays the stories through the APIs and keeps what was accepted."""

    def __init__(self, http: httpx.AsyncClient, urls: Mapping[str, str]) -> None:
        self.http = http
        self.urls = urls
        self.accepted: list[Accepted] = []
        self.broker_down = False

    async def command(
        self, service: str, path: str, body: Mapping[str, Any], *, token: str, records: str
    ) -> UUID:
        """Send the command until it is accepted; returns the aggregate's id."""
        async with asyncio.timeout(SETTLE_SECONDS):
            answer = (await self._send(service, path, body, token=token)).json()
        self.accepted.append(
            Accepted(
                records,
                UUID(answer["id"]),
                answer["version"],
                UUID(answer["event_id"]),
                after_kill=self.broker_down,
            )
        )
        return UUID(answer["id"])

    async def accepted_at_least(self, count: int) -> None:
        while len(self.accepted) < count:
            await asyncio.sleep(0.05)

    async def _send(
        self, service: str, path: str, body: Mapping[str, Any], *, token: str
    ) -> httpx.Response:
        """POST until answered 201. A 503 (nothing was stored) and an enrolment in a
        programme not known yet are sent again; any other answer fails the test."""
        while True:
            response = await self.http.post(
                f"{self.urls[service]}/api/v1{path}",
                json=dict(body),
                headers={"Authorization": f"Bearer {token}"},
            )
            if response.status_code == 201:
                return response
            if response.status_code != 503 and not _the_programme_is_not_known_yet(response):
                raise AssertionError(
                    f"POST {service} {path} answered {response.status_code}: {response.text}"
                )
            await asyncio.sleep(0.3)

    async def tell(self, story: Story) -> None:
        officer = token_for(Role.BAPAS_OFFICER, bapas=story.office, sub=f"pk.{story.office}")
        story.pokmas_id = await self.command(
            "pokmas", "/pokmas", _pokmas_body(story), token=officer, records="PokmasRegistered"
        )
        story.mou_id = await self.command(
            "pokmas",
            f"/pokmas/{story.pokmas_id}/mous",
            {
                "number": f"PKS-{story.number:02d}/{story.office}/{uuid.uuid4().hex[:6]}",
                "signed_on": story.day(-30),
                "valid_from": story.day(-30),
                "valid_until": story.day(365),
                "scope": ["ac_repair"],
            },
            token=officer,
            records="MoUSigned",
        )
        partner = token_for(
            Role.POKMAS_PARTNER, bapas=story.office, pokmas_id=story.pokmas_id, sub="partner"
        )
        story.programme_id = await self.command(
            "pokmas",
            f"/pokmas/{story.pokmas_id}/programmes",
            {
                "mou_id": str(story.mou_id),
                "skill": "ac_repair",
                "title": f"Servis AC {story.office} {story.number}",
                "capacity": KLIEN_PER_PROGRAMME + 1,
                "starts_on": story.day(-14),
                "ends_on": story.day(60),
                "sessions_planned": 8,
                "location": "Balai Latihan Kerja",
            },
            token=partner,
            records="ProgrammeOpened",
        )
        for _ in range(KLIEN_PER_PROGRAMME):
            client_id = await self.command(
                "enrolment",
                "/clients",
                _klien_body(story),
                token=officer,
                records="ReportingScheduled",  # a release's last event: its default wajib lapor
            )
            story.enrolment_ids.append(
                await self.command(
                    "enrolment",
                    f"/clients/{client_id}/enrolments",
                    {"programme_id": str(story.programme_id), "enrolled_on": story.day(-14)},
                    token=officer,
                    records="ClientEnrolled",
                )
            )
        if story.terminated:
            await self.command(
                "pokmas",
                f"/mous/{story.mou_id}/termination",
                {"effective_on": story.day(0), "reason": "Pokmas berhenti beroperasi"},
                token=officer,
                records="MoUTerminated",
            )


def _pokmas_body(story: Story) -> dict[str, Any]:
    return {
        "bapas_code": story.office,
        "name": story.name,
        "kind": "organisation",
        "contact": {
            "name": "Ibu Ani",
            "phone": "+62 812 1111 2222",
            "email": f"pokmas{story.number}.{story.office}@pokmas.example",
        },
        "address": "Jl. Ahmad Yani 5",
        "skills": ["ac_repair"],
    }


def _klien_body(story: Story) -> dict[str, Any]:
    mark = uuid.uuid4().int
    return {
        "bapas_code": story.office,
        "register_number": f"REG-{mark % 10**8:08d}",
        "integration_type": "PB",
        "released_on": story.day(-60),
        "supervision_ends_on": story.day(300),
        "pk_officer": {
            "id": f"PK-{story.office}",
            "name": "Siti Rahmawati",
            "email": f"pk@bapas-{story.office}.example",
        },
        "profile": {
            "full_name": "Budi Saputra",
            "nik": f"64{mark % 10**14:014d}",
            "address": "Jl. Sudirman 1",
        },
    }


async def _busiest_broker(kafka: KafkaConnection) -> int:
    """The node leading the partitions that hold the most events so far."""
    partitions = await topic_partitions(kafka, (POKMAS_EVENTS, ENROLMENT_EVENTS))
    consumer = AIOKafkaConsumer(**kafka.client_options())
    admin = AIOKafkaAdminClient(**kafka.client_options())
    await consumer.start()
    await admin.start()
    try:
        ends = await consumer.end_offsets(partitions)
        described = await admin.describe_topics([POKMAS_EVENTS, ENROLMENT_EVENTS])
    finally:
        await admin.close()
        await consumer.stop()
    events_led: Counter[int] = Counter()
    for topic in described:
        for partition in topic["partitions"]:
            held = ends[TopicPartition(topic["topic"], partition["partition"])]
            events_led[partition["leader"]] += held
    return events_led.most_common(1)[0][0]


@dataclass
class Played:
    stories: list[Story]
    accepted: list[Accepted]
    killed_node: int


@pytest.fixture(scope="module")
async def played(cluster: LocalStack, platform: Platform) -> Played:
    stories = [Story(office, number) for number in range(POKMAS_PER_OFFICE) for office in OFFICES]
    callers = asyncio.Semaphore(CALLERS)
    async with httpx.AsyncClient(timeout=30) as http:
        load = Load(http, platform.urls)

        async def kill_the_busiest_broker() -> int:
            await load.accepted_at_least(CHOOSE_AFTER)
            node = await _busiest_broker(cluster.kafka_connection)
            await load.accepted_at_least(KILL_AFTER)
            await asyncio.to_thread(cluster.kafka.kill_node, node)
            load.broker_down = True
            return node

        async def tell(story: Story) -> None:
            async with callers:
                await load.tell(story)

        killer = asyncio.create_task(kill_the_busiest_broker())
        await asyncio.gather(*(tell(story) for story in stories))
        killed_node = await killer
    return Played(stories, load.accepted, killed_node)


async def _read_topics(kafka: KafkaConnection) -> list[Any]:
    """Every event on the pokmas and enrolment topics, duplicates included."""
    partitions = await topic_partitions(kafka, (POKMAS_EVENTS, ENROLMENT_EVENTS))
    consumer = AIOKafkaConsumer(**kafka.client_options(), auto_offset_reset="earliest")
    await consumer.start()
    try:
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        await consumer.seek_to_beginning(*partitions)
        events: list[Any] = []
        async with asyncio.timeout(60):
            while [p for p in partitions if await consumer.position(p) < ends[p]]:
                for batch in (await consumer.getmany(timeout_ms=500)).values():
                    events.extend(parse_event(record.value or b"") for record in batch)
    finally:
        await consumer.stop()
    return events


async def _settled(what: str, check: Callable[[], Awaitable[bool]]) -> None:
    """Wait until ``check`` holds, or until the platform had time enough to settle: the
    assertion that follows then says what is wrong."""
    with contextlib.suppress(DemoError):
        await eventually(what, check, timeout=SETTLE_SECONDS)


@pytest.fixture(scope="module")
async def topic_events(cluster: LocalStack, played: Played) -> list[Any]:
    """The topics once every accepted command's event is published (or the relays had
    time enough to publish them)."""
    wanted = {accepted.event_id for accepted in played.accepted}
    events: list[Any] = []

    async def all_published() -> bool:
        nonlocal events
        events = await _read_topics(cluster.kafka_connection)
        return wanted <= {event.event_id for event in events}

    await _settled("every accepted event on the topics", all_published)
    return events


async def _rows(database_url: str, query: str, *args: object) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(database_url)
    try:
        rows: list[asyncpg.Record] = await connection.fetch(query, *args)
        return rows
    finally:
        await connection.close()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


async def test_each_service_is_ready_on_the_cluster_named_by_its_bootstrap_list(
    cluster: LocalStack, platform: Platform, http: httpx.AsyncClient
) -> None:
    answers = [(await http.get(f"{url}/health/ready")).json() for url in platform.urls.values()]

    assert len(cluster.bootstrap_servers.split(",")) == 3
    assert [(answer["status"], answer["checks"]["kafka"]) for answer in answers] == [
        ("ready", "ok")
    ] * 3


async def test_commands_go_on_while_a_broker_is_killed(cluster: LocalStack, played: Played) -> None:
    after_kill = [accepted for accepted in played.accepted if accepted.after_kill]

    assert len(played.accepted) == COMMANDS
    assert len(after_kill) >= COMMANDS // 2
    assert {a.event_type for a in after_kill} >= {"ClientEnrolled", "ProgrammeOpened"}
    assert len(cluster.kafka.running_nodes()) == 2


async def test_every_accepted_command_has_its_event_on_its_topic(
    played: Played, topic_events: list[Any]
) -> None:
    published = {
        event.event_id: (event.event_type, event.aggregate_id, event.aggregate_version)
        for event in topic_events
    }

    missing = [a for a in played.accepted if a.event_id not in published]
    wrong = [
        a
        for a in played.accepted
        if a.event_id in published
        and published[a.event_id] != (a.event_type, a.aggregate_id, a.version)
    ]

    assert missing == []
    assert wrong == []


async def test_the_enrolment_service_holds_each_pokmas_mou_and_programme_once_at_its_version(
    played: Played, platform: Platform
) -> None:
    of_pokmas = ("PokmasRegistered", "MoUSigned", "ProgrammeOpened", "MoUTerminated")
    expected: dict[UUID, int] = {}
    for accepted in played.accepted:
        if accepted.event_type in of_pokmas:
            expected[accepted.aggregate_id] = max(
                accepted.version, expected.get(accepted.aggregate_id, 0)
            )
    enrolment = platform.database_urls["enrolment"]
    versions: dict[UUID, int] = {}

    async def caught_up() -> bool:
        nonlocal versions
        rows = await _rows(
            enrolment,
            "SELECT aggregate_id, aggregate_version FROM projection_versions"
            " WHERE projection = 'enrolment.pokmas'",
        )
        versions = {row["aggregate_id"]: row["aggregate_version"] for row in rows}
        return versions == expected

    await _settled("the enrolment service's pokmas projection", caught_up)
    mous = await _rows(enrolment, "SELECT mou_id, status FROM pokmas_mous")
    programmes = await _rows(enrolment, "SELECT programme_id FROM pokmas_programmes")

    assert versions == expected
    assert len(mous) == len(programmes) == STORIES
    assert {(row["mou_id"], row["status"]) for row in mous} == {
        (story.mou_id, "terminated" if story.terminated else "active") for story in played.stories
    }
    assert {row["programme_id"] for row in programmes} == {
        story.programme_id for story in played.stories
    }


async def test_the_pokmas_service_counts_each_enrolment_once(
    played: Played, platform: Platform, http: httpx.AsyncClient
) -> None:
    seats: list[int] = []

    async def counted() -> bool:
        nonlocal seats
        seats = []
        for story in played.stories:
            officer = token_for(Role.BAPAS_OFFICER, bapas=story.office)
            response = await http.get(
                f"{platform.urls['pokmas']}/api/v1/programmes/{story.programme_id}",
                headers={"Authorization": f"Bearer {officer}"},
            )
            seats.append(response.json()["enrolled"])
        return seats == [KLIEN_PER_PROGRAMME] * len(played.stories)

    await _settled("the pokmas service to count the seats", counted)
    readiness = (await http.get(f"{platform.urls['pokmas']}/health/ready")).text

    assert seats == [KLIEN_PER_PROGRAMME] * len(played.stories), (
        f"readiness: {readiness}\n{platform.troubles('pokmas')}"
    )


async def test_each_terminated_mou_suspends_each_of_its_enrolments_once(
    played: Played, platform: Platform
) -> None:
    expected = {
        enrolment_id: 1
        for story in played.stories
        if story.terminated
        for enrolment_id in story.enrolment_ids
    }
    suspensions: dict[UUID, int] = {}

    async def reacted() -> bool:
        nonlocal suspensions
        rows = await _rows(
            platform.database_urls["enrolment"],
            "SELECT aggregate_id, count(*) AS times FROM events"
            " WHERE event_type = 'EnrolmentSuspended' GROUP BY aggregate_id",
        )
        suspensions = {row["aggregate_id"]: row["times"] for row in rows}
        return suspensions.keys() == expected.keys()

    await _settled("the enrolment service to react to the terminations", reacted)

    assert len(expected) == STORIES // TERMINATED_EVERY * KLIEN_PER_PROGRAMME
    assert suspensions == expected


async def test_each_signed_mou_and_released_klien_is_announced_once_to_each_recipient(
    played: Played, platform: Platform
) -> None:
    signed = {
        accepted.event_id: ["bapas", "pokmas"]
        for accepted in played.accepted
        if accepted.event_type == "MoUSigned"
    }
    # A release's answer names its last event (the default wajib lapor), not the
    # ClientReleased the notice is about: one notice to the PK officer per release.
    releases = sum(accepted.event_type == "ReportingScheduled" for accepted in played.accepted)
    announced: dict[UUID, list[str]] = {}
    released: list[list[str]] = []

    async def recorded() -> bool:
        nonlocal announced, released
        rows = await _rows(
            platform.database_urls["notifications"],
            "SELECT cause_event_id, cause_event_type,"
            " array_agg(recipient_kind ORDER BY recipient_kind) AS kinds"
            " FROM deliveries WHERE cause_event_type = ANY($1::text[]) AND reminder = ''"
            " GROUP BY cause_event_id, cause_event_type",
            ["MoUSigned", "ClientReleased"],
        )
        announced = {
            row["cause_event_id"]: list(row["kinds"])
            for row in rows
            if row["cause_event_type"] == "MoUSigned"
        }
        released = [list(row["kinds"]) for row in rows if row["cause_event_type"] != "MoUSigned"]
        return announced.keys() == signed.keys() and len(released) == releases

    await _settled("the notifications service to record the deliveries", recorded)

    assert announced == signed
    assert released == [["pk_officer"]] * releases


async def test_the_killed_broker_rejoins_the_cluster(cluster: LocalStack, played: Played) -> None:
    cluster.kafka.start_node(played.killed_node)

    info = await wait_for_kafka(cluster.kafka_connection, brokers=3, timeout=90)

    assert info.brokers == 3
    assert len(cluster.kafka.running_nodes()) == 3
