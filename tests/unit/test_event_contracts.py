"""The event contract: envelopes, payloads, the registry and parsing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest
from pydantic import BaseModel, ValidationError

from shared.events import (
    EVENT_ID_HEADER,
    PAYLOAD_TYPES,
    Actor,
    AggregateType,
    Event,
    EventPayload,
    InvalidEvent,
    Source,
    UnknownEventType,
    envelope_type,
    examples,
    kafka_headers,
    new_envelope,
    parse_event,
    payload_type,
    route_from_headers,
)
from shared.events.enrolment import AttendanceRecorded
from shared.events.pokmas import MoUExpired, MoUSigned, PokmasContactChanged, ProgrammeOpened

CORRELATION_ID = UUID("00000000-0000-4000-8000-000000000008")
EVENT_ID = UUID("00000000-0000-4000-8000-000000000009")
OCCURRED_AT = datetime(2024, 3, 1, 2, 30, tzinfo=UTC)
RECORDED_AT = datetime(2024, 3, 1, 2, 30, 1, tzinfo=UTC)
ACTOR = Actor(role="bapas_officer", sub="officer-17")

CATALOGUE = {
    "PokmasRegistered",
    "PokmasContactChanged",
    "MoUSigned",
    "MoURenewed",
    "MoUTerminated",
    "MoUExpired",
    "ProgrammeOpened",
    "ProgrammeClosed",
    "ClientReleased",
    "ClientEnrolled",
    "AttendanceRecorded",
    "TrainingCompleted",
    "TrainingWithdrawn",
    "EnrolmentSuspended",
    "EnrolmentResumed",
    "ClientEmployed",
    "ClientReoffended",
    "SupervisionEnded",
    "ClientProfileErased",
    "ReportingScheduled",
    "ReportRecorded",
    "ReportMissed",
    "RevocationRecommended",
    "ClientTransferredOut",
    "ClientTransferredIn",
    "NotificationSent",
    "NotificationFailed",
    "EmployerRegistered",
    "EmployerPledged",
    "VacancyPosted",
    "VacancyClosed",
    "ClientPlaced",
    "PlacementChecked",
    "PlacementEnded",
}

EXAMPLES: dict[type[EventPayload], EventPayload] = {
    kind: example.payload for kind, example in examples.event_examples().items()
}
"""The payload of every example of ``shared.events.examples``, by payload model."""

PERSONAL_DATA_FIELDS = {"full_name", "nik", "profile", "date_of_birth", "address"}


def event_of(payload: EventPayload) -> Event:
    return new_envelope(
        payload,
        bapas_code=examples.BAPAS_CODE,
        aggregate_version=1,
        correlation_id=CORRELATION_ID,
        actor=ACTOR,
        occurred_at=OCCURRED_AT,
        recorded_at=RECORDED_AT,
        event_id=EVENT_ID,
    )


def wire_form(event: Event) -> dict[str, Any]:
    """The event as a consumer receives it, decoded to edit it."""
    decoded: dict[str, Any] = json.loads(event.model_dump_json())
    return decoded


def encoded(message: dict[str, Any]) -> bytes:
    return json.dumps(message).encode()


def programme_opened_message(**payload_changes: Any) -> bytes:
    message = wire_form(event_of(EXAMPLES[ProgrammeOpened]))
    message["payload"].update(payload_changes)
    return encoded(message)


def field_names(model: type[BaseModel]) -> set[str]:
    """The names of the model's fields and of those of the models nested in it."""
    names = set(model.model_fields)
    for field in model.model_fields.values():
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            names |= field_names(field.annotation)
    return names


@pytest.fixture(params=PAYLOAD_TYPES, ids=lambda payload: payload.event_type)
def event(request: pytest.FixtureRequest) -> Event:
    return event_of(EXAMPLES[request.param])


def test_every_registered_event_has_an_example() -> None:
    assert set(EXAMPLES) == set(PAYLOAD_TYPES)


def test_registry_holds_version_1_of_every_event_of_the_catalogue() -> None:
    registered = {(payload.event_type, payload.schema_version) for payload in PAYLOAD_TYPES}

    assert {(name, 1) for name in CATALOGUE} <= registered


def test_registry_holds_no_event_outside_the_catalogue() -> None:
    assert {payload.event_type for payload in PAYLOAD_TYPES} <= CATALOGUE


def test_event_survives_a_round_trip_through_json(event: Event) -> None:
    assert parse_event(event.model_dump_json().encode()) == event


def test_event_read_with_its_kafka_headers_survives_a_round_trip(event: Event) -> None:
    read = parse_event(
        event.model_dump_json().encode(),
        event_type=event.event_type,
        schema_version=event.schema_version,
    )

    assert read == event


