"""The composition every service shares: settings in, a running service out.

A service is its database pool with migrations applied, its event store, the outbox
relay that publishes the store to the service's topic, its FastStream Kafka broker,
and a FastAPI app whose readiness reports truthfully on the database and Kafka. Each
service's ``app.py`` names its topic and routers and calls :func:`build_service_app`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import asyncpg
from aiokafka.errors import KafkaError
from fastapi import APIRouter, FastAPI
from faststream.kafka import KafkaBroker

from shared.eventstore.relay import OutboxRelay
from shared.eventstore.store import EventStore
from shared.http import ServiceUnavailable, create_service_app
from shared.kafka.topics import TOPIC_OF_SERVICE
from shared.postgres.migrations import apply_migrations, migrations_of
from shared.postgres.pool import create_pool
from shared.reference import bapas_offices
from shared.settings import AuthSettings, ServiceSettings

log = logging.getLogger(__name__)

STARTUP_ATTEMPTS = 30
T = TypeVar("T")


@dataclass
class ServiceRuntime:
    """The resources of one running service instance, opened by its lifespan."""

    settings: ServiceSettings
    broker: KafkaBroker = field(init=False)
    _pool: asyncpg.Pool | None = field(default=None, init=False)
    _relay_task: asyncio.Task[None] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.topic = TOPIC_OF_SERVICE[self.settings.service_name]
        self.migration_packages = ("shared", f"services.{self.settings.service_name}")
        self.broker = KafkaBroker(
            self.settings.kafka_bootstrap_servers,
            client_id=self.settings.service_name,
            logger=None,
        )

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise ServiceUnavailable("the service is starting")
        return self._pool

    @property
    def event_store(self) -> EventStore:
        return EventStore(self.pool, topic=self.topic)

    async def start(self) -> None:
        self._pool = await _retry(
            "PostgreSQL",
            lambda: create_pool(self.settings.database_url, size=self.settings.database_pool_size),
        )
        async with self._pool.acquire() as connection:
            await apply_migrations(connection, migrations_of(*self.migration_packages))
        await _retry("Kafka", self.broker.start)
        relay = OutboxRelay(
            service=self.settings.service_name,
            database_url=self.settings.database_url,
            bootstrap_servers=self.settings.kafka_bootstrap_servers,
        )
        self._relay_task = asyncio.create_task(relay.run(), name="outbox-relay")

    async def stop(self) -> None:
        if self._relay_task is not None:
            self._relay_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._relay_task
        await self.broker.stop()
        if self._pool is not None:
            await self._pool.close()

    async def check_database(self) -> None:
        await self.pool.fetchval("SELECT 1")

    async def check_kafka(self) -> None:
        if not await self.broker.ping(timeout=2.0):
            raise ConnectionError("Kafka does not answer")

    @contextlib.asynccontextmanager
    async def lifespan(self, _: FastAPI) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.stop()


async def _retry(what: str, start: Callable[[], Awaitable[T]]) -> T:
    """Start something the service cannot run without, waiting for it to come up."""
    for attempt in range(1, STARTUP_ATTEMPTS + 1):
        try:
            return await start()
        except (OSError, asyncpg.PostgresError, KafkaError, TimeoutError) as error:
            if attempt == STARTUP_ATTEMPTS:
                raise
            log.warning("%s not reachable yet (%r); retrying", what, error)
            await asyncio.sleep(1.0)
    raise AssertionError("unreachable")


def build_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter] = (),
) -> FastAPI:
    """The service's ASGI app: shared conventions, its routers, its runtime's lifespan."""
    runtime = ServiceRuntime(settings)
    app = create_service_app(
        title=title,
        version="1.0.0",
        description=description,
        auth=AuthSettings(),
        bapas_provinces={office.code: office.province for office in bapas_offices()},
        readiness_checks={"database": runtime.check_database, "kafka": runtime.check_kafka},
        lifespan=runtime.lifespan,
    )
    for router in routers:
        app.include_router(router)
    app.state.runtime = runtime
    return app
