"""A small real projection for the consumer tests, and the events it is fed.

:class:`CountingProjection` counts events per ``bapas_code`` and ``event_type`` (one
upsert per batch, folded in Python) and copies every event it applies into a table
without a unique key, so that a test can prove no event was applied twice or lost.
Helpers build valid pokmas events with their Kafka key and headers as the relay
publishes them, and publish them.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import asyncpg
from aiokafka import AIOKafkaProducer

from shared.events.envelope import Actor, Envelope, EventPayload, new_envelope
from shared.events.pokmas import (
    Contact,
    MoUSigned,
    PokmasContactChanged,
    PokmasKind,
    PokmasRegistered,
)
from shared.events.registry import kafka_headers
from shared.postgres.migrations import apply_migrations, migrations_of
from shared.projections import EventRejected

Event = Envelope[EventPayload]
Counts = dict[tuple[str, str], int]

OFFICES = ("medan", "balikpapan", "makassar", "jayapura", "surabaya", "bandung", "kupang")
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


class CountingProjection:
    """Counts events per (bapas_code, event_type); keeps a copy of each event applied.

    ``batch_delay`` sleeps inside the batch transaction (so a SIGKILL lands mid-batch),
    after ``on_batch`` has been told which events are being applied. Events of
    ``rejected_bapas`` are rejected (they must end in the dead letters).
    """

    def __init__(
        self,
        name: str,
        topics: Sequence[str],
        *,
        batch_delay: float = 0.0,
        on_batch: Callable[[Sequence[Event]], None] | None = None,
        rejected_bapas: str | None = None,
    ) -> None:
        if not _IDENTIFIER.match(name):
            raise ValueError(f"{name!r} cannot name a table")
        self.name = name
        self.topics = tuple(topics)
        self.batch_delay = batch_delay
        self.on_batch = on_batch
        self.rejected_bapas = rejected_bapas

    @property
    def counts_table(self) -> str:
        return f"{self.name}_counts"

    @property
    def applied_table(self) -> str:
        return f"{self.name}_applied"

    async def create_tables(self, connection: asyncpg.Connection) -> None:
        await connection.execute(
            f"CREATE TABLE {self.counts_table} ("
            " bapas_code text NOT NULL, event_type text NOT NULL, count bigint NOT NULL,"
            " PRIMARY KEY (bapas_code, event_type));"
            f"CREATE TABLE {self.applied_table} ("
            " event_id uuid NOT NULL, aggregate_id uuid NOT NULL,"
            " aggregate_version integer NOT NULL)"
        )

    async def apply(self, connection: asyncpg.Connection, events: Sequence[Event]) -> None:
        for event in events:
            if event.bapas_code == self.rejected_bapas:
                raise EventRejected(event, f"{self.rejected_bapas} is not counted")
        await connection.copy_records_to_table(
            self.applied_table,
            records=[(e.event_id, e.aggregate_id, e.aggregate_version) for e in events],
            columns=("event_id", "aggregate_id", "aggregate_version"),
        )
        counts = Counter((e.bapas_code, e.event_type) for e in events)
        await connection.execute(
            f"INSERT INTO {self.counts_table} AS c (bapas_code, event_type, count)"
            " SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])"
            " ON CONFLICT (bapas_code, event_type) DO UPDATE SET count = c.count + EXCLUDED.count",
            [bapas for bapas, _ in counts],
            [event_type for _, event_type in counts],
            list(counts.values()),
        )
        if self.on_batch is not None:
            self.on_batch(events)
        if self.batch_delay:
            await asyncio.sleep(self.batch_delay)

    async def reset(self, connection: asyncpg.Connection) -> None:
        await connection.execute(f"TRUNCATE {self.counts_table}, {self.applied_table}")

    async def counts(self, connection: asyncpg.Connection) -> Counts:
        rows = await connection.fetch(
            f"SELECT bapas_code, event_type, count FROM {self.counts_table}"
        )
        return {(row["bapas_code"], row["event_type"]): row["count"] for row in rows}

    async def applied_event_ids(self, connection: asyncpg.Connection) -> list[UUID]:
        rows = await connection.fetch(f"SELECT event_id FROM {self.applied_table}")
        return [row["event_id"] for row in rows]


async def prepare_database(database_url: str, *projections: CountingProjection) -> None:
    """The shared migrations (tracking tables) and the projections' tables."""
    connection = await asyncpg.connect(database_url)
    try:
        await apply_migrations(connection, migrations_of("shared"))
        for projection in projections:
            await projection.create_tables(connection)
    finally:
        await connection.close()


