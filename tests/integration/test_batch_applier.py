"""The batch applier with PostgreSQL alone: no broker, messages made by the test.

What a projection consumer promises for each batch is decided here, so it is checked
here without Kafka: new messages are applied once, a redelivered offset and a second
copy of an event change nothing, an event the projection rejects goes to the dead
letters (recorded, the rest of the batch applied), and a replay of that dead letter is
applied once, even after a later event of the same aggregate.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import uuid4

import asyncpg
import pytest
from aiokafka import TopicPartition

from shared.events.envelope import Actor, new_envelope
from shared.events.pokmas import PokmasContactChanged
from shared.projections.applier import BatchApplier
from shared.projections.deadletter import dead_letter_headers, replay_headers
from shared.projections.parsing import KafkaMessage
from tests.support.counting_projection import (
    CountingProjection,
    Event,
    pokmas_registered,
    prepare_database,
    record_of,
)
from tests.support.registry_events import contact

TOPIC = "applier.events"
PARTITION = TopicPartition(TOPIC, 0)


@dataclass(frozen=True)
class Message:
    """A consumed record, as aiokafka gives it (the fields the applier reads)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]]


@dataclass
class DeadLetters:
    """A dead-letter sink that keeps what it is sent."""

    sent: list[tuple[KafkaMessage, str]] = field(default_factory=list)

    async def send(self, message: KafkaMessage, error: str) -> asyncio.Future[object]:
        self.sent.append((message, error))
        done: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


def message(event: Event, offset: int, headers: Sequence[tuple[str, bytes]] = ()) -> Message:
    record = record_of(event)
    return Message(TOPIC, 0, offset, record.key, record.value, [*record.headers, *headers])


def contact_changed(registered: Event) -> Event:
    return new_envelope(
        PokmasContactChanged(pokmas_id=registered.aggregate_id, contact=contact("Pak Budi")),
        bapas_code=registered.bapas_code,
        aggregate_version=2,
        correlation_id=uuid4(),
        actor=Actor(role="bapas_officer", sub="test"),
        occurred_at=datetime.now(UTC),
    )


@pytest.fixture
async def connection(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    await prepare_database(database_url, PROJECTION)
    connection = await asyncpg.connect(database_url)
    yield connection
    await connection.close()


PROJECTION = CountingProjection("applier", [TOPIC], rejected_bapas="jayapura")


async def test_new_messages_are_applied_once_and_redeliveries_change_nothing(
    connection: asyncpg.Connection,
) -> None:
    applier = BatchApplier(PROJECTION, DeadLetters())
    first, second = pokmas_registered("medan"), pokmas_registered("balikpapan")
    batch = {PARTITION: [message(first, 0), message(second, 1)]}

    applied = await applier.apply(connection, batch, {PARTITION: 0})
    again = await applier.apply(connection, batch, {PARTITION: 0})
    copy = await applier.apply(connection, {PARTITION: [message(first, 2)]}, {PARTITION: 2})

    assert (applied.outcome.applied, applied.plan.positions) == (2, {PARTITION: 2})
    assert (again.outcome.applied, again.outcome.skipped_redelivered) == (0, 2)
    assert (copy.outcome.applied, copy.outcome.skipped_duplicate) == (0, 1)
    assert sorted(await PROJECTION.applied_event_ids(connection)) == sorted(
        [first.event_id, second.event_id]
    )


async def test_a_rejected_event_goes_to_the_dead_letters_and_the_rest_is_applied(
    connection: asyncpg.Connection,
) -> None:
    dead_letters = DeadLetters()
    applier = BatchApplier(PROJECTION, dead_letters)
    kept, rejected = pokmas_registered("medan"), pokmas_registered("jayapura")

    batch = await applier.apply(
        connection, {PARTITION: [message(kept, 0), message(rejected, 1)]}, {PARTITION: 0}
    )

    assert (batch.outcome.applied, batch.outcome.dead_lettered) == (1, 1)
    assert await PROJECTION.applied_event_ids(connection) == [kept.event_id]
    [(sent, reason)] = dead_letters.sent
    assert (sent.offset, "jayapura is not counted" in reason) == (1, True)
    recorded = await connection.fetch(
        'SELECT topic, partition, "offset", event_id FROM projection_dead_letters'
    )
    assert [tuple(row) for row in recorded] == [(TOPIC, 0, 1, rejected.event_id)]


async def test_a_replayed_dead_letter_is_applied_once_after_a_later_event(
    connection: asyncpg.Connection,
) -> None:
    dead_letters = DeadLetters()
    failing = CountingProjection("applier", [TOPIC], rejected_bapas="medan")
    registered = pokmas_registered("medan")
    later = contact_changed(registered)
    await BatchApplier(failing, dead_letters).apply(
        connection, {PARTITION: [message(registered, 0)]}, {PARTITION: 0}
    )
    fixed = BatchApplier(PROJECTION, dead_letters)
    await fixed.apply(connection, {PARTITION: [message(later, 1)]}, {PARTITION: 1})
    [(letter, reason)] = dead_letters.sent
    headers = replay_headers(
        dead_letter_headers(letter, consumer_group="g", projection="applier", error=reason)
    )
    replayed = Message(TOPIC, 0, 2, letter.key, letter.value, headers)

    first = await fixed.apply(connection, {PARTITION: [replayed]}, {PARTITION: 2})
    second = await fixed.apply(
        connection,
        {PARTITION: [Message(TOPIC, 0, 3, letter.key, letter.value, headers)]},
        {PARTITION: 3},
    )

    assert first.outcome.applied == 1
    assert (second.outcome.applied, second.outcome.skipped_duplicate) == (0, 1)
    assert sorted(await PROJECTION.applied_event_ids(connection)) == sorted(
        [registered.event_id, later.event_id]
    )
