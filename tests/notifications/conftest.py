"""The notifications service under test: its real app (migrations, projection consumer,
delivery worker, reminders) against the session's Kafka, a database of its own, the
development SMTP server and an HTTP receiver for webhooks and the SMS gateway.

One service per test module (starting one costs seconds): the tests of a module share
it and each recognises its own messages by the ids of its own events.

The service runs with ``BAPAS_ENVIRONMENT=development`` (the local receivers are
``http`` on loopback, which only development allows) and resolves webhook hosts with
a :class:`StubResolver`: a name the test did not give it does not resolve, so no test
ever resolves a name outside the machine. Its projection reads in a consumer group of
its own: the Kafka of a development machine may have the stack's own notifications
service in the usual group, which would take half the partitions (and the test's
events with them).
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from services.notifications.app import create_app
from services.notifications.domain import Clock, system_clock
from services.notifications.targets import IPAddress
from shared.http import Role
from shared.postgres.urls import with_database
from tests.notifications.receivers import (
    HttpReceiver,
    Mailbox,
    eventually,
    http_receiver,
    mailbox,
)
from tests.notifications.world import EventPublisher, World, event_publisher
from tests.support.infrastructure import Infrastructure
from tests.support.service_app import bearer, running_service

SMS_PATH = "/sms"
SMS_KEY = "sms-gateway-test-key"
MAX_ATTEMPTS = 3
RECENT_EVENTS_ONLY = {"NOTIFICATIONS_MAX_EVENT_AGE_HOURS": "0.05"}
"""Announce only the last three minutes' events: the topics of a shared Kafka hold every
earlier test's events (and the stack's), which a new service would otherwise announce
anew, e-mail after e-mail, before it reached the events of its own tests."""
SUBSCRIBER_HOST = "subscriber.example"
"""A name the stub resolves to loopback: a well-formed https target nobody answers."""


class StubResolver:
    """Resolves only the names a test gave it; any other name does not resolve."""

    def __init__(self) -> None:
        self.answers: dict[str, list[IPAddress]] = {
            SUBSCRIBER_HOST: [ipaddress.ip_address("127.0.0.1")]
        }
        self.asked: list[str] = []

    def answer(self, host: str, *addresses: str) -> None:
        self.answers[host] = [ipaddress.ip_address(address) for address in addresses]

    async def __call__(self, host: str, port: int) -> list[IPAddress]:
        self.asked.append(host)
        if host not in self.answers:
            raise OSError(f"{host} is not a name of this test")
        return list(self.answers[host])


CATCH_UP_SECONDS = 180.0


@dataclass
class Notifications:
    """A running notifications service and everything around it."""

    clients: list[httpx.AsyncClient]
    mailbox: Mailbox
    http: HttpReceiver
    publisher: EventPublisher
    kafka_bootstrap: str
    database_url: str
    resolver: StubResolver

    @property
    def client(self) -> httpx.AsyncClient:
        return self.clients[0]

    async def history(self, **filters: Any) -> list[dict[str, Any]]:
        """The delivery history as the ministry sees it."""
        response = await self.client.get(
            "/api/v1/notifications",
            params={"limit": 500, **filters},
            headers=bearer(Role.MINISTRY),
        )
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    async def settled(self, cause_event_id: UUID, count: int) -> list[dict[str, Any]]:
        """The deliveries of a cause, once ``count`` of them are recorded and none is
        pending any more."""

        async def all_settled() -> list[dict[str, Any]]:
            found = await self.history(cause_event_id=str(cause_event_id))
            done = len(found) >= count and all(d["status"] != "pending" for d in found)
            return found if done else []

        return await eventually(all_settled)

    async def caught_up(self) -> None:
        """Once a klien released now is told, a new service has read the topics' history
        (every earlier test's events), which takes a while late in a run: each test then
        waits for its own events only."""
        world = World()
        released = await world.publish(self.publisher, world.client_released())
        await eventually(
            lambda: self.history(cause_event_id=str(released.event_id)), timeout=CATCH_UP_SECONDS
        )


@asynccontextmanager
async def own_database(infra: Infrastructure) -> AsyncIterator[str]:
    """A database for one module's service, dropped afterwards."""
    name = f"test_notifications_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(infra.database_admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield with_database(infra.database_admin_url, name)
    finally:
        admin = await asyncpg.connect(infra.database_admin_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


def isolated_app(*, clock: Clock, resolver: StubResolver, group: str) -> FastAPI:
    """The service's app, its projection renamed so that it reads in group ``group``."""
    app = create_app(clock=clock, resolver=resolver)
    for projection in app.state.runtime.projections:
        projection.name = group
    return app


@asynccontextmanager
async def running_notifications(
    infra: Infrastructure,
    kafka_bootstrap: str,
    mail_folder: Path,
    *,
    instances: int = 1,
    clock: Clock = system_clock,
    environment: dict[str, str] | None = None,
) -> AsyncIterator[Notifications]:
    """``instances`` instances of the service on one database, with fast retries."""
    async with AsyncExitStack() as stack:
        database_url = await stack.enter_async_context(own_database(infra))
        box = await stack.enter_async_context(mailbox(mail_folder))
        receiver = await stack.enter_async_context(http_receiver())
        publisher = await stack.enter_async_context(event_publisher(kafka_bootstrap))
        resolver = StubResolver()
        group = f"notifications.deliveries.test-{uuid.uuid4().hex[:12]}"
        settings = {
            "BAPAS_ENVIRONMENT": "development",
            "NOTIFICATIONS_SMTP_PORT": str(box.port),
            "NOTIFICATIONS_SMS_GATEWAY_URL": receiver.url(SMS_PATH),
            "NOTIFICATIONS_SMS_GATEWAY_KEY": SMS_KEY,
            "NOTIFICATIONS_DELIVERY_POLL_SECONDS": "0.05",
            "NOTIFICATIONS_RETRY_BASE_SECONDS": "0.05",
            "NOTIFICATIONS_RETRY_MAX_SECONDS": "0.2",
            "NOTIFICATIONS_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
            "NOTIFICATIONS_SMTP_TIMEOUT_SECONDS": "5",
            "NOTIFICATIONS_WEBHOOK_TIMEOUT_SECONDS": "5",
            "NOTIFICATIONS_DELIVERY_LEASE_SECONDS": "30",
            **(environment or {}),
        }
        clients = [
            await stack.enter_async_context(
                running_service(
                    lambda: isolated_app(clock=clock, resolver=resolver, group=group),
                    service="notifications",
                    database_url=database_url,
                    kafka_bootstrap=kafka_bootstrap,
                    extra_environment=settings,
                )
            )
            for _ in range(instances)
        ]
        yield Notifications(
            clients, box, receiver, publisher, kafka_bootstrap, database_url, resolver
        )


@pytest.fixture(scope="module")
async def notifications(
    infra: Infrastructure, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Notifications]:
    async with running_notifications(
        infra, kafka_bootstrap, tmp_path_factory.mktemp("mail"), environment=RECENT_EVENTS_ONLY
    ) as service:
        yield service