def expected_counts(events: Iterable[Event]) -> Counts:
    return dict(Counter((e.bapas_code, e.event_type) for e in events))


@dataclass(frozen=True)
class Record:
    """A Kafka record as the outbox relay publishes it."""

    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]


def record_of(event: Event) -> Record:
    return Record(
        key=event.bapas_code.encode(),
        value=event.model_dump_json().encode(),
        headers=kafka_headers(
            event_id=event.event_id,
            event_type=event.event_type,
            schema_version=event.schema_version,
        ),
    )


_ACTOR = Actor(role="bapas_admin", sub="test")
_CONTACT = Contact(name="Ibu Sari", phone="+62 811 555 0101", email="sari@example.id")


def pokmas_registered(bapas_code: str, *, pokmas_id: UUID | None = None) -> Event:
    return new_envelope(
        PokmasRegistered(
            pokmas_id=pokmas_id or uuid4(),
            name="Pokmas Las Maju",
            kind=PokmasKind.ORGANISATION,
            contact=_CONTACT,
            address="Jl. Merdeka 1",
            skills=("welding",),
        ),
        bapas_code=bapas_code,
        aggregate_version=1,
        correlation_id=uuid4(),
        actor=_ACTOR,
        occurred_at=datetime.now(UTC),
    )


def sample_events(count: int, offices: Sequence[str] = OFFICES) -> list[Event]:
    """``count`` valid pokmas events spread over ``offices``: registrations, contact
    changes of the registered Pokmas (versions 2, 3, …) and MoUs."""
    events: list[Event] = []
    pokmas_of: dict[str, tuple[UUID, int]] = {}
    for i in range(count):
        office = offices[i % len(offices)]
        kind = (i // len(offices)) % 4
        known = pokmas_of.get(office)
        if known is None or kind == 0:
            event = pokmas_registered(office)
            pokmas_of[office] = (event.aggregate_id, 1)
        elif kind in (1, 3):
            pokmas_id, version = known
            event = new_envelope(
                PokmasContactChanged(pokmas_id=pokmas_id, contact=_CONTACT),
                bapas_code=office,
                aggregate_version=version + 1,
                correlation_id=uuid4(),
                actor=_ACTOR,
                occurred_at=datetime.now(UTC),
            )
            pokmas_of[office] = (pokmas_id, version + 1)
        else:
            event = new_envelope(
                MoUSigned(
                    mou_id=uuid4(),
                    pokmas_id=known[0],
                    number=f"PKS-{i:05d}",
                    signed_on=date(2025, 1, 6),
                    valid_from=date(2025, 1, 6),
                    valid_until=date(2026, 1, 5),
                    scope=("welding",),
                ),
                bapas_code=office,
                aggregate_version=1,
                correlation_id=uuid4(),
                actor=_ACTOR,
                occurred_at=datetime.now(UTC),
            )
        events.append(event)
    return events


async def publish(bootstrap: str, topic: str, records: Iterable[Record]) -> None:
    """Publish with an idempotent acks=all producer, sends gathered, each key in order."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5
    )
    await producer.start()
    try:
        deliveries = [
            await producer.send(topic, key=r.key, value=r.value, headers=r.headers) for r in records
        ]
        await asyncio.gather(*deliveries)
    finally:
        await producer.stop()


async def publish_events(bootstrap: str, topic: str, events: Iterable[Event]) -> None:
    await publish(bootstrap, topic, (record_of(event) for event in events))
