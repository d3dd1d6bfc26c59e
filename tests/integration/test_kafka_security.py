"""The services work through an authenticated, encrypted Kafka listener as through the
plain one: a private cluster with a SASL_SSL listener, its own CA and a SCRAM user made
for this run. A wrong password or an untrusted certificate stops a service at once,
naming the setting to check, and a client without TLS gets nothing from the listener.
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI

from services.enrolment.app import create_app as create_enrolment_app
from services.pokmas.app import create_app as create_pokmas_app
from shared.kafka.connection import KafkaConnection, SaslMechanism, SecurityProtocol
from shared.kafka.failures import KafkaRefused
from shared.kafka.probe import KafkaUnavailable, describe_kafka, wait_for_kafka
from shared.kafka.topics import ENROLMENT_EVENTS, POKMAS_EVENTS, create_topics
from shared.stack.kafka import KafkaRunner, KafkaUser, SecureListener, client_environment
from shared.stack.services import environment_overrides
from tests.enrolment.helpers import Programme, enrol, release_client
from tests.pokmas.helpers import (
    BAPAS,
    OFFICER,
    open_programme,
    partner_with_mou,
    published_events,
    today,
)
from tests.support.databases import fresh_database
from tests.support.infrastructure import FAULT_KAFKA_PORT, Infrastructure, local_test_stack
from tests.support.service_app import running_service

SECURE_CLUSTER_PORT = FAULT_KAFKA_PORT + 80
"""Plain listener, controller, then the SASL_SSL listener: three ports from here."""
WAIT_SECONDS = 30


@pytest.fixture(scope="module")
def user() -> KafkaUser:
    return KafkaUser("bapas-services", secrets.token_urlsafe(24))


@pytest.fixture(scope="module")
def secure_kafka(user: KafkaUser) -> Iterator[KafkaRunner]:
    """A one-node cluster of this module's own with a SASL_SSL listener, the contract's
    topics created through that listener; wiped afterwards."""
    stack = local_test_stack(name="secure", kafka_port=SECURE_CLUSTER_PORT)
    secure_cluster = dataclasses.replace(stack.kafka.cluster, secure=SecureListener((user,)))
    runner = KafkaRunner(stack.paths, secure_cluster)
    runner.wipe()
    try:
        runner.start()
        asyncio.run(wait_for_kafka(runner.secure_connection(), timeout=90))
        asyncio.run(create_topics(runner.secure_connection()))
        yield runner
    finally:
        runner.wipe()
        shutil.rmtree(stack.paths.var, ignore_errors=True)


@asynccontextmanager
async def service_on_the_secure_listener(
    create_app: Callable[[], FastAPI], service: str, infra: Infrastructure, kafka: KafkaRunner
) -> AsyncIterator[httpx.AsyncClient]:
    """The service on a fresh database, its Kafka clients all on the secure listener."""
    async with (
        fresh_database(infra.database_admin_url, prefix=service) as database_url,
        running_service(
            create_app,
            service=service,
            database_url=database_url,
            kafka_bootstrap=kafka.cluster.secure_bootstrap_servers,
            extra_environment=client_environment(kafka.secure_connection()),
        ) as client,
    ):
        yield client


@pytest.fixture(scope="module")
async def pokmas(
    infra: Infrastructure, secure_kafka: KafkaRunner
) -> AsyncIterator[httpx.AsyncClient]:
    async with service_on_the_secure_listener(
        create_pokmas_app, "pokmas", infra, secure_kafka
    ) as client:
        yield client


@pytest.fixture(scope="module")
async def enrolment(
    infra: Infrastructure, secure_kafka: KafkaRunner
) -> AsyncIterator[httpx.AsyncClient]:
    async with service_on_the_secure_listener(
        create_enrolment_app, "enrolment", infra, secure_kafka
    ) as client:
        yield client


async def events_on(
    kafka: KafkaConnection, topic: str, aggregate_ids: set[UUID], count: int
) -> list[str]:
    """The types of the events of ``aggregate_ids`` on ``topic``, in order, read by a
    consumer on ``kafka`` (see :func:`published_events`)."""
    published = await published_events(kafka, aggregate_ids, count, topic=topic)
    return [event.event_type for _, event in published]


async def seats_taken(pokmas: httpx.AsyncClient, programme_id: UUID, count: int) -> int:
    """The programme's ``enrolled`` once it reaches ``count`` (bounded wait)."""
    async with asyncio.timeout(WAIT_SECONDS):
        while True:
            response = await pokmas.get(f"/api/v1/programmes/{programme_id}", headers=OFFICER)
            assert response.status_code == 200, response.text
            enrolled: int = response.json()["enrolled"]
            if enrolled >= count:
                return enrolled
            await asyncio.sleep(0.2)