def test_parsed_payload_has_its_event_model(event: Event) -> None:
    read = parse_event(event.model_dump_json().encode())

    assert type(read.payload) is type(event.payload)


def test_events_are_immutable() -> None:
    event = event_of(EXAMPLES[MoUExpired])

    with pytest.raises(ValidationError, match="frozen"):
        event.bapas_code = "samarinda"  # type: ignore[misc]


def test_new_envelope_takes_type_version_source_and_aggregate_from_the_payload() -> None:
    event = event_of(EXAMPLES[ProgrammeOpened])

    assert (
        event.event_type,
        event.schema_version,
        event.source,
        event.aggregate_type,
        event.aggregate_id,
    ) == ("ProgrammeOpened", 1, Source.POKMAS, AggregateType.PROGRAMME, examples.PROGRAMME_ID)


def test_timestamps_are_written_in_utc_with_a_z() -> None:
    message = wire_form(event_of(EXAMPLES[MoUExpired]))

    assert message["occurred_at"] == "2024-03-01T02:30:00Z"


def test_timestamp_with_another_offset_than_utc_is_rejected() -> None:
    wita = timezone(timedelta(hours=8))

    with pytest.raises(ValidationError, match="occurred_at\n  Timezone offset of 0 required"):
        new_envelope(
            EXAMPLES[MoUExpired],
            bapas_code=examples.BAPAS_CODE,
            aggregate_version=1,
            correlation_id=CORRELATION_ID,
            actor=ACTOR,
            occurred_at=datetime(2024, 3, 1, 10, 30, tzinfo=wita),
        )


def test_timestamp_written_with_a_zero_offset_is_read() -> None:
    event = event_of(EXAMPLES[MoUExpired])
    message = wire_form(event) | {"occurred_at": "2024-03-01T02:30:00+00:00"}

    assert parse_event(encoded(message)) == event


def test_naive_timestamp_is_rejected() -> None:
    with pytest.raises(ValidationError, match="occurred_at"):
        new_envelope(
            EXAMPLES[MoUExpired],
            bapas_code=examples.BAPAS_CODE,
            aggregate_version=1,
            correlation_id=CORRELATION_ID,
            actor=ACTOR,
            occurred_at=datetime(2024, 3, 1, 10, 30),
        )


def test_unknown_envelope_field_is_ignored_when_reading() -> None:
    event = event_of(EXAMPLES[MoUSigned])
    message = wire_form(event) | {"trace_id": "abc"}

    assert parse_event(encoded(message)) == event


def test_unknown_payload_field_is_ignored_when_reading() -> None:
    event = event_of(EXAMPLES[ProgrammeOpened])

    assert parse_event(programme_opened_message(trainer="Pak Joko")) == event


def test_unknown_field_of_a_nested_object_is_ignored_when_reading() -> None:
    event = event_of(EXAMPLES[PokmasContactChanged])
    message = wire_form(event)
    message["payload"]["contact"]["whatsapp"] = "+62 812 5555 0101"

    assert parse_event(encoded(message)) == event


def test_unknown_payload_field_is_forbidden_when_writing() -> None:
    fields: dict[str, Any] = EXAMPLES[MoUExpired].model_dump() | {"by": "cron"}

    with pytest.raises(ValidationError, match="by\n  Extra inputs are not permitted"):
        MoUExpired(**fields)


def test_unknown_envelope_field_is_forbidden_when_writing() -> None:
    event = event_of(EXAMPLES[MoUExpired])
    fields: dict[str, Any] = dict(event) | {"trace_id": "abc"}

    with pytest.raises(ValidationError, match="trace_id\n  Extra inputs are not permitted"):
        envelope_type(MoUExpired)(**fields)


def test_invalid_payload_is_rejected_naming_the_field() -> None:
    with pytest.raises(InvalidEvent, match=r"payload\.capacity: Input should be greater"):
        parse_event(programme_opened_message(capacity=0))


def test_missing_payload_field_is_rejected_naming_the_field() -> None:
    message = wire_form(event_of(EXAMPLES[ProgrammeOpened]))
    del message["payload"]["starts_on"]

    with pytest.raises(InvalidEvent, match=r"payload\.starts_on: Field required"):
        parse_event(encoded(message))


def test_number_written_as_a_string_is_rejected() -> None:
    with pytest.raises(InvalidEvent, match=r"payload\.capacity"):
        parse_event(programme_opened_message(capacity="12"))


def test_date_with_a_time_is_rejected() -> None:
    with pytest.raises(InvalidEvent, match=r"payload\.starts_on"):
        parse_event(programme_opened_message(starts_on="2024-03-04T00:00:00Z"))


