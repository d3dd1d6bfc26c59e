"""The event store and its unit of work against a real PostgreSQL: optimistic
concurrency, atomic outbox and read-model writes, and aggregates rebuilt from their
history."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from shared.events.envelope import Actor, Envelope, EventPayload
from shared.events.pokmas import PokmasContactChanged, PokmasRegistered
from shared.eventstore.aggregate import Aggregate
from shared.eventstore.read_models import OwnReadModels, ReadModelChange
from shared.eventstore.store import (
    AggregateNotFound,
    CommandContext,
    ConcurrencyConflict,
    EventStore,
)
from shared.eventstore.unit_of_work import unit_of_work
from shared.kafka.topics import POKMAS_EVENTS
from shared.postgres.migrations import apply_migrations, migrations_of
from shared.postgres.pool import create_pool
from shared.postgres.statements import Statement
from tests.support.registry_events import PartnerRecord
from tests.support.writes import save_alone

OFFICER = CommandContext(actor=Actor(role="bapas_officer", sub="pk-001"))


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[EventStore]:
    pool = await create_pool(database_url, size=4)
    async with pool.acquire() as connection:
        await apply_migrations(connection, migrations_of("shared"))
    yield EventStore(pool, topic=POKMAS_EVENTS)
    await pool.close()


async def save(store: EventStore, aggregate: Aggregate) -> list[Envelope[EventPayload]]:
    return await save_alone(store, aggregate, OFFICER)


async def _count(store: EventStore, table: str) -> int:
    value = await store.pool.fetchval(f"SELECT count(*) FROM {table}")
    assert isinstance(value, int)
    return value


async def test_saved_aggregate_loads_back_with_its_state_and_version(store: EventStore) -> None:
    partner = PartnerRecord.register("balikpapan", "Pokmas Maju Bersama")
    partner.change_contact("Pak Budi")
    await save(store, partner)

    loaded = await store.load(PartnerRecord, partner.id)

    assert (loaded.name, loaded.contact_name, loaded.version) == (
        "Pokmas Maju Bersama",
        "Pak Budi",
        2,
    )
    assert loaded.bapas_code == "balikpapan"


async def test_each_event_gets_an_outbox_row_with_the_bapas_as_key(store: EventStore) -> None:
    partner = PartnerRecord.register("samarinda", "Pokmas Mahakam")
    envelopes = await save(store, partner)

    rows = await store.pool.fetch("SELECT topic, message_key, event_id FROM outbox")

    assert [(r["topic"], r["message_key"], r["event_id"]) for r in rows] == [
        (POKMAS_EVENTS, "samarinda", envelopes[0].event_id)
    ]


async def test_two_concurrent_appends_at_the_same_version_one_succeeds(store: EventStore) -> None:
    partner = PartnerRecord.register("balikpapan", "Pokmas Teluk")
    await save(store, partner)
    first = await store.load(PartnerRecord, partner.id)
    second = await store.load(PartnerRecord, partner.id)
    first.change_contact("Ibu Ani")
    second.change_contact("Pak Joko")

    outcomes = await asyncio.gather(save(store, first), save(store, second), return_exceptions=True)

    assert sum(isinstance(o, ConcurrencyConflict) for o in outcomes) == 1
    assert sum(isinstance(o, list) for o in outcomes) == 1
    assert await _count(store, "events") == 2
    assert await _count(store, "outbox") == 2


async def test_a_rolled_back_transaction_leaves_neither_event_nor_outbox_row(
    store: EventStore,
) -> None:
    partner = PartnerRecord.register("balikpapan", "Pokmas Gagal")

    async def save_then_fail() -> None:
        async with unit_of_work(store, OFFICER) as work:
            await work.save(partner)
            raise RuntimeError("projection failed")

    with pytest.raises(RuntimeError, match="projection failed"):
        await save_then_fail()

    assert await _count(store, "events") == 0
    assert await _count(store, "outbox") == 0


@pytest.fixture
async def named(store: EventStore) -> EventStore:
    """The store with a read model of the partners' names and contacts (a NOT NULL
    contact, so that a contact change to ``UNKNOWN``, stored as NULL, makes its
    statement fail), and a log of the registrations, written by a second statement."""
    await store.pool.execute(
        "CREATE TABLE partner_names (id uuid PRIMARY KEY, name text NOT NULL,"
        " contact text NOT NULL, version int NOT NULL);"
        " CREATE TABLE registrations (id uuid PRIMARY KEY, bapas_code text NOT NULL)"
    )
    return EventStore(
        store.pool,
        topic=store.topic,
        read_models=OwnReadModels(partner_names_update, ("partner_names", "registrations")),
    )


UNKNOWN = "Tidak Diketahui"


def partner_names_update(event: Envelope[EventPayload]) -> ReadModelChange:
    match event.payload:
        case PokmasRegistered(pokmas_id=pokmas_id, name=name, contact=contact):
            return (
                Statement(
                    "INSERT INTO partner_names VALUES ($1, $2, $3, $4)",
                    pokmas_id,
                    name,
                    contact.name,
                    event.aggregate_version,
                ),
                Statement("INSERT INTO registrations VALUES ($1, $2)", pokmas_id, event.bapas_code),
            )
        case PokmasContactChanged(pokmas_id=pokmas_id, contact=contact):
            return Statement(
                "UPDATE partner_names SET contact = NULLIF($2, $4), version = $3 WHERE id = $1",
                pokmas_id,
                contact.name,
                event.aggregate_version,
                UNKNOWN,
            )
    raise AssertionError(event.event_type)


async def _partner_names(store: EventStore) -> list[tuple[str, str, int]]:
    rows = await store.pool.fetch("SELECT name, contact, version FROM partner_names")
    return [(row["name"], row["contact"], row["version"]) for row in rows]


async def test_the_read_model_changes_with_the_events_of_one_save(named: EventStore) -> None:
    partner = PartnerRecord.register("balikpapan", "Pokmas Sejahtera")
    await save(named, partner)
    partner.change_contact("Pak Budi")
    await save(named, partner)
    partner.change_contact("Ibu Ani")
    partner.change_contact("Ibu Rina")  # two events change one row: one after the other
    await save(named, partner)

    assert await _partner_names(named) == [("Pokmas Sejahtera", "Ibu Rina", 4)]
    assert await _count(named, "registrations") == 1
    assert await _count(named, "events") == await _count(named, "outbox") == 4


@pytest.mark.parametrize("events", [1, 2], ids=["one event", "two events"])
async def test_a_failing_read_model_statement_stores_no_event(
    named: EventStore, events: int
) -> None:
    partner = PartnerRecord.register("balikpapan", "Pokmas Teguh")
    await save(named, partner)
    for name in ["Pak Joko", UNKNOWN][-events:]:
        partner.change_contact(name)

    with pytest.raises(asyncpg.NotNullViolationError):
        await save(named, partner)

    assert await _partner_names(named) == [("Pokmas Teguh", "Ibu Sari", 1)]
    assert await _count(named, "events") == await _count(named, "outbox") == 1


async def test_a_unit_of_work_without_a_transaction_saves_once(store: EventStore) -> None:
    first = PartnerRecord.register("balikpapan", "Pokmas Satu")
    second = PartnerRecord.register("balikpapan", "Pokmas Dua")

    async def save_both() -> None:
        async with unit_of_work(store, OFFICER, transaction=False) as work:
            await work.save(first)
            await work.save(second)

    with pytest.raises(RuntimeError, match="saves once"):
        await save_both()

    assert await _count(store, "events") == 1


async def test_a_unit_of_work_in_a_transaction_saves_several_aggregates_or_none(
    store: EventStore,
) -> None:
    existing = PartnerRecord.register("balikpapan", "Pokmas Satu")
    async with unit_of_work(store, OFFICER) as work:
        await work.save(existing)
        await work.save(PartnerRecord.register("samarinda", "Pokmas Dua"))
    stale = await store.load(PartnerRecord, existing.id)
    existing.change_contact("Pak Budi")
    await save(store, existing)
    stale.change_contact("Ibu Ani")

    async def save_a_new_one_and_the_stale_one() -> None:
        async with unit_of_work(store, OFFICER) as work:
            await work.save(PartnerRecord.register("medan", "Pokmas Tiga"))
            await work.save(stale)

    with pytest.raises(ConcurrencyConflict):
        await save_a_new_one_and_the_stale_one()

    assert await _count(store, "events") == await _count(store, "outbox") == 3


async def test_loading_an_unknown_aggregate_says_not_found(store: EventStore) -> None:
    partner = PartnerRecord.register("balikpapan", "Pokmas Hilang")

    with pytest.raises(AggregateNotFound):
        await store.load(PartnerRecord, partner.id)


async def test_migrations_apply_once_even_when_run_twice(database_url: str) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        first = await apply_migrations(connection, migrations_of("shared"))
        second = await apply_migrations(connection, migrations_of("shared"))
    finally:
        await connection.close()

    assert first
    assert not second
