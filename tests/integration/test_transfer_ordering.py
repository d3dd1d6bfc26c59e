"""A klien moving between offices reaches every projection in order, whatever partition
is read first.

Topics are keyed by office, and with twelve partitions Kafka's default partitioner puts
``balikpapan`` and ``makassar`` in different partitions (``samarinda`` shares
``balikpapan``'s). A klien released at Balikpapan moves to Makassar and then to
Samarinda, with enrolments, attendance, a completion, reports and a revocation along the
way, beside klien who do not move (and one who moves within Balikpapan's partition).

Every service's projection that reads the enrolment topic runs, on a topic of this
module's own, twice: consumer B reads the partitions in the order the events happened
(Balikpapan's up to the first move, Makassar's, then the rest), consumer A reads
Makassar's partition first while Balikpapan's waits, stops, and a new consumer then
reads them all. A holds the klien's events from Makassar (durably: the second consumer
finds them in PostgreSQL), B holds nothing; both end with identical tables, and so does
A again once rebuilt from the log (the rebuild reads the partitions in the order they
come).

With PostgreSQL alone, the held messages themselves: one released and rejected goes to
the dead letters exactly as it was read, and one of a type the projection no longer
reads (its code changed while it was held) is let go.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.partitioner import DefaultPartitioner

from shared.cli.projection import known_services, projections_of
from shared.events.enrolment import (
    AttendanceRecorded,
    ClientEmployed,
    ClientEnrolled,
    ClientReleased,
    ClientTransferredIn,
    ClientTransferredOut,
    ReportingScheduled,
    ReportMissed,
    ReportRecorded,
    RevocationRecommended,
    SupervisionEnded,
    SupervisionOutcome,
    TrainingCompleted,
    TrainingWithdrawn,
    WithdrawalReason,
)
from shared.events.envelope import Envelope, EventPayload, new_envelope
from shared.events.examples import OFFICER, example_payload
from shared.events.pokmas import MoUSigned, PokmasRegistered, ProgrammeOpened
from shared.kafka.connection import KafkaConnection
from shared.kafka.topics import ENROLMENT_EVENTS
from shared.postgres.migrations import apply_migrations, migrations_of
from shared.projections import BatchOutcome, Projection, ProjectionConsumer, rebuild_projection
from shared.projections.applier import BatchApplier
from shared.projections.holding import HeldMessage
from shared.projections.parsing import KafkaMessage
from tests.conftest import create_topic
from tests.support.counting_projection import CountingProjection, prepare_database, record_of
from tests.support.databases import fresh_database
from tests.support.infrastructure import Infrastructure

PARTITIONS = 12
OLD, NEW, LAST = "balikpapan", "makassar", "samarinda"
CAUGHT_UP_SECONDS = 60.0

VOLATILE_COLUMNS: Mapping[str, frozenset[str]] = {
    "deliveries": frozenset({"notification_id"}),
    "figures_state": frozenset({"rebuilds"}),
}
"""Columns that differ between two databases fed the same events: a random id given to
each delivery, and how many times the figures were rebuilt (A's were, B's not). Columns
whose default is the time of writing are left out too."""

COUNTERS: frozenset[str] = frozenset({"daily_counts", "office_counts"})
"""Tables of counters, where a row of zeros counts what no row counts: whether a klien
who came and went leaves one depends on whether both were in one batch, which the
partitions' order does not decide."""

Event = Envelope[EventPayload]


def partition_of(office: str) -> int:
    """The partition Kafka's default partitioner gives an office's key."""
    partitions = list(range(PARTITIONS))
    partition: int = DefaultPartitioner()(office.encode(), partitions, partitions)
    return partition


