"""PostgreSQL restarted under load (the quality bars): commands answer 503 while it is
down, never 500; afterwards they succeed again, every accepted command's event is
stored once and reaches Kafka, and nothing half-written remains."""

from __future__ import annotations

import asyncio
import shutil
from collections import Counter
from collections.abc import Iterator

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer

from services.pokmas.app import create_app
from shared.events.registry import parse_event
from shared.http import Role
from shared.kafka.topics import POKMAS_EVENTS
from shared.stack.paths import StackPaths, repository_root
from shared.stack.postgres import PostgresServer
from tests.support.infrastructure import FAULT_KAFKA_PORT
from tests.support.service_app import bearer, running_service

OFFICER = bearer(Role.BAPAS_OFFICER, bapas="balikpapan")


def pokmas_body(number: int) -> dict[str, object]:
    return {
        "bapas_code": "balikpapan",
        "name": f"Pokmas Tahan Uji {number}",
        "kind": "organisation",
        "contact": {"name": "Ibu Ani", "phone": "+62 812 1111 2222", "email": "ani@pokmas.example"},
        "address": "Jl. Ahmad Yani 5, Balikpapan",
        "skills": ["ac_repair"],
    }


@pytest.fixture(scope="module")
def private_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL of this module's own, so restarting it disturbs no other test."""
    root = repository_root()
    port = FAULT_KAFKA_PORT + 50
    server = PostgresServer(
        StackPaths(root=root, var=root / "var" / f"postgres-restart-{port}"), port=port
    )
    server.stop()
    shutil.rmtree(server.paths.var, ignore_errors=True)
    server.start()
    asyncio.run(server.create_databases(["pokmas"]))
    yield server
    server.stop()
    shutil.rmtree(server.paths.var, ignore_errors=True)


async def test_commands_answer_503_while_postgres_restarts_and_nothing_is_lost_or_doubled(
    private_postgres: PostgresServer, kafka_bootstrap: str
) -> None:
    statuses: Counter[int] = Counter()
    accepted: list[str] = []
    async with running_service(
        create_app,
        service="pokmas",
        database_url=private_postgres.url("pokmas"),
        kafka_bootstrap=kafka_bootstrap,
    ) as client:

        async def command(number: int) -> None:
            response = await client.post(
                "/api/v1/pokmas", json=pokmas_body(number), headers=OFFICER
            )
            statuses[response.status_code] += 1
            if response.status_code == 201:
                accepted.append(response.json()["event_id"])

        for number in range(40):
            await command(number)
        private_postgres.kill()
        for number in range(40, 80):
            await command(number)
        private_postgres.start()
        async with asyncio.timeout(60):
            while True:
                response = await client.get("/health/ready")
                if response.status_code == 200:
                    break
                await asyncio.sleep(0.5)
        for number in range(80, 120):
            await command(number)
        stored = await _stored_event_ids(private_postgres.url("pokmas"))
        published = await _published(kafka_bootstrap, set(accepted))

    assert set(statuses) <= {201, 503}
    assert statuses[503] >= 40
    assert statuses[201] == len(accepted) >= 80
    assert sorted(stored) == sorted(accepted)
    # On the wire it is at least once: a batch the relay published just before the
    # server died is published again (consumers deduplicate on event_id / version).
    assert set(published) == set(accepted)


async def _stored_event_ids(database_url: str) -> list[str]:
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            "SELECT event_id FROM events WHERE event_type = 'PokmasRegistered'"
        )
    finally:
        await connection.close()
    return [str(row["event_id"]) for row in rows]


async def _published(bootstrap: str, wanted: set[str]) -> list[str]:
    consumer = AIOKafkaConsumer(
        POKMAS_EVENTS, bootstrap_servers=bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    found: list[str] = []
    try:
        async with asyncio.timeout(60):
            while len(set(found)) < len(wanted):
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    for record in records:
                        event_id = str(parse_event(record.value or b"").event_id)
                        if event_id in wanted:
                            found.append(event_id)
        for records in (await consumer.getmany(timeout_ms=1000)).values():
            found.extend(
                str(parse_event(r.value or b"").event_id)
                for r in records
                if str(parse_event(r.value or b"").event_id) in wanted
            )
    finally:
        await consumer.stop()
    return found
