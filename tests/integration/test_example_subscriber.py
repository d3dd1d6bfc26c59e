"""The example subscriber of ``docs/subscribing.md`` does what the page promises, on the
real broker: each known event is handled once however often it arrives, unknown event
types and versions are skipped (without a traceback in the logs), unknown fields are
ignored, a malformed message is reported without stopping it, a replay from the earliest
offset changes nothing, and it says when it has caught up with the history. A klien who
moves to an office in another partition ends with the same outcomes, at the new office,
whichever partition the subscriber reads first."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner

from examples.subscriber.cli import parse_arguments
from examples.subscriber.consumer import Counts, Subscriber
from examples.subscriber.reader import read_event
from examples.subscriber.store import KlienOutcome, OutcomeStore
from shared.events.enrolment import (
    AttendanceRecorded,
    ClientEmployed,
    ClientEnrolled,
    ClientReleased,
    ClientTransferredIn,
    ClientTransferredOut,
    TrainingCompleted,
    TrainingWithdrawn,
    WithdrawalReason,
)
from shared.events.envelope import Envelope, EventPayload, new_envelope
from shared.events.examples import (
    BAPAS_CODE,
    CLIENT_ID,
    OFFICER,
    example_envelope,
    example_payload,
)
from shared.events.registry import kafka_headers
from tests.conftest import create_topic

pytestmark = pytest.mark.stack

KNOWN = (ClientReleased, ClientEnrolled, TrainingCompleted, ClientEmployed)
WAIT_SECONDS = 60.0

Record = tuple[bytes, list[tuple[str, bytes]]]


def message(payload: type[EventPayload]) -> dict[str, Any]:
    envelope: dict[str, Any] = example_envelope(payload).model_dump(mode="json")
    return envelope


def headers_of(body: dict[str, Any]) -> list[tuple[str, bytes]]:
    return kafka_headers(
        event_id=uuid.UUID(body["event_id"]),
        event_type=body["event_type"],
        schema_version=body["schema_version"],
    )


async def publish(
    bootstrap: str, topic: str, messages: list[Record], office: str = BAPAS_CODE
) -> None:
    """Publish ``messages`` in order under the key of ``office``, as its producer does."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for value, headers in messages:
            await producer.send_and_wait(topic, value, key=office.encode(), headers=headers)
    finally:
        await producer.stop()


def the_mixed_stream() -> list[Record]:
    """Four known events, a duplicate, three events the subscriber does not know or
    want, and one message that is not JSON."""
    released = message(ClientReleased)
    enrolled = message(ClientEnrolled)
    completed = message(TrainingCompleted)
    employed = message(ClientEmployed)
    employed["trace_id"] = "added by a newer producer"
    employed["payload"]["contract_months"] = 12
    unknown_type = {**message(ClientEnrolled), "event_type": "ClientCertified"}
    unknown_type["event_id"] = str(uuid.uuid4())
    unknown_version = {**message(TrainingCompleted), "schema_version": 2}
    unknown_version["event_id"] = str(uuid.uuid4())
    not_wanted = message(AttendanceRecorded)
    return [
        (json.dumps(released).encode(), headers_of(released)),
        (json.dumps(enrolled).encode(), headers_of(enrolled)),
        (json.dumps(completed).encode(), []),  # no headers: routed on the body
        (json.dumps(employed).encode(), headers_of(employed)),
        (json.dumps(enrolled).encode(), headers_of(enrolled)),  # the duplicate
        (json.dumps(unknown_type).encode(), headers_of(unknown_type)),
        (json.dumps(unknown_version).encode(), []),
        (json.dumps(not_wanted).encode(), headers_of(not_wanted)),
        (b"{not json", []),
    ]


async def consume_until_caught_up(subscriber: Subscriber) -> None:
    """Run the subscriber until it has applied and committed the history, then stop it."""
    stop = asyncio.Event()
    task = asyncio.create_task(subscriber.run(stop))
    try:
        async with asyncio.timeout(WAIT_SECONDS):
            caught_up = asyncio.create_task(subscriber.caught_up())
            await asyncio.wait({task, caught_up}, return_when=asyncio.FIRST_COMPLETED)
            if task.done():
                caught_up.cancel()
                task.result()
    finally:
        stop.set()
        await task


def subscriber_for(
    kafka_bootstrap: str, topic: str, store: OutcomeStore, lines: list[str], group: str
) -> Subscriber:
    return Subscriber(
        bootstrap_servers=kafka_bootstrap.split(","),
        topics=[topic],
        group_id=group,
        store=store,
        report=lines.append,
    )