@dataclass
class Story:
    """Events as the services record them, in the order they happen: each aggregate's
    versions in turn."""

    events: list[Event] = field(default_factory=list)
    versions: dict[UUID, int] = field(default_factory=dict)

    def record(self, payload_type: type[EventPayload], office: str, **values: Any) -> Event:
        payload = example_payload(payload_type).model_copy(update=values)
        version = self.versions.get(payload.aggregate_id, 0) + 1
        self.versions[payload.aggregate_id] = version
        event: Event = new_envelope(
            payload,
            bapas_code=office,
            aggregate_version=version,
            correlation_id=uuid4(),
            actor=OFFICER,
            occurred_at=datetime.now(UTC),
        )
        self.events.append(event)
        return event

    def programme(self, office: str) -> tuple[UUID, UUID]:
        """A Pokmas of the office with an MoU and an open programme: (pokmas, programme)."""
        pokmas_id, mou_id, programme_id = uuid4(), uuid4(), uuid4()
        self.record(PokmasRegistered, office, pokmas_id=pokmas_id)
        self.record(MoUSigned, office, mou_id=mou_id, pokmas_id=pokmas_id)
        self.record(
            ProgrammeOpened,
            office,
            programme_id=programme_id,
            pokmas_id=pokmas_id,
            mou_id=mou_id,
        )
        return pokmas_id, programme_id

    def release(self, office: str) -> UUID:
        client_id = uuid4()
        self.record(ClientReleased, office, client_id=client_id)
        self.record(ReportingScheduled, office, client_id=client_id)
        return client_id

    def enrol(self, client_id: UUID, office: str, programme: tuple[UUID, UUID]) -> UUID:
        enrolment_id = uuid4()
        pokmas_id, programme_id = programme
        self.record(
            ClientEnrolled,
            office,
            enrolment_id=enrolment_id,
            client_id=client_id,
            programme_id=programme_id,
            pokmas_id=pokmas_id,
        )
        self.record(AttendanceRecorded, office, enrolment_id=enrolment_id, session_no=1)
        return enrolment_id

    def move(self, client_id: UUID, old: str, new: str) -> Event:
        """The transfer as the enrolment service records it; returns the transfer out."""
        out = self.record(ClientTransferredOut, old, client_id=client_id, to_bapas_code=new)
        self.record(ClientTransferredIn, new, client_id=client_id, from_bapas_code=old)
        return out


@dataclass(frozen=True)
class History:
    events: list[Event]
    first_move: Event
    """The moving klien's ClientTransferredOut from Balikpapan."""


def make_history() -> History:
    """Klien of Balikpapan and Makassar; one moves from Balikpapan to Makassar (with an
    enrolment withdrawn), trains and works there, moves on to Samarinda and is revoked;
    another moves from Balikpapan to Samarinda, within one partition."""
    story = Story()
    at_old, at_new = story.programme(OLD), story.programme(NEW)
    moving, staying = story.release(OLD), story.release(NEW)
    story.enrol(staying, NEW, at_new)
    first = story.enrol(moving, OLD, at_old)
    story.record(ReportMissed, OLD, client_id=moving, missed_in_a_row=1)
    passing_by = story.release(OLD)
    story.record(
        TrainingWithdrawn,
        OLD,
        enrolment_id=first,
        client_id=moving,
        programme_id=at_old[1],
        reason_code=WithdrawalReason.MOVED,
    )
    first_move = story.move(moving, OLD, NEW)
    story.move(passing_by, OLD, LAST)
    story.record(ReportRecorded, NEW, client_id=moving)
    second = story.enrol(moving, NEW, at_new)
    story.record(
        TrainingCompleted,
        NEW,
        enrolment_id=second,
        client_id=moving,
        programme_id=at_new[1],
        certificate_number="SRT/MKS/1",
    )
    story.record(ClientEmployed, NEW, client_id=moving)
    story.record(ReportRecorded, LAST, client_id=passing_by)
    story.move(moving, NEW, LAST)
    for missed in (1, 2, 3):
        story.record(ReportMissed, LAST, client_id=moving, missed_in_a_row=missed)
    story.record(RevocationRecommended, LAST, client_id=moving)
    story.record(SupervisionEnded, LAST, client_id=moving, outcome=SupervisionOutcome.REVOKED)
    return History(story.events, first_move)


@dataclass(frozen=True)
class OnTopic:
    """A service's projection reading this module's topic instead of the contract's."""

    projection: Projection
    topics: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.projection.name

    @property
    def event_types(self) -> frozenset[str] | None:
        declared: frozenset[str] | None = getattr(self.projection, "event_types", None)
        return declared

    async def apply(self, connection: asyncpg.Connection, events: Sequence[Event]) -> None:
        await self.projection.apply(connection, events)

    async def reset(self, connection: asyncpg.Connection) -> None:
        await self.projection.reset(connection)


class ReadingOnly(ProjectionConsumer):
    """A projection consumer of some partitions: the others wait for a later consumer."""

    def __init__(
        self, projection: Projection, partitions: list[TopicPartition], **options: Any
    ) -> None:
        super().__init__(projection, **options)
        self._only = partitions

    async def partitions(self) -> list[TopicPartition]:
        return list(self._only)


