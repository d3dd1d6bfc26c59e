"""B3: a command accepted by one service, visible in another service's projection, at a
steady rate; and its ceiling, one Kafka produce→consume round trip.

The command opens a programme in the pokmas service (``POST …/programmes``); the
programme becomes visible when the enrolment service's projection of the pokmas topic
commits its row in ``pokmas_programmes``. The path is the real one: the command's
transaction with its outbox row, the relay woken by NOTIFY, Kafka, the projection
consumer's batch transaction. To see the commit without polling, the benchmark puts a
trigger on that table that NOTIFYs the programme id; a notification is delivered when
the transaction commits, that is, when the row becomes visible to readers.

Requests are sent open-loop, on a fixed schedule, over 32 keep-alive connections
(:mod:`bench.http_client`), so a slow answer does not slow the load down, until all
32 wait for answers: then the service is saturated, and the report gives the rate it
achieved beside the rate offered. The latency runs from the command's 201 to the
notification.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from time import perf_counter

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bench.http_client import connection_pool
from bench.http_load import CONNECTIONS, SKILL, Officer
from bench.latency import Latency
from shared.postgres.pool import Connection

VISIBLE_CHANNEL = "bench_programme_visible"
VISIBILITY_TIMEOUT = 30.0
_TRIGGER = f"""
CREATE OR REPLACE FUNCTION bench_programme_visible() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('{VISIBLE_CHANNEL}', NEW.programme_id::text);
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE OR REPLACE TRIGGER bench_programme_visible AFTER INSERT ON pokmas_programmes
    FOR EACH ROW EXECUTE FUNCTION bench_programme_visible();
"""


@dataclass(frozen=True)
class EndToEnd:
    rate: float
    """Commands a second offered, on a fixed schedule."""
    sent: int
    accepted: int
    visible: int
    seconds: float
    """From the first command sent to the last one answered."""
    latency: Latency
    """From the command's 201 to the row committed in the other service."""
    latency_from_sending: Latency
    """From the command's sending to the row committed in the other service."""
    command_latency: Latency
    """The command's own HTTP round trip."""

    @property
    def achieved_rate(self) -> float:
        return self.accepted / self.seconds


async def kafka_round_trip(bootstrap_servers: str, topic: str, samples: int) -> Latency:
    """B3's ceiling: a record sent by a producer configured as the outbox relay's
    (``acks="all"``, idempotent, ``linger_ms=5``) until a ``read_committed`` consumer,
    already waiting, has it."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers, acks="all", enable_idempotence=True, linger_ms=5
    )
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        group_id=None,
        enable_auto_commit=False,
        isolation_level="read_committed",
    )
    partition = TopicPartition(topic, 0)
    await producer.start()
    await consumer.start()
    try:
        consumer.assign([partition])
        await consumer.seek_to_end(partition)
        await consumer.position(partition)
        times: list[float] = []
        for number in range(samples):
            started = perf_counter()
            delivery = await producer.send(topic, value=str(number).encode())
            record = await asyncio.wait_for(consumer.getone(), timeout=10)
            times.append(perf_counter() - started)
            await delivery
            if record.value != str(number).encode():
                raise AssertionError("the round trip returned another record")
            await asyncio.sleep(0.005)
        return Latency.of_seconds(times)
    finally:
        await consumer.stop()
        await producer.stop()


@dataclass(frozen=True)
class _Host:
    """A Pokmas of one office with an active MoU, and an officer who may open its
    programmes."""

    officer: Officer
    pokmas_id: str
    mou_id: str


async def _programme_host(client: httpx.AsyncClient, officer: Officer) -> _Host:
    response = await client.post(
        "/api/v1/pokmas", json=officer.pokmas_body(0), headers=officer.headers
    )
    response.raise_for_status()
    pokmas_id: str = response.json()["id"]
    today = datetime.now(UTC).date()
    response = await client.post(
        f"/api/v1/pokmas/{pokmas_id}/mous",
        json={
            "number": "PKS-BENCH-1",
            "signed_on": str(today - timedelta(days=2)),
            "valid_from": str(today - timedelta(days=2)),
            "valid_until": str(today + timedelta(days=700)),
            "scope": [SKILL],
        },
        headers=officer.headers,
    )
    response.raise_for_status()
    return _Host(officer, pokmas_id, response.json()["id"])


async def programme_visibility(
    pokmas_url: str,
    enrolment_database_url: str,
    callers: list[Officer],
    *,
    rate: float,
    seconds: float,
) -> EndToEnd:
    """Open ``rate`` programmes a second for ``seconds``, spread over the callers'
    offices; time each until it is visible in the enrolment service."""
    visible_at: dict[uuid.UUID, float] = {}
    listener = await asyncpg.connect(enrolment_database_url)

    def on_visible(_: Connection, __: int, ___: str, payload: object) -> None:
        visible_at[uuid.UUID(str(payload))] = perf_counter()

    await listener.execute(_TRIGGER)
    await listener.add_listener(VISIBLE_CHANNEL, on_visible)
    sent_at: dict[uuid.UUID, float] = {}
    accepted_at: dict[uuid.UUID, float] = {}
    start = datetime.now(UTC).date() + timedelta(days=30)
    total = max(round(rate * seconds), 1)
    try:
        async with httpx.AsyncClient(base_url=pokmas_url, timeout=10.0) as client:
            hosts = [await _programme_host(client, officer) for officer in callers]
        async with connection_pool(pokmas_url, CONNECTIONS) as pool:

            async def open_programme(number: int) -> None:
                host = hosts[number % len(hosts)]
                sent = perf_counter()
                response = await pool.request(
                    "POST",
                    f"/api/v1/pokmas/{host.pokmas_id}/programmes",
                    {
                        "mou_id": host.mou_id,
                        "skill": SKILL,
                        "title": f"Pelatihan {number}",
                        "capacity": 20,
                        "starts_on": str(start),
                        "ends_on": str(start + timedelta(days=90)),
                        "sessions_planned": 12,
                        "location": "Balai latihan",
                    },
                    host.officer.headers,
                )
                if response.status == 201:
                    programme_id = uuid.UUID(response.json()["id"])
                    accepted_at[programme_id] = perf_counter()
                    sent_at[programme_id] = sent

            began = perf_counter()
            commands: list[asyncio.Task[None]] = []
            for number in range(total):
                await asyncio.sleep(max(began + number / rate - perf_counter(), 0))
                commands.append(asyncio.create_task(open_programme(number)))
            await asyncio.gather(*commands)
            elapsed = perf_counter() - began
        deadline = perf_counter() + VISIBILITY_TIMEOUT
        while not accepted_at.keys() <= visible_at.keys() and perf_counter() < deadline:
            await asyncio.sleep(0.05)
    finally:
        await listener.close()
    seen = [key for key in accepted_at if key in visible_at]
    return EndToEnd(
        rate=rate,
        sent=total,
        accepted=len(accepted_at),
        visible=len(seen),
        seconds=elapsed,
        # Visible before the client read the 201 (the answer was slower than the whole
        # path): counted as zero.
        latency=Latency.of_seconds(max(visible_at[key] - accepted_at[key], 0.0) for key in seen),
        latency_from_sending=Latency.of_seconds(visible_at[key] - sent_at[key] for key in seen),
        command_latency=Latency.of_seconds(accepted_at[key] - sent_at[key] for key in accepted_at),
    )