def test_value_outside_an_enumeration_is_rejected() -> None:
    message = wire_form(event_of(EXAMPLES[AttendanceRecorded]))
    message["payload"]["status"] = "sick"

    with pytest.raises(InvalidEvent, match=r"payload\.status"):
        parse_event(encoded(message))


def test_unknown_skill_code_is_rejected() -> None:
    with pytest.raises(InvalidEvent, match=r"payload\.skill: Value error, unknown skill code"):
        parse_event(programme_opened_message(skill="juggling"))


def test_rejection_does_not_echo_the_rejected_value() -> None:
    nik = "3201234567890001"

    with pytest.raises(InvalidEvent) as rejected:
        parse_event(programme_opened_message(title={"nik": nik}))

    assert nik not in str(rejected.value)
    assert nik not in str(rejected.value.__cause__)


def test_malformed_json_is_an_invalid_event() -> None:
    with pytest.raises(InvalidEvent, match="not an event envelope"):
        parse_event(b'{"event_type": "MoUSigned", ')


def test_message_without_an_event_type_is_an_invalid_event() -> None:
    message = wire_form(event_of(EXAMPLES[MoUExpired]))
    del message["event_type"]

    with pytest.raises(InvalidEvent, match="event_type: Field required"):
        parse_event(encoded(message))


def test_unknown_event_type_is_reported_apart_from_invalid_events() -> None:
    message = wire_form(event_of(EXAMPLES[MoUExpired])) | {"event_type": "MoUArchived"}

    with pytest.raises(UnknownEventType) as unknown:
        parse_event(encoded(message))

    assert not isinstance(unknown.value, InvalidEvent)


def test_unknown_version_of_a_known_event_is_an_unknown_event_type() -> None:
    message = wire_form(event_of(EXAMPLES[MoUExpired])) | {"schema_version": 99}

    with pytest.raises(UnknownEventType, match="'MoUExpired' version 99"):
        parse_event(encoded(message))


def test_unknown_event_type_named_by_headers_is_skipped_without_reading_the_body() -> None:
    with pytest.raises(UnknownEventType):
        parse_event(b"not even json", event_type="MoUArchived", schema_version=1)


def test_body_of_another_event_than_its_headers_say_is_invalid() -> None:
    raw = event_of(EXAMPLES[MoUSigned]).model_dump_json().encode()

    with pytest.raises(InvalidEvent, match="invalid MoUExpired v1"):
        parse_event(raw, event_type="MoUExpired", schema_version=1)


def test_envelope_of_another_source_than_the_payload_is_invalid() -> None:
    message = wire_form(event_of(EXAMPLES[MoUExpired])) | {"source": "enrolment"}

    with pytest.raises(InvalidEvent, match="MoUExpired comes from pokmas"):
        parse_event(encoded(message))


def test_envelope_of_another_aggregate_than_the_payload_is_invalid() -> None:
    message = wire_form(event_of(EXAMPLES[MoUExpired])) | {"aggregate_id": str(examples.CLIENT_ID)}

    with pytest.raises(InvalidEvent, match="aggregate_id differs"):
        parse_event(encoded(message))


def test_payload_type_finds_the_model_of_an_event_version() -> None:
    assert payload_type("ProgrammeOpened", 1) is ProgrammeOpened


def test_payload_type_of_an_unknown_event_raises_unknown_event_type() -> None:
    with pytest.raises(UnknownEventType):
        payload_type("MoUArchived", 1)


def test_kafka_headers_name_the_event_type_and_version_for_routing() -> None:
    event_id = examples.example_event_id(MoUSigned)
    headers = kafka_headers(event_id=event_id, event_type="MoUSigned", schema_version=1)

    assert route_from_headers(headers) == ("MoUSigned", 1)


def test_kafka_headers_carry_the_event_id() -> None:
    event_id = examples.example_event_id(MoUSigned)
    headers = kafka_headers(event_id=event_id, event_type="MoUSigned", schema_version=1)

    assert (EVENT_ID_HEADER, str(event_id).encode()) in headers


def test_record_without_event_headers_has_no_route() -> None:
    assert route_from_headers([("traceparent", b"00-abc")]) is None


def test_record_with_an_unreadable_version_header_has_no_route() -> None:
    assert route_from_headers([("event_type", b"MoUSigned"), ("schema_version", b"v1")]) is None


@pytest.mark.parametrize(
    "payload",
    [payload for payload in PAYLOAD_TYPES if payload.source is Source.ENROLMENT],
    ids=lambda payload: payload.event_type,
)
def test_enrolment_event_carries_no_personal_data_of_the_klien(
    payload: type[EventPayload],
) -> None:
    assert field_names(payload) & PERSONAL_DATA_FIELDS == set()