@dataclass(frozen=True)
class Published:
    """The history on this module's topic."""

    bootstrap: str
    topic: str
    dead_letters: str
    partitions: dict[str, set[int]]
    """The partitions each office's events landed in."""
    first_move_offset: int
    """Where the moving klien's ClientTransferredOut from Balikpapan is."""

    def partition(self, office: str) -> TopicPartition:
        return TopicPartition(self.topic, partition_of(office))


@dataclass(frozen=True)
class Reader:
    """A service's projection of the enrolment topic, and the databases consumers A and
    B build it in."""

    service: str
    projection: OnTopic
    database_a: str
    database_b: str


@pytest.fixture(scope="module")
async def published(kafka_bootstrap: str) -> Published:
    history = make_history()
    topic = await create_topic(kafka_bootstrap, PARTITIONS, prefix="transfers")
    dead_letters = await create_topic(kafka_bootstrap, 1, prefix="transfers-dead-letters")
    kafka = KafkaConnection.to(kafka_bootstrap)
    producer = AIOKafkaProducer(**kafka.client_options(), acks="all", enable_idempotence=True)
    await producer.start()
    try:
        sending = []
        for event in history.events:
            record = record_of(event)
            sending.append(
                await producer.send(
                    topic, key=record.key, value=record.value, headers=record.headers
                )
            )
        sent = await asyncio.gather(*sending)
    finally:
        await producer.stop()
    partitions: dict[str, set[int]] = {}
    for event, where in zip(history.events, sent, strict=True):
        partitions.setdefault(event.bapas_code, set()).add(where.partition)
        if event.event_id == history.first_move.event_id:
            first_move_offset = where.offset
    return Published(kafka_bootstrap, topic, dead_letters, partitions, first_move_offset)


async def prepare(database_url: str, service: str) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        await apply_migrations(connection, migrations_of("shared", f"services.{service}"))
    finally:
        await connection.close()


@pytest.fixture(scope="module")
async def readers(infra: Infrastructure, published: Published) -> AsyncIterator[list[Reader]]:
    """Every service's projection that reads the enrolment topic, with two databases."""
    async with AsyncExitStack() as stack:
        found: list[Reader] = []
        for service in known_services():
            for projection in projections_of(service, missing_ok=True).values():
                if ENROLMENT_EVENTS not in projection.topics:
                    continue
                databases = [
                    await stack.enter_async_context(
                        fresh_database(infra.database_admin_url, prefix=f"transfer_{side}")
                    )
                    for side in ("a", "b")
                ]
                for url in databases:
                    await prepare(url, service)
                on_topic = OnTopic(projection, (published.topic,))
                found.append(Reader(service, on_topic, *databases))
        yield found


def options(published: Published, database_url: str, **more: Any) -> dict[str, Any]:
    return {
        "kafka": KafkaConnection.to(published.bootstrap),
        "database_url": database_url,
        "assign_all_partitions": True,
        "dead_letter_topic": published.dead_letters,
        **more,
    }


async def consume(
    consumer: ProjectionConsumer, ends: Mapping[TopicPartition, int] | None = None
) -> list[BatchOutcome]:
    """Run ``consumer`` until its partitions reach ``ends`` (their end by default)."""
    outcomes: list[BatchOutcome] = []
    async with consumer:
        await consumer.run_until_caught_up(
            ends, timeout=CAUGHT_UP_SECONDS, on_batch=outcomes.append
        )
    return outcomes


async def read_in_order(reader: Reader, published: Published) -> list[BatchOutcome]:
    """Consumer B: Balikpapan's partition up to the first move, then Makassar's, then
    all, as the events happened."""
    old, new = published.partition(OLD), published.partition(NEW)
    b = options(published, reader.database_b)
    return [
        *await consume(
            ReadingOnly(reader.projection, [old], max_batch_size=1, **b),
            {old: published.first_move_offset + 1},
        ),
        *await consume(ReadingOnly(reader.projection, [new], **b)),
        *await consume(ProjectionConsumer(reader.projection, **b)),
    ]


@dataclass(frozen=True)
class Ahead:
    """What consumer A did with Makassar's partition alone, per projection."""

    outcomes: dict[str, list[BatchOutcome]]
    held_rows: dict[str, int]
    """The rows of ``projection_held_events`` once that consumer stopped."""


async def held_rows(database_url: str, projection: str) -> int:
    connection = await asyncpg.connect(database_url)
    try:
        count: int = await connection.fetchval(
            "SELECT count(*) FROM projection_held_events WHERE projection = $1", projection
        )
        return count
    finally:
        await connection.close()


@pytest.fixture(scope="module")
async def in_order(readers: list[Reader], published: Published) -> dict[str, list[BatchOutcome]]:
    runs = await asyncio.gather(*(read_in_order(reader, published) for reader in readers))
    return {reader.projection.name: run for reader, run in zip(readers, runs, strict=True)}


