"""The outbox relay: publishes the outbox to the service's topic, then deletes it.

Events reach Kafka only through here, after the transaction that wrote them committed,
so none is lost when Kafka or the service is down and none is published for a change
that rolled back. One relay is active per service, whatever the number of instances:
it holds a PostgreSQL advisory lock for as long as its connection lives; the others
wait to take over. It wakes on the NOTIFY of each append and on a short timer.

aiokafka's producer defaults to ``acks=1`` without idempotence; this one uses
``acks="all"`` with the idempotent producer, and sends a whole batch before awaiting
the acknowledgements (awaiting each send would cost milliseconds per event).

Each event goes with the ``traceparent`` of the request that wrote it, so consumers'
spans join the request's trace; the relay stops publishing to a topic that is not the
one it published to before (:mod:`shared.eventstore.relay_topics`); and the outbox's
backlog and the age of its oldest row are metrics.
"""

from __future__ import annotations

import asyncio
import logging
from time import monotonic
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from prometheus_client import Counter, Gauge

from shared.events.registry import kafka_headers
from shared.eventstore.relay_topics import RelayTopicGuard
from shared.eventstore.store import OUTBOX_CHANNEL
from shared.kafka.connection import KafkaConnection
from shared.observability.tracing import TRACEPARENT
from shared.outages import is_outage

log = logging.getLogger(__name__)

PUBLISHED = Counter("bapas_outbox_published_total", "Events the relay published", ["service"])
FAILURES = Counter("bapas_outbox_failures_total", "Relay rounds that failed", ["service"])
BACKLOG = Gauge("bapas_outbox_backlog_events", "Outbox rows not published yet", ["service"])
OLDEST_AGE = Gauge(
    "bapas_outbox_oldest_age_seconds",
    "Age of the oldest outbox row not published yet (0 when the outbox is empty)",
    ["service"],
)
_BACKLOG = """
SELECT count(*) AS backlog,
       coalesce(extract(epoch FROM now() - min(enqueued_at)), 0)::float8 AS oldest_age
FROM outbox
"""
BACKLOG_INTERVAL = 1.0
"""Seconds between two readings of the backlog: counting a long outbox costs a scan."""

_FETCH = """
SELECT position, topic, message_key, event_id, event_type, schema_version, value, traceparent
FROM outbox ORDER BY position LIMIT $1
"""


class OutboxRelay:
    def __init__(
        self,
        *,
        service: str,
        database_url: str,
        kafka: KafkaConnection,
        batch_size: int = 1000,
        idle_interval: float = 1.0,
        max_backoff: float = 5.0,
    ) -> None:
        self.service = service
        self.database_url = database_url
        self.kafka = kafka
        self.batch_size = batch_size
        self.idle_interval = idle_interval
        self.max_backoff = max_backoff
        self.active = False
        self.topics = RelayTopicGuard(service)
        self._wake = asyncio.Event()
        self._backlog_read_at = 0.0

    async def run(self) -> None:
        """Relay until cancelled, recovering from any outage with back-off."""
        backoff = 0.2
        while True:
            try:
                await self._lead_and_publish()
            except Exception as error:  # the relay must outlive any failure, bug or outage
                FAILURES.labels(self.service).inc()
                if is_outage(error):
                    log.warning("outbox relay of %s paused: %r", self.service, error)
                else:
                    log.exception("outbox relay of %s failed; it tries again", self.service)
                self.active = False
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)
            else:
                backoff = 0.2

    async def _lead_and_publish(self) -> None:
        connection = await asyncpg.connect(self.database_url, timeout=10)
        try:
            await self._become_leader(connection)
            await connection.add_listener(OUTBOX_CHANNEL, self._on_notify)
            producer = AIOKafkaProducer(
                **self.kafka.client_options(),
                acks="all",
                enable_idempotence=True,
                linger_ms=5,
                request_timeout_ms=10_000,
                client_id=f"{self.service}-outbox-relay",
            )
            try:
                await producer.start()
                while True:
                    self._wake.clear()
                    published = await self.publish_batch(connection, producer)
                    if published < self.batch_size:
                        await self._sleep_until_woken()
            finally:
                await producer.stop()
        finally:
            self.active = False
            await connection.close(timeout=5)

    async def _become_leader(self, connection: asyncpg.Connection) -> None:
        lock = f"outbox-relay:{self.service}"
        while not await connection.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", lock):
            await asyncio.sleep(self.idle_interval)
        self.active = True

    async def publish_batch(
        self, connection: asyncpg.Connection, producer: AIOKafkaProducer
    ) -> int:
        """Publish the oldest outbox rows and delete them once Kafka acknowledged all
        (none while a topic is not the one published to before)."""
        await self._read_backlog(connection)
        rows = await connection.fetch(_FETCH, self.batch_size)
        if not rows:
            return 0
        if not await self.topics.allows(connection, producer.client, {r["topic"] for r in rows}):
            return 0
        acknowledgements = [
            await producer.send(
                row["topic"],
                value=row["value"],
                key=row["message_key"].encode(),
                headers=kafka_headers(
                    event_id=row["event_id"],
                    event_type=row["event_type"],
                    schema_version=row["schema_version"],
                )
                + ([(TRACEPARENT, row["traceparent"].encode())] if row["traceparent"] else []),
            )
            for row in rows
        ]
        await asyncio.gather(*acknowledgements)
        await connection.execute(
            "DELETE FROM outbox WHERE position = ANY($1::bigint[])",
            [row["position"] for row in rows],
        )
        PUBLISHED.labels(self.service).inc(len(rows))
        return len(rows)

    async def _read_backlog(self, connection: asyncpg.Connection) -> None:
        now = monotonic()
        if now - self._backlog_read_at < BACKLOG_INTERVAL:
            return
        self._backlog_read_at = now
        row = await connection.fetchrow(_BACKLOG)
        assert row is not None
        BACKLOG.labels(self.service).set(row["backlog"])
        OLDEST_AGE.labels(self.service).set(row["oldest_age"])

    def _on_notify(self, *_: Any) -> None:
        self._wake.set()

    async def _sleep_until_woken(self) -> None:
        try:
            async with asyncio.timeout(self.idle_interval):
                await self._wake.wait()
        except TimeoutError:
            pass
