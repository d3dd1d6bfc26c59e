"""The projection consumer's pure rules: how a record is read, which messages of a batch
are new, what a dead letter's headers say."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from aiokafka import TopicPartition

from shared.projections.batch import last_versions, newer_than_recorded, plan_batch
from shared.projections.deadletter import dead_letter_headers
from shared.projections.parsing import (
    InvalidMessage,
    ParsedEvent,
    ReadMessage,
    UnknownEvent,
    read_message,
)
from shared.projections.tracking import advisory_lock_key
from tests.support.counting_projection import Event, pokmas_registered, record_of, sample_events


@dataclass(frozen=True)
class Message:
    value: bytes | None
    headers: list[tuple[str, bytes]] = field(default_factory=list)
    topic: str = "pokmas.events.v1"
    partition: int = 3
    offset: int = 0
    key: bytes | None = b"medan"


def _message_of(event: Event, *, offset: int = 0, with_headers: bool = True) -> Message:
    record = record_of(event)
    return Message(record.value, record.headers if with_headers else [], offset=offset)


def test_a_valid_event_is_parsed_with_or_without_the_routing_headers() -> None:
    event = pokmas_registered("medan")
    for with_headers in (True, False):
        read = read_message(_message_of(event, with_headers=with_headers))
        assert isinstance(read, ParsedEvent)
        assert read.event == event


def test_fields_unknown_to_this_code_are_ignored() -> None:
    event = pokmas_registered("medan")
    body = json.loads(event.model_dump_json())
    body["added_later"] = 1
    body["payload"]["also_added_later"] = "x"
    read = read_message(Message(json.dumps(body).encode(), record_of(event).headers))
    assert isinstance(read, ParsedEvent)
    assert read.event == event


def test_an_unknown_event_type_is_recognised_from_headers_or_body() -> None:
    body = json.loads(pokmas_registered("medan").model_dump_json())
    body["event_type"] = "PokmasRenamed"
    value = json.dumps(body).encode()
    headers = [("event_type", b"PokmasRenamed"), ("schema_version", b"1")]
    for message in (Message(value, headers), Message(value)):
        read = read_message(message)
        assert isinstance(read, UnknownEvent)
        assert (read.event_type, read.schema_version) == ("PokmasRenamed", 1)


def test_malformed_bytes_invalid_payloads_and_tombstones_are_invalid() -> None:
    event = pokmas_registered("medan")
    body = json.loads(event.model_dump_json())
    body["payload"]["skills"] = []
    for value in (b"not json", b"\xff\xfe", b"{}", json.dumps(body).encode(), None):
        read = read_message(Message(value, record_of(event).headers))
        assert isinstance(read, InvalidMessage), value
        assert read.error


def test_a_body_that_contradicts_its_headers_is_invalid() -> None:
    event = pokmas_registered("medan")
    headers = [("event_type", b"MoUSigned"), ("schema_version", b"1")]
    assert isinstance(read_message(Message(record_of(event).value, headers)), InvalidMessage)


def _batch(*offsets: int, partition: int = 0) -> dict[TopicPartition, list[ReadMessage]]:
    events = sample_events(len(offsets))
    return {
        TopicPartition("t", partition): [
            read_message(_message_of(e, offset=o)) for e, o in zip(events, offsets, strict=True)
        ]
    }


def test_messages_below_the_recorded_offset_are_skipped_as_redelivered() -> None:
    tp = TopicPartition("t", 0)
    plan = plan_batch(_batch(5, 6, 7, 8), {("t", 0): 7}, {tp: 5})
    assert [m.message.offset for m in plan.messages] == [7, 8]
    assert plan.redelivered == 2
    assert plan.next_offsets == {("t", 0): 9}
    assert plan.positions == {tp: 9}
    assert plan.seeks == {}


def test_a_batch_entirely_behind_another_instance_moves_the_consumer_forward() -> None:
    tp = TopicPartition("t", 0)
    plan = plan_batch(_batch(5, 6), {("t", 0): 20}, {tp: 5})
    assert plan.messages == []
    assert plan.next_offsets == {}
    assert plan.seeks == {tp: 20}


def test_a_recorded_offset_behind_the_consumer_sends_it_back_instead_of_leaving_a_gap() -> None:
    tp = TopicPartition("t", 0)
    for expected in ({tp: 40}, {}):
        plan = plan_batch(_batch(40, 41), {("t", 0): 0}, expected)
        assert plan.messages == []
        assert plan.next_offsets == {}
        assert plan.seeks == {tp: 0}
        assert plan.discarded == 2


def test_events_not_newer_than_the_recorded_version_of_their_aggregate_are_duplicates() -> None:
    events = sample_events(30, offices=("medan",))
    parsed = [ParsedEvent(_message_of(e), e) for e in events]
    twice = parsed + parsed[-5:]
    first = events[0].aggregate_id
    new, duplicates = newer_than_recorded(twice, {first: 1})
    assert parsed[0] in duplicates
    assert len(duplicates) == 6
    assert new == [p for p in parsed if p is not parsed[0]]
    assert last_versions(new)[first] == max(
        e.aggregate_version for e in events if e.aggregate_id == first
    )


def test_a_dead_letter_keeps_the_original_headers_and_names_where_it_came_from() -> None:
    message = _message_of(pokmas_registered("medan"), offset=41)
    headers = dead_letter_headers(
        message, consumer_group="enrolment", projection="capacity", error="é" * 5_000
    )
    found = dict(headers)
    assert headers[: len(message.headers)] == message.headers
    assert found["x-original-topic"] == b"pokmas.events.v1"
    assert found["x-original-partition"] == b"3"
    assert found["x-original-offset"] == b"41"
    assert found["x-consumer-group"] == b"enrolment"
    assert found["x-error"].decode().startswith("éé")
    assert len(found["x-error"]) <= 4_000


def test_the_advisory_lock_key_is_stable_and_per_projection() -> None:
    assert advisory_lock_key("capacity") == advisory_lock_key("capacity")
    assert advisory_lock_key("capacity") != advisory_lock_key("enrolments")
    assert -(2**63) <= advisory_lock_key("capacity") < 2**63
