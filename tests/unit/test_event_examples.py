"""The examples of the event catalogue are real events: one per published version, valid,
read back unchanged by the consumers' parser, stable, and free of klien personal data."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from shared.events.enrolment import ClientTransferredIn, ClientTransferredOut
from shared.events.envelope import EventPayload, Source
from shared.events.examples import (
    BAPAS_CODE,
    event_examples,
    example_envelope,
    example_event_id,
    example_payload,
)
from shared.events.registry import PAYLOAD_TYPES, parse_event

PERSONAL_DATA_FIELDS = frozenset(
    {"full_name", "nik", "profile", "birth_date", "date_of_birth", "home_address", "address"}
)
"""Fields that would carry a klien's personal data (the domain rules, Privacy) anywhere."""
KLIEN_CONTACT_FIELDS = frozenset({"name", "phone", "email"})
"""Fields that at the top of a payload would be the klien's own name and contact; nested
in ``pk_officer`` they are the officer's work contact, which the contract allows."""
NIK_LIKE = re.compile(r"(?<!\d)\d{16}(?!\d)")
"""A NIK is 16 digits."""

ENROLMENT_PAYLOADS = [p for p in PAYLOAD_TYPES if p.source is Source.ENROLMENT]


def name_of(payload: type[EventPayload]) -> str:
    return f"{payload.event_type}.v{payload.schema_version}"


def keys_of(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from keys_of(item)
    elif isinstance(value, list):
        for item in value:
            yield from keys_of(item)


def test_every_registered_event_version_has_an_example() -> None:
    missing = [name_of(p) for p in PAYLOAD_TYPES if p not in event_examples()]
    assert not missing, f"add an example of {', '.join(missing)} to shared/events/examples.py"


def test_every_example_is_of_a_registered_event_version() -> None:
    unregistered = [name_of(p) for p in event_examples() if p not in PAYLOAD_TYPES]
    assert not unregistered


@pytest.mark.parametrize("payload", PAYLOAD_TYPES, ids=name_of)
def test_example_payload_is_valid_against_its_model(payload: type[EventPayload]) -> None:
    example = example_payload(payload)

    revalidated = payload.model_validate_json(example.model_dump_json())

    assert revalidated == example


@pytest.mark.parametrize("payload", PAYLOAD_TYPES, ids=name_of)
def test_example_envelope_round_trips_through_parse_event(payload: type[EventPayload]) -> None:
    envelope = example_envelope(payload)

    parsed = parse_event(envelope.model_dump_json().encode())

    assert parsed == envelope
    assert type(parsed.payload) is payload


@pytest.mark.parametrize(
    "payload", [p for p in PAYLOAD_TYPES if p is not ClientTransferredIn], ids=name_of
)
def test_example_envelope_belongs_to_bapas_balikpapan(payload: type[EventPayload]) -> None:
    assert example_envelope(payload).bapas_code == BAPAS_CODE == "balikpapan"


def test_the_example_transfer_comes_in_under_the_new_office() -> None:
    out = example_envelope(ClientTransferredOut)
    came_in = example_envelope(ClientTransferredIn)

    assert out.bapas_code == "balikpapan"
    assert came_in.bapas_code == out.payload.to_bapas_code == "samarinda"
    assert came_in.aggregate_version == out.aggregate_version + 1


def test_examples_are_the_same_on_every_call() -> None:
    first = [example_envelope(p).model_dump_json() for p in PAYLOAD_TYPES]
    second = [example_envelope(p).model_dump_json() for p in PAYLOAD_TYPES]

    assert first == second


def test_every_example_has_its_own_event_id() -> None:
    ids = [example_event_id(p) for p in PAYLOAD_TYPES]

    assert len(set(ids)) == len(ids)


def test_a_caused_example_names_its_cause_and_shares_its_correlation() -> None:
    examples = event_examples()
    caused = [p for p, example in examples.items() if example.caused_by is not None]
    assert caused, "the examples show at least one reaction"
    for payload in caused:
        cause = examples[payload].caused_by
        assert cause is not None
        envelope, cause_envelope = example_envelope(payload), example_envelope(cause)
        assert envelope.causation_id == cause_envelope.event_id
        assert envelope.correlation_id == cause_envelope.correlation_id


@pytest.mark.parametrize("payload", ENROLMENT_PAYLOADS, ids=name_of)
def test_enrolment_example_carries_no_personal_data_fields(payload: type[EventPayload]) -> None:
    message = example_envelope(payload).model_dump(mode="json")
    body = message["payload"]

    personal = sorted(set(keys_of(body)) & PERSONAL_DATA_FIELDS)
    klien_contact = sorted(set(body) & KLIEN_CONTACT_FIELDS)

    assert not personal, f"{name_of(payload)} example has personal-data fields {personal}"
    assert not klien_contact, f"{name_of(payload)} example names a klien: {klien_contact}"


@pytest.mark.parametrize("payload", ENROLMENT_PAYLOADS, ids=name_of)
def test_enrolment_example_carries_no_nik_like_number(payload: type[EventPayload]) -> None:
    text = json.dumps(example_envelope(payload).model_dump(mode="json"))

    assert not NIK_LIKE.search(text)
