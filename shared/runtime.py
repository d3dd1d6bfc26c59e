"""The composition every service shares: settings in, a running service out.

A service is its database pool with migrations applied, its event store, the outbox
relay that publishes the store to the service's topic, its FastStream Kafka broker,
and a FastAPI app whose readiness reports truthfully on the database and Kafka. Each
service's ``app.py`` names its routers and projections and calls
:func:`build_service_app`. A service that writes no events of its own (insights, which
only projects the others' events) has no topic: it gets no event store and no relay.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Annotated, TypeVar

import asyncpg
from fastapi import APIRouter, Depends, FastAPI, Request
from faststream.kafka import KafkaBroker

from shared.asyncapi import asyncapi_router, declare_publications, declare_subscriptions
from shared.events.envelope import Source
from shared.eventstore.read_models import OwnReadModels
from shared.eventstore.relay import OutboxRelay
from shared.eventstore.store import EventStore
from shared.http import ServiceUnavailable, create_service_app
from shared.http.health import NotReady
from shared.kafka.failures import connection_failures, first_refusal
from shared.kafka.topics import TOPIC_OF_SERVICE
from shared.observability.logs import configure_logging
from shared.observability.tracing import configure_tracing, instrument_app
from shared.outages import is_outage
from shared.periodic import run_periodically
from shared.postgres.migrations import apply_migrations, migrations_of
from shared.postgres.pool import create_pool
from shared.projections.consumer import ProjectionConsumer
from shared.projections.projection import Projection
from shared.reference import bapas_offices
from shared.settings import AuthSettings, ServiceSettings

log = logging.getLogger(__name__)

STARTUP_ATTEMPTS = 30
API_VERSION = "1.0.0"
GC_YOUNG_THRESHOLD = 20_000
T = TypeVar("T")


@dataclass(frozen=True)
class PeriodicJob:
    """A job the service runs every ``every_seconds`` with its runtime (see ``periodic``)."""

    name: str
    every_seconds: float
    run: Callable[[ServiceRuntime], Awaitable[object]]


@dataclass
class ServiceRuntime:
    """The resources of one running service instance, opened by its lifespan."""

    settings: ServiceSettings
    read_models: OwnReadModels | None = None
    """The read models the service keeps of its own events, written with each save."""
    projections: Sequence[Projection] = ()
    periodic_jobs: Sequence[PeriodicJob] = ()
    startup_checks: Sequence[Callable[[], None]] = ()
    """Run before anything is opened; one that raises stops the service (a key or secret
    that may not be trusted here, say), its message saying what to set."""
    data_migrations: Sequence[Callable[[ServiceRuntime], Awaitable[object]]] = ()
    """Changes to stored rows that need more than SQL (the service's keys, say): run in
    order at each start, once the schema is migrated and before anything is consumed,
    relayed or served. Each must be idempotent: every instance runs them."""
    broker: KafkaBroker = field(init=False)
    _pool: asyncpg.Pool | None = field(default=None, init=False)
    _consumers: list[ProjectionConsumer] = field(default_factory=list, init=False)
    _relay: OutboxRelay | None = field(default=None, init=False)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self.topic = TOPIC_OF_SERVICE.get(self.settings.service_name)
        self.migration_packages = ("shared", f"services.{self.settings.service_name}")
        self.broker = KafkaBroker(
            self.settings.kafka.servers,
            security=self.settings.kafka.faststream_security(),
            client_id=self.settings.service_name,
            logger=None,
        )
        if self.topic is not None:
            declare_publications(
                self.broker, topic=self.topic, source=Source(self.settings.service_name)
            )
        declare_subscriptions(
            self.broker, projections=self.projections, service=self.settings.service_name
        )

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise ServiceUnavailable("the service is starting")
        return self._pool

    @property
    def event_store(self) -> EventStore:
        if self.topic is None:
            raise RuntimeError(f"the {self.settings.service_name} service writes no events")
        return EventStore(self.pool, topic=self.topic, read_models=self.read_models)

    async def start(self) -> None:
        for check in self.startup_checks:
            check()
        self._pool = await _retry(
            "PostgreSQL",
            lambda: create_pool(self.settings.database_url, size=self.settings.database_pool_size),
        )
        async with self._pool.acquire() as connection:
            await apply_migrations(connection, migrations_of(*self.migration_packages))
        for migrate in self.data_migrations:
            await migrate(self)
        await _retry("Kafka", self.broker.start)
        if self.topic is not None:
            relay = self._relay = OutboxRelay(
                service=self.settings.service_name,
                database_url=self.settings.database_url,
                kafka=self.settings.kafka,
            )
            self._tasks.append(asyncio.create_task(relay.run(), name="outbox-relay"))
        for projection in self.projections:
            consumer = ProjectionConsumer(
                projection,
                kafka=self.settings.kafka,
                database_url=self.settings.database_url,
            )
            await _retry(f"the {projection.name} consumer", consumer.start)
            self._consumers.append(consumer)
            self._tasks.append(asyncio.create_task(consumer.run(), name=projection.name))
        for job in self.periodic_jobs:
            self._tasks.append(
                asyncio.create_task(
                    run_periodically(
                        functools.partial(job.run, self),
                        every_seconds=job.every_seconds,
                        name=job.name,
                    ),
                    name=job.name,
                )
            )

    async def stop(self) -> None:
        for consumer in self._consumers:
            await consumer.stop()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.broker.stop()
        if self._pool is not None:
            await self._pool.close()

    async def check_database(self) -> None:
        await self.pool.fetchval("SELECT 1")

    async def check_kafka(self) -> None:
        if not await self.broker.ping(timeout=2.0):
            raise ConnectionError("Kafka does not answer")

    async def check_projections(self) -> None:
        """Not ready while a projection applies nothing because a topic it reads is not
        the one it applied; the message names the topic and the rebuild to run."""
        halted = [str(c.halted) for c in self._consumers if c.halted is not None]
        if halted:
            raise NotReady("; ".join(halted))

    async def check_outbox(self) -> None:
        """Not ready while the relay publishes nothing because its topic is not the one it
        published to; the message says what happened and the way out."""
        if self._relay is not None and self._relay.topics.halted is not None:
            raise NotReady(self._relay.topics.halted)

    @contextlib.asynccontextmanager
    async def lifespan(self, _: FastAPI) -> AsyncIterator[None]:
        try:
            await self.start()
        except BaseException:
            await self.stop()  # what was opened before the failure
            raise
        try:
            with _tuned_garbage_collector():
                yield
        finally:
            await self.stop()


@contextlib.contextmanager
def _tuned_garbage_collector() -> Iterator[None]:
    """While the service runs, collect cycles less often than CPython's default (every
    700 net allocations), and leave out of every collection what lives as long as the
    service (modules, routes, models, pools): frozen after a full collection, so that no
    garbage is frozen with it. Afterwards, as before (tests run many apps in one process).

    Under B2's load the default ran 30 young-generation collections a second in the
    pokmas service, 1–10 ms each (requests in flight survive them and get promoted):
    about 6 % of its CPU, and pauses in every request's path. What a request allocates
    is freed by reference counting; the cycles left are few.
    """
    thresholds = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


async def _retry(what: str, start: Callable[[], Awaitable[T]]) -> T:
    """Start something the service cannot run without, waiting for it to come up; but a
    Kafka that refuses the service (its credentials, its TLS) stops it at once, saying
    which setting to check: it would refuse every retry just the same. So does any other
    error that is not an outage (a wrong database password, a missing database)."""
    for attempt in range(1, STARTUP_ATTEMPTS + 1):
        with connection_failures() as failures:
            try:
                return await start()
            except Exception as error:
                refused = first_refusal(failures)
                if refused is not None:
                    raise refused from error
                if not is_outage(error) or attempt == STARTUP_ATTEMPTS:
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
    read_models: OwnReadModels | None = None,
    projections: Sequence[Projection] = (),
    periodic_jobs: Sequence[PeriodicJob] = (),
    session_cookie: str | None = None,
    startup_checks: Sequence[Callable[[], None]] = (),
    data_migrations: Sequence[Callable[[ServiceRuntime], Awaitable[object]]] = (),
) -> FastAPI:
    """The service's ASGI app: shared conventions, its routers, its runtime's lifespan.

    Routes reach the runtime (pool, event store) through :func:`service_runtime`. A
    service with a web page names the cookie its sign-in sets (``session_cookie``).

    Logging is configured here, in the service's process once uvicorn has set up its
    own loggers (it builds the app after), so that every line is the service's. So is
    tracing, when an OTLP endpoint is configured.
    """
    configure_logging(settings.service_name)
    configure_tracing(settings.service_name)
    runtime = ServiceRuntime(
        settings,
        read_models=read_models,
        projections=projections,
        periodic_jobs=periodic_jobs,
        startup_checks=startup_checks,
        data_migrations=data_migrations,
    )
    app = create_service_app(
        title=title,
        version=API_VERSION,
        description=description,
        auth=AuthSettings(),
        bapas_provinces={office.code: office.province for office in bapas_offices()},
        readiness_checks={
            "database": runtime.check_database,
            "kafka": runtime.check_kafka,
            "projections": runtime.check_projections,
            "outbox": runtime.check_outbox,
        },
        lifespan=runtime.lifespan,
        session_cookie=session_cookie,
    )
    app.include_router(asyncapi_router(runtime.broker, title=title, version=API_VERSION))
    for router in routers:
        app.include_router(router)
    app.state.runtime = runtime
    instrument_app(app)
    return app


async def service_runtime(request: Request) -> ServiceRuntime:
    """FastAPI dependency: the runtime of the service that serves the request."""
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


Runtime = Annotated[ServiceRuntime, Depends(service_runtime)]
