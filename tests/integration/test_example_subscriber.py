"""The example subscriber of ``docs/subscribing.md`` does what the page promises, on the
real broker: each known event is handled once however often it arrives, unknown event
types and versions are skipped (without a traceback in the logs), unknown fields are
ignored, a malformed message is reported without stopping it, a replay from the earliest
offset changes nothing, and it says when it has caught up with the history."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from examples.subscriber.cli import parse_arguments
from examples.subscriber.consumer import Counts, Subscriber
from examples.subscriber.store import KlienOutcome, OutcomeStore
from shared.events.enrolment import (
    AttendanceRecorded,
    ClientEmployed,
    ClientEnrolled,
    TrainingCompleted,
)
from shared.events.envelope import EventPayload
from shared.events.examples import BAPAS_CODE, CLIENT_ID, example_envelope
from shared.events.registry import kafka_headers
from tests.conftest import create_topic

pytestmark = pytest.mark.stack

KNOWN = (ClientEnrolled, TrainingCompleted, ClientEmployed)
WAIT_SECONDS = 60.0


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
    bootstrap: str, topic: str, messages: list[tuple[bytes, list[tuple[str, bytes]]]]
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for value, headers in messages:
            await producer.send_and_wait(topic, value, key=BAPAS_CODE.encode(), headers=headers)
    finally:
        await producer.stop()


def the_mixed_stream() -> list[tuple[bytes, list[tuple[str, bytes]]]]:
    """Three known events, a duplicate, three events the subscriber does not know or
    want, and one message that is not JSON."""
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

    assert [
        r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR
    ] == []
    assert all("Traceback" not in r.getMessage() for r in caplog.records)
    assert subscriber.counts == Counts(handled=3, duplicates=1, skipped=3, unreadable=1)
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

    assert replay.counts == Counts(handled=0, duplicates=4, skipped=3, unreadable=1)
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