@pytest.fixture(scope="module")
async def ahead(readers: list[Reader], published: Published) -> Ahead:
    """Consumer A, first: Makassar's partition while Balikpapan's waits."""
    new = published.partition(NEW)
    runs = await asyncio.gather(
        *(
            consume(ReadingOnly(reader.projection, [new], **options(published, reader.database_a)))
            for reader in readers
        )
    )
    return Ahead(
        outcomes={r.projection.name: run for r, run in zip(readers, runs, strict=True)},
        held_rows={
            r.projection.name: await held_rows(r.database_a, r.projection.name) for r in readers
        },
    )


@pytest.fixture(scope="module")
async def resumed(readers: list[Reader], published: Published, ahead: Ahead) -> None:
    """Consumer A, then: a new consumer of every partition."""
    await asyncio.gather(
        *(
            consume(ProjectionConsumer(reader.projection, **options(published, reader.database_a)))
            for reader in readers
        )
    )


async def contents(database_url: str) -> dict[str, list[str]]:
    """Every table's rows, as sorted JSON texts, without the columns that differ between
    two databases fed the same events."""
    connection = await asyncpg.connect(database_url)
    try:
        columns = await connection.fetch(
            "SELECT c.table_name, c.column_name, c.column_default"
            " FROM information_schema.columns AS c JOIN information_schema.tables AS t"
            " USING (table_schema, table_name)"
            " WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'"
            " AND c.table_name <> 'schema_migrations'"
        )
        left_out: dict[str, list[str]] = {}
        for column in columns:
            table, name = column["table_name"], column["column_name"]
            default = column["column_default"] or ""
            written_at = "now()" in default or "clock_timestamp()" in default
            volatile = written_at or name in VOLATILE_COLUMNS.get(table, ())
            left_out.setdefault(table, []).extend([name] if volatile else [])
        tables: dict[str, list[str]] = {}
        for table, names in sorted(left_out.items()):
            rows = await connection.fetch(
                f'SELECT (to_jsonb(t) - $1::text[])::text AS row FROM "{table}" AS t', names
            )
            kept = (r["row"] for r in rows if table not in COUNTERS or counts_something(r["row"]))
            tables[table] = sorted(kept)
        return tables
    finally:
        await connection.close()


def counts_something(row: str) -> bool:
    """Whether a row of counters has a count other than zero."""
    return any(value != 0 for value in json.loads(row).values() if isinstance(value, int))


async def differences(reader: Reader) -> dict[str, dict[str, list[str]]]:
    """Per table whose rows differ between A's database and B's, the rows of each alone."""
    a, b = await contents(reader.database_a), await contents(reader.database_b)
    assert a.keys() == b.keys()
    return {
        table: {
            "A alone": [row for row in a[table] if row not in b[table]],
            "B alone": [row for row in b[table] if row not in a[table]],
        }
        for table in a
        if a[table] != b[table]
    }


def test_the_offices_keys_land_in_the_partitions_the_story_needs(published: Published) -> None:
    assert partition_of(OLD) != partition_of(NEW)
    assert partition_of(OLD) == partition_of(LAST)
    assert published.partitions == {
        OLD: {partition_of(OLD)},
        NEW: {partition_of(NEW)},
        LAST: {partition_of(OLD)},
    }


async def test_reading_the_new_office_first_holds_the_klien_s_events_in_postgres(
    readers: list[Reader], ahead: Ahead
) -> None:
    names = [reader.projection.name for reader in readers]
    assert {"pokmas.programme_seats", "employment.klien"} <= set(names)
    held = {name: sum(o.held for o in ahead.outcomes[name]) for name in names}
    assert all(count > 0 for count in held.values()), held
    assert ahead.held_rows == held


async def test_every_projection_ends_as_if_it_had_read_the_partitions_in_order(
    readers: list[Reader], in_order: dict[str, list[BatchOutcome]], resumed: None
) -> None:
    names = [reader.projection.name for reader in readers]
    assert {name: sum(o.held for o in in_order[name]) for name in names} == dict.fromkeys(names, 0)
    assert all(sum(o.applied for o in in_order[name]) > 0 for name in names)
    assert [await held_rows(r.database_a, r.projection.name) for r in readers] == [0] * len(names)
    assert {r.projection.name: diff for r in readers if (diff := await differences(r))} == {}