async def test_a_programme_opened_in_pokmas_takes_an_enrolment_through_the_secure_listener(
    pokmas: httpx.AsyncClient, enrolment: httpx.AsyncClient
) -> None:
    pokmas_id, mou_id = await partner_with_mou(pokmas)
    starts_on, ends_on = today(), today() + timedelta(days=60)
    programme_id = await open_programme(
        pokmas,
        pokmas_id,
        mou_id,
        starts_on=starts_on.isoformat(),
        ends_on=ends_on.isoformat(),
        capacity=12,
        sessions_planned=16,
    )
    programme = Programme(BAPAS, pokmas_id, mou_id, programme_id, starts_on, ends_on, 12, 16)
    client_id = await release_client(enrolment)

    enrolled = await enrol(enrolment, client_id, programme)

    assert enrolled.status_code == 201, enrolled.text
    assert await seats_taken(pokmas, programme_id, 1) == 1


async def test_the_services_events_are_on_their_topics_for_a_client_of_the_secure_listener(
    pokmas: httpx.AsyncClient, enrolment: httpx.AsyncClient, secure_kafka: KafkaRunner
) -> None:
    pokmas_id, mou_id = await partner_with_mou(pokmas)
    client_id = await release_client(enrolment)

    kafka = secure_kafka.secure_connection()
    pokmas_events = await events_on(kafka, POKMAS_EVENTS, {pokmas_id, mou_id}, count=2)
    enrolment_events = await events_on(kafka, ENROLMENT_EVENTS, {client_id}, count=2)

    assert pokmas_events == ["PokmasRegistered", "MoUSigned"]
    assert enrolment_events == ["ClientReleased", "ReportingScheduled"]


@pytest.mark.parametrize("mechanism", list(SaslMechanism))
async def test_the_user_is_let_in_by_every_mechanism_the_listener_offers(
    secure_kafka: KafkaRunner, mechanism: SaslMechanism
) -> None:
    info = await describe_kafka(secure_kafka.secure_connection(mechanism=mechanism))

    assert info.brokers == 1


async def test_a_client_without_tls_gets_nothing_from_the_secure_listener(
    secure_kafka: KafkaRunner,
) -> None:
    without_tls = KafkaConnection(
        bootstrap_servers=secure_kafka.cluster.secure_bootstrap_servers,
        security_protocol=SecurityProtocol.PLAINTEXT,
    )

    with pytest.raises(KafkaUnavailable):
        await describe_kafka(without_tls, timeout=3.0)


@pytest.mark.parametrize(
    ("change", "complaint", "settings"),
    [
        (
            {"KAFKA_SASL_PASSWORD": "not-the-password"},
            "refused the credentials",
            "check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD",
        ),
        (
            {"KAFKA_SSL_CAFILE": ""},
            "presented a certificate this client cannot trust",
            "check KAFKA_SSL_CAFILE",
        ),
    ],
    ids=["wrong password", "CA not given"],
)
async def test_a_service_refused_by_kafka_stops_at_once_naming_the_setting(
    secure_kafka: KafkaRunner,
    user: KafkaUser,
    database_url: str,
    change: dict[str, str],
    complaint: str,
    settings: str,
) -> None:
    environment = {
        **client_environment(secure_kafka.secure_connection()),
        "POKMAS_DATABASE_URL": database_url,
        **change,
    }
    with environment_overrides(environment):
        app = create_pokmas_app()
    runtime = app.state.runtime

    try:
        with pytest.raises(KafkaRefused) as refused:
            await runtime.start()
    finally:
        await runtime.stop()

    message = str(refused.value)
    address = secure_kafka.cluster.secure_bootstrap_servers
    assert message.startswith(f"Kafka at {address} {complaint}"), message
    assert settings in message
    assert user.password not in message
    assert "not-the-password" not in message
