"""The event store against a real PostgreSQL: optimistic concurrency, atomic outbox
writes, and aggregates rebuilt from their history."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from shared.events.envelope import Actor, Envelope, EventPayload
from shared.events.pokmas import PokmasContactChanged, PokmasRegistered
from shared.eventstore.store import (
    AggregateNotFound,
    CommandContext,
    ConcurrencyConflict,
    EventStore,
)
from shared.kafka.topics import POKMAS_EVENTS
from shared.postgres.migrations import apply_migrations, migrations_of
from shared.postgres.pool import create_pool
from shared.postgres.statements import Statement
from tests.support.registry_events import PartnerRecord

OFFICER = CommandContext(actor=Actor(role="bapas_officer", sub="pk-001"))


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[EventStore]:
    pool = await create_pool(database_url, size=4)
    async with pool.acquire() as connection:
        await apply_migrations(connection, migrations_of("shared"))
    yield EventStore(pool, topic=POKMAS_EVENTS)
    await pool.close()


async def _count(store: EventStore, table: str) -> int:
    value = await store.pool.fetchval(f"SELECT count(*) FROM {table}")
    assert isinstance(value, int)
    return value


async def test_saved_aggregate_loads_back_with_its_state_and_version(store: EventStore) -> None:
    partner = PartnerRecord.register("balikpapan", "Pokmas Maju Bersama")
    partner.change_contact("Pak Budi")
    await store.save(partner, OFFICER)

    loaded = await store.load(PartnerRecord, partner.id)

    assert (loaded.name, loaded.contact_name, loaded.version) == (
        "Pokmas Maju Bersama",
        "Pak Budi",
        2,
    )
    assert loaded.bapas_code == "balikpapan"


async def test_each_event_gets_an_outbox_row_with_the_bapas_as_key(store: EventStore) -> None:
    partner = PartnerRecord.register("samarinda", "Pokmas Mahakam")
    envelopes = await store.save(partner, OFFICER)

    rows = await store.pool.fetch("SELECT topic, message_key, event_id FROM outbox")

    assert [(r["topic"], r["message_key"], r["event_id"]) for r in rows] == [
        (POKMAS_EVENTS, "samarinda", envelopes[0].event_id)
    ]


async def test_two_concurrent_appends_at_the_same_version_one_succeeds(store: EventStore) -> None:
    partner = PartnerRecord.register("balikpapan", "Pokmas Teluk")
    await store.save(partner, OFFICER)
    first = await store.load(PartnerRecord, partner.id)
    second = await store.load(PartnerRecord, partner.id)
    first.change_contact("Ibu Ani")
    second.change_contact("Pak Joko")

    outcomes = await asyncio.gather(
        store.save(first, OFFICER), store.save(second, OFFICER), return_exceptions=True
    )

    assert sum(isinstance(o, ConcurrencyConflict) for o in outcomes) == 1
    assert sum(isinstance(o, list) for o in outcomes) == 1
    assert await _count(store, "events") == 2
    assert await _count(store, "outbox") == 2


async def test_a_rolled_back_transaction_leaves_neither_event_nor_outbox_row(
    store: EventStore,
) -> None:
    partner = PartnerRecord.register("balikpapan", "Pokmas Gagal")

    async def save_then_fail() -> None:
        async with store.pool.acquire() as connection, connection.transaction():
            await store.save(partner, OFFICER, connection=connection)
            raise RuntimeError("projection failed")

    with pytest.raises(RuntimeError, match="projection failed"):
        await save_then_fail()

    assert await _count(store, "events") == 0
    assert await _count(store, "outbox") == 0


@pytest.fixture
async def partner_names(store: EventStore) -> None:
    """A read model of the partners' names and contacts: a NOT NULL contact, so that a
    contact change to ``UNKNOWN`` (stored as NULL) makes its statement fail."""
    await store.pool.execute(
        "CREATE TABLE partner_names (id uuid PRIMARY KEY, name text NOT NULL,"
        " contact text NOT NULL, version int NOT NULL)"
    )


UNKNOWN = "Tidak Diketahui"


def partner_names_update(event: Envelope[EventPayload]) -> Statement:
    match event.payload:
        case PokmasRegistered(pokmas_id=pokmas_id, name=name, contact=contact):
            return Statement(
                "INSERT INTO partner_names VALUES ($1, $2, $3, $4)",
                pokmas_id,
                name,
                contact.name,
                event.aggregate_version,
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


@pytest.mark.usefixtures("partner_names")
async def test_the_read_model_changes_with_the_events_of_one_save(store: EventStore) -> None:
    partner = PartnerRecord.register("balikpapan", "Pokmas Sejahtera")
    await store.save(partner, OFFICER, read_model=partner_names_update)
    partner.change_contact("Pak Budi")
    await store.save(partner, OFFICER, read_model=partner_names_update)
    partner.change_contact("Ibu Ani")
    partner.change_contact("Ibu Rina")  # two events change one row: one after the other
    await store.save(partner, OFFICER, read_model=partner_names_update)

    assert await _partner_names(store) == [("Pokmas Sejahtera", "Ibu Rina", 4)]
    assert await _count(store, "events") == await _count(store, "outbox") == 4


@pytest.mark.usefixtures("partner_names")
@pytest.mark.parametrize("events", [1, 2], ids=["one event", "two events"])
async def test_a_failing_read_model_statement_stores_no_event(
    store: EventStore, events: int
) -> None:
    partner = PartnerRecord.register("balikpapan", "Pokmas Teguh")
    await store.save(partner, OFFICER, read_model=partner_names_update)
    for name in ["Pak Joko", UNKNOWN][-events:]:
        partner.change_contact(name)

    with pytest.raises(asyncpg.NotNullViolationError):
        await store.save(partner, OFFICER, read_model=partner_names_update)

    assert await _partner_names(store) == [("Pokmas Teguh", "Ibu Sari", 1)]
    assert await _count(store, "events") == await _count(store, "outbox") == 1


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