async def test_a_rebuild_of_a_projection_read_out_of_order_ends_the_same(
    readers: list[Reader],
    published: Published,
    in_order: dict[str, list[BatchOutcome]],
    resumed: None,
) -> None:
    kafka = KafkaConnection.to(published.bootstrap)
    await asyncio.gather(
        *(
            rebuild_projection(
                reader.projection,
                kafka=kafka,
                database_url=reader.database_a,
                dead_letter_topic=published.dead_letters,
            )
            for reader in readers
        )
    )

    assert {r.projection.name: diff for r in readers if (diff := await differences(r))} == {}


# -- the held messages themselves, with PostgreSQL alone ------------------------------


@dataclass
class DeadLetters:
    """A dead-letter sink that keeps what it is sent."""

    sent: list[KafkaMessage] = field(default_factory=list)

    async def send(self, message: KafkaMessage, error: str) -> asyncio.Future[object]:
        self.sent.append(message)
        done: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


@dataclass(frozen=True)
class Declaring:
    """A counting projection that declares the event types it reads."""

    projection: CountingProjection
    event_types: frozenset[str]

    @property
    def name(self) -> str:
        return self.projection.name

    @property
    def topics(self) -> tuple[str, ...]:
        return self.projection.topics

    async def apply(self, connection: asyncpg.Connection, events: Sequence[Event]) -> None:
        await self.projection.apply(connection, events)

    async def reset(self, connection: asyncpg.Connection) -> None:
        await self.projection.reset(connection)


def fetched(events: Sequence[Event], office: str) -> dict[TopicPartition, list[KafkaMessage]]:
    """The office's events as one fetch of its partition, from offset 0."""
    partition = TopicPartition("applier.transfers", partition_of(office))
    messages: list[KafkaMessage] = []
    for event in (e for e in events if e.bapas_code == office):
        record = record_of(event)
        messages.append(
            HeldMessage(
                partition.topic,
                partition.partition,
                len(messages),
                record.key,
                record.value,
                record.headers,
            )
        )
    return {partition: messages}


def a_move() -> list[Event]:
    """A klien released at Balikpapan who moves to Makassar and reports there."""
    story = Story()
    moving = story.release(OLD)
    story.move(moving, OLD, NEW)
    story.record(ReportRecorded, NEW, client_id=moving)
    return story.events


async def test_a_released_event_the_projection_rejects_is_dead_lettered_as_it_was_read(
    database_url: str,
) -> None:
    counting = CountingProjection("transfer_rejects", ["applier.transfers"], rejected_bapas=NEW)
    await prepare_database(database_url, counting)
    events, dead_letters = a_move(), DeadLetters()
    applier = BatchApplier(counting, dead_letters)
    ahead, behind = fetched(events, NEW), fetched(events, OLD)
    connection = await asyncpg.connect(database_url)
    try:
        held = await applier.apply(connection, ahead, dict.fromkeys(ahead, 0))
        sent_while_held = list(dead_letters.sent)
        released = await applier.apply(connection, behind, dict.fromkeys(behind, 0))
        applied = await counting.applied_event_ids(connection)
    finally:
        await connection.close()

    assert (held.outcome.held, sent_while_held) == (2, [])
    assert (released.outcome.released, released.outcome.dead_lettered) == (2, 2)
    assert dead_letters.sent == [message for messages in ahead.values() for message in messages]
    assert sorted(applied) == sorted(e.event_id for e in events if e.bapas_code == OLD)


async def test_a_held_event_of_a_type_the_projection_no_longer_reads_is_let_go(
    database_url: str,
) -> None:
    counting = CountingProjection("transfer_narrowed", ["applier.transfers"])
    await prepare_database(database_url, counting)
    events = a_move()
    reading = Declaring(counting, frozenset({"ClientReleased", "ReportRecorded"}))
    narrower = Declaring(counting, frozenset({"ClientReleased"}))
    ahead, behind = fetched(events, NEW), fetched(events, OLD)
    connection = await asyncpg.connect(database_url)
    try:
        held = await BatchApplier(reading, DeadLetters()).apply(
            connection, ahead, dict.fromkeys(ahead, 0)
        )
        released = await BatchApplier(narrower, DeadLetters()).apply(
            connection, behind, dict.fromkeys(behind, 0)
        )
        applied = await counting.applied_event_ids(connection)
        still_held = await connection.fetchval("SELECT count(*) FROM projection_held_events")
    finally:
        await connection.close()

    assert held.outcome.held == 2
    assert (released.outcome.released, released.outcome.applied, still_held) == (1, 1, 0)
    assert applied == [events[0].event_id]