def known_event_ids() -> list[str]:
    return sorted(str(example_envelope(payload).event_id) for payload in KNOWN)


async def test_example_subscriber_handles_each_known_event_once_and_skips_the_rest(
    kafka_bootstrap: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    topic = await create_topic(kafka_bootstrap, partitions=3, prefix="example-subscriber")
    stream = the_mixed_stream()
    await publish(kafka_bootstrap, topic, stream)
    store = OutcomeStore(tmp_path / "outcomes.sqlite")
    lines: list[str] = []
    subscriber = subscriber_for(kafka_bootstrap, topic, store, lines, f"example.{topic}")

    await consume_until_caught_up(subscriber)

    # aiokafka logs as errors what it retries while a broker settles (a topic just
    # created, a group coordinator being elected): the subscriber's and FastStream's own
    # records are the ones that must be clean.
    assert [
        r.getMessage()
        for r in caplog.records
        if not r.name.startswith("aiokafka") and (r.exc_info or r.levelno >= logging.ERROR)
    ] == []
    assert all("Traceback" not in r.getMessage() for r in caplog.records)
    assert subscriber.counts == Counts(handled=4, duplicates=1, skipped=3, unreadable=1)
    assert store.handled_event_ids() == known_event_ids()
    assert store.outcomes() == [
        KlienOutcome(
            client_id=str(CLIENT_ID),
            bapas_code=BAPAS_CODE,
            enrolments=1,
            competent_completions=1,
            employments=1,
            last_employer="CV Sejuk Jaya Teknik",
        )
    ]
    assert sum("already handled" in line for line in lines) == 1
    assert sum("unreadable" in line for line in lines) == 1
    store.close()


async def test_example_subscriber_replaying_from_the_earliest_offset_changes_nothing(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    topic = await create_topic(kafka_bootstrap, partitions=3, prefix="example-subscriber")
    stream = the_mixed_stream()
    await publish(kafka_bootstrap, topic, stream)
    store = OutcomeStore(tmp_path / "outcomes.sqlite")
    first = subscriber_for(kafka_bootstrap, topic, store, [], f"example.{topic}.first")
    await consume_until_caught_up(first)
    before = store.outcomes()

    replay = subscriber_for(kafka_bootstrap, topic, store, [], f"example.{topic}.replay")
    await consume_until_caught_up(replay)

    assert replay.counts == Counts(handled=0, duplicates=5, skipped=3, unreadable=1)
    assert store.outcomes() == before
    assert store.handled_event_ids() == known_event_ids()
    store.close()


async def test_example_subscriber_restarted_in_its_group_goes_on_after_its_commit(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    topic = await create_topic(kafka_bootstrap, partitions=3, prefix="example-subscriber")
    stream = the_mixed_stream()
    await publish(kafka_bootstrap, topic, stream)
    store = OutcomeStore(tmp_path / "outcomes.sqlite")
    group = f"example.{topic}"
    await consume_until_caught_up(subscriber_for(kafka_bootstrap, topic, store, [], group))
    later = message(ClientEmployed)
    later["event_id"] = str(uuid.uuid4())
    await publish(kafka_bootstrap, topic, [(json.dumps(later).encode(), headers_of(later))])

    restarted = subscriber_for(kafka_bootstrap, topic, store, [], group)
    await consume_until_caught_up(restarted)

    assert restarted.counts == Counts(handled=1)
    assert store.outcomes()[0].employments == 2
    store.close()


def test_example_subscriber_reads_the_enrolment_topic_from_its_own_group_by_default() -> None:
    options = parse_arguments([])

    assert options.topics == ["enrolment.events.v1"]
    assert options.group == "example.training-outcomes"


async def test_example_subscriber_says_it_caught_up_once_the_history_is_applied_and_committed(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    topic = await create_topic(kafka_bootstrap, partitions=3, prefix="example-subscriber")
    stream = the_mixed_stream()
    await publish(kafka_bootstrap, topic, stream)
    store = OutcomeStore(tmp_path / "outcomes.sqlite")
    lines: list[str] = []
    subscriber = subscriber_for(kafka_bootstrap, topic, store, lines, f"example.{topic}")
    stop = asyncio.Event()
    task = asyncio.create_task(subscriber.run(stop))
    try:
        async with asyncio.timeout(WAIT_SECONDS):
            await subscriber.caught_up()

        assert subscriber.counts.received == len(stream)
        assert store.handled_event_ids() == known_event_ids()
        correlation_id = message(ClientEnrolled)["correlation_id"]
        assert any(f"correlation={correlation_id}" in line for line in lines)
    finally:
        stop.set()
        await task
    store.close()


async def test_example_subscriber_is_caught_up_at_once_on_an_empty_topic(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    topic = await create_topic(kafka_bootstrap, partitions=3, prefix="example-subscriber")
    store = OutcomeStore(tmp_path / "outcomes.sqlite")
    subscriber = subscriber_for(kafka_bootstrap, topic, store, [], f"example.{topic}")

    await consume_until_caught_up(subscriber)

    assert subscriber.counts == Counts()
    store.close()


OLD_OFFICE = "balikpapan"
NEW_OFFICE = "makassar"
EVENT_PARTITIONS = 12
FIRST_EMPLOYER = "CV Sejuk Jaya Teknik"
LATEST_EMPLOYER = "PT Losari Teknik Makassar"


def partition_of(office: str) -> int:
    """The partition Kafka's default partitioner gives an office's key."""
    partitions = list(range(EVENT_PARTITIONS))
    partition: int = DefaultPartitioner()(office.encode(), partitions, partitions)
    return partition


@dataclass(frozen=True)
class MovingKlien:
    """A klien's events at the old office, up to the transfer, and at the new one after."""

    client_id: str
    at_old_office: list[Record]
    at_new_office: list[Record]


def record_of(payload: EventPayload, office: str, version: int, **changes: object) -> Record:
    """The Kafka record of an example payload with ``changes``, as ``office`` records it."""
    envelope: Envelope[EventPayload] = new_envelope(
        payload.model_copy(update=changes),
        bapas_code=office,
        aggregate_version=version,
        correlation_id=uuid.uuid4(),
        actor=OFFICER,
        occurred_at=datetime(2026, 7, 1, 3, tzinfo=UTC),
    )
    body: dict[str, Any] = envelope.model_dump(mode="json")
    return json.dumps(body).encode(), headers_of(body)


def a_klien_who_moves() -> MovingKlien:
    """Released, trained and employed at the old office, with one course left open; moved
    (the open course withdrawn, then ClientTransferredOut and ClientTransferredIn at the
    klien's versions 3 and 4); trained and employed again at the new office."""
    client_id = uuid.uuid4()
    first, unfinished, second = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    enrolled, completed = example_payload(ClientEnrolled), example_payload(TrainingCompleted)
    employed = example_payload(ClientEmployed)
    moved_on = date(2026, 7, 1)
    return MovingKlien(
        client_id=str(client_id),
        at_old_office=[
            record_of(example_payload(ClientReleased), OLD_OFFICE, 1, client_id=client_id),
            record_of(enrolled, OLD_OFFICE, 1, client_id=client_id, enrolment_id=first),
            record_of(completed, OLD_OFFICE, 2, client_id=client_id, enrolment_id=first),
            record_of(employed, OLD_OFFICE, 2, client_id=client_id, employer_name=FIRST_EMPLOYER),
            record_of(enrolled, OLD_OFFICE, 1, client_id=client_id, enrolment_id=unfinished),
            record_of(
                example_payload(TrainingWithdrawn),
                OLD_OFFICE,
                2,
                client_id=client_id,
                enrolment_id=unfinished,
                reason_code=WithdrawalReason.MOVED,
            ),
            record_of(
                example_payload(ClientTransferredOut),
                OLD_OFFICE,
                3,
                client_id=client_id,
                to_bapas_code=NEW_OFFICE,
                transferred_on=moved_on,
            ),
        ],
        at_new_office=[
            record_of(
                example_payload(ClientTransferredIn),
                NEW_OFFICE,
                4,
                client_id=client_id,
                from_bapas_code=OLD_OFFICE,
                transferred_on=moved_on,
            ),
            record_of(enrolled, NEW_OFFICE, 1, client_id=client_id, enrolment_id=second),
            record_of(completed, NEW_OFFICE, 2, client_id=client_id, enrolment_id=second),
            record_of(employed, NEW_OFFICE, 5, client_id=client_id, employer_name=LATEST_EMPLOYER),
        ],
    )


def outcome_after_the_move(klien: MovingKlien) -> KlienOutcome:
    """What the whole story means: three enrolments, two of them completed competent, two
    employments, the latest employer, and the new office."""
    return KlienOutcome(
        client_id=klien.client_id,
        bapas_code=NEW_OFFICE,
        enrolments=3,
        competent_completions=2,
        employments=2,
        last_employer=LATEST_EMPLOYER,
    )


@dataclass(frozen=True)
class NewOfficeReadFirst:
    """A subscriber that read the new office's partition, then the old one's."""

    topic: str
    klien: MovingKlien
    store: OutcomeStore
    lines: list[str]
    counts: tuple[Counts, Counts]


@pytest.fixture(scope="module")
async def new_office_read_first(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[NewOfficeReadFirst]:
    """The new office's events are published and read before the old office's exist: the
    subscriber (one group, run twice) cannot read them in the order they happened."""
    assert partition_of(OLD_OFFICE) != partition_of(NEW_OFFICE)  # two partitions, or no test
    topic = await create_topic(
        kafka_bootstrap, partitions=EVENT_PARTITIONS, prefix="example-subscriber-transfer"
    )
    klien = a_klien_who_moves()
    store = OutcomeStore(tmp_path_factory.mktemp("transfer") / "outcomes.sqlite")
    lines: list[str] = []
    group = f"example.{topic}"
    await publish(kafka_bootstrap, topic, klien.at_new_office, office=NEW_OFFICE)
    new_first = subscriber_for(kafka_bootstrap, topic, store, lines, group)
    await consume_until_caught_up(new_first)
    await publish(kafka_bootstrap, topic, klien.at_old_office, office=OLD_OFFICE)
    old_after = subscriber_for(kafka_bootstrap, topic, store, lines, group)
    await consume_until_caught_up(old_after)
    yield NewOfficeReadFirst(topic, klien, store, lines, (new_first.counts, old_after.counts))
    store.close()


async def test_example_subscriber_counts_every_event_of_a_klien_whose_new_office_is_read_first(
    new_office_read_first: NewOfficeReadFirst,
) -> None:
    read = new_office_read_first

    assert read.counts == (Counts(handled=4), Counts(handled=5, skipped=2))
    assert read.store.outcomes() == [outcome_after_the_move(read.klien)]


async def test_example_subscriber_keeps_the_new_office_when_the_release_is_read_after_the_move(
    new_office_read_first: NewOfficeReadFirst,
) -> None:
    read = new_office_read_first
    where_released = f"{read.topic}/{partition_of(OLD_OFFICE)}@"
    where_moved_in = f"{read.topic}/{partition_of(NEW_OFFICE)}@"

    [moved_in] = [line for line in read.lines if " ClientTransferredIn v1 " in line]
    [released] = [line for line in read.lines if " ClientReleased v1 " in line]
    assert moved_in.startswith(where_moved_in)
    assert f"bapas={NEW_OFFICE} client={read.klien.client_id} office={NEW_OFFICE}" in moved_in
    assert released.startswith(where_released)
    assert f"bapas={OLD_OFFICE} client={read.klien.client_id} office={NEW_OFFICE}" in released
    assert read.lines.index(moved_in) < read.lines.index(released)


async def test_example_subscriber_read_again_from_scratch_ends_with_the_same_outcomes(
    kafka_bootstrap: str, tmp_path: Path, new_office_read_first: NewOfficeReadFirst
) -> None:
    read = new_office_read_first
    fresh = OutcomeStore(tmp_path / "from-scratch.sqlite")
    from_scratch = subscriber_for(
        kafka_bootstrap, read.topic, fresh, [], f"example.{read.topic}.from-scratch"
    )

    await consume_until_caught_up(from_scratch)

    assert from_scratch.counts == Counts(handled=9, skipped=2)
    assert fresh.outcomes() == read.store.outcomes() == [outcome_after_the_move(read.klien)]
    fresh.close()


def test_example_store_ends_the_same_whichever_order_the_two_offices_are_read_in() -> None:
    klien = a_klien_who_moves()
    old, new = klien.at_old_office, klien.at_new_office
    endings = []
    for new_places in itertools.combinations(range(len(old) + len(new)), len(new)):
        old_left, new_left = iter(old), iter(new)
        interleaved = [
            next(new_left if place in new_places else old_left)
            for place in range(len(old) + len(new))
        ]
        store = OutcomeStore(":memory:")
        for value, headers in interleaved:
            event = read_event(value, headers)
            if event is not None:
                store.apply(event)
        endings.append(store.outcomes())
        store.close()

    assert len(endings) == 330  # every way to interleave the two partitions
    assert all(ending == [outcome_after_the_move(klien)] for ending in endings)
