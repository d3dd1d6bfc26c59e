"""Finds the Kafka broker and PostgreSQL server the tests run against.

In order: the environment (``TEST_KAFKA_BOOTSTRAP_SERVERS`` and ``TEST_DATABASE_URL``,
an admin URL on a server where the tests may create databases); else testcontainers
when a Docker engine answers; else the local stack (Kafka from Maven jars, embedded
PostgreSQL) on its own ports and data folder, started for the test session and
stopped at its end. Nothing here skips: a missing broker or server fails the run.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from shared.stack.kafka import KafkaCluster, KafkaRunner
from shared.stack.local import LocalStack
from shared.stack.paths import StackPaths, repository_root
from shared.stack.postgres import PostgresServer

# Ports of the test session's own stack; another checkout's suite can move them.
TEST_KAFKA_PORT = int(os.environ.get("BAPAS_TEST_KAFKA_PORT", "19092"))
TEST_POSTGRES_PORT = int(os.environ.get("BAPAS_TEST_POSTGRES_PORT", "55433"))
FAULT_KAFKA_PORT = TEST_KAFKA_PORT + 200
"""Where fault tests start brokers of their own, to stop and kill them freely."""


@dataclass(frozen=True)
class Infrastructure:
    kafka_bootstrap_servers: str
    database_admin_url: str
    origin: str
    local_stack: LocalStack | None = None


def local_test_stack(
    name: str = "test", kafka_nodes: int = 1, kafka_port: int = TEST_KAFKA_PORT
) -> LocalStack:
    """A stack under ``var/<name>-<port>/``: suites on other ports never share files."""
    root = repository_root()
    paths = StackPaths(root=root, var=root / "var" / f"{name}-{kafka_port}")
    return LocalStack(
        paths=paths,
        kafka=KafkaRunner(paths, KafkaCluster(name=name, size=kafka_nodes, base_port=kafka_port)),
        postgres=PostgresServer(paths, port=TEST_POSTGRES_PORT),
    )


@contextmanager
def private_kafka(
    name: str, *, nodes: int = 1, port: int = FAULT_KAFKA_PORT
) -> Iterator[LocalStack]:
    """A Kafka of a fault test module's own, started empty and wiped afterwards, so that
    stopping or killing its brokers disturbs no other test."""
    stack = local_test_stack(name=name, kafka_nodes=nodes, kafka_port=port)
    stack.kafka.wipe()
    stack.kafka.start()
    asyncio.run(stack.wait_for_kafka())
    try:
        yield stack
    finally:
        stack.kafka.wipe()
        shutil.rmtree(stack.paths.var, ignore_errors=True)


def _docker_engine_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        result = subprocess.run(["docker", "info"], capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


@contextmanager
def _from_testcontainers() -> Iterator[Infrastructure]:
    from testcontainers.community.kafka import KafkaContainer
    from testcontainers.community.postgres import PostgresContainer

    with (
        KafkaContainer("confluentinc/cp-kafka:7.6.0").with_kraft() as kafka,
        PostgresContainer("postgres:16", username="postgres", password="postgres") as postgres,
    ):
        yield Infrastructure(
            kafka_bootstrap_servers=kafka.get_bootstrap_server(),
            database_admin_url=postgres.get_connection_url(driver=None),
            origin="testcontainers",
        )


@contextmanager
def _from_local_stack() -> Iterator[Infrastructure]:
    stack = local_test_stack()
    stack.kafka.wipe()
    stack.postgres.stop()
    shutil.rmtree(stack.paths.var, ignore_errors=True)
    try:
        stack.kafka.start()
        stack.postgres.start()
        asyncio.run(stack.wait_for_kafka())
        yield Infrastructure(
            kafka_bootstrap_servers=stack.bootstrap_servers,
            database_admin_url=stack.postgres.url(),
            origin="local stack",
            local_stack=stack,
        )
    finally:
        stack.kafka.stop()
        stack.postgres.stop()
        shutil.rmtree(stack.paths.var, ignore_errors=True)


@contextmanager
def infrastructure() -> Iterator[Infrastructure]:
    kafka = os.environ.get("TEST_KAFKA_BOOTSTRAP_SERVERS")
    database = os.environ.get("TEST_DATABASE_URL")
    if kafka and database:
        yield Infrastructure(kafka, database, origin="environment")
        return
    provider = _from_testcontainers if _docker_engine_answers() else _from_local_stack
    with provider() as found:
        yield found
