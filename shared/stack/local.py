"""The whole local stack as one thing: Kafka, PostgreSQL with the service databases,
and the event topics. Ports come from the environment so a second stack (the fault
tests' cluster, a developer's other checkout) can sit beside the first."""

from __future__ import annotations

import os
from dataclasses import dataclass

import asyncpg

from shared.kafka.connection import KafkaConnection
from shared.kafka.probe import KafkaClusterInfo, describe_kafka, wait_for_kafka
from shared.kafka.topics import TopicCreation, create_topics
from shared.stack.errors import StackError
from shared.stack.kafka import KAFKA_VERSION, KafkaRunner, development_cluster
from shared.stack.paths import StackPaths, default_paths
from shared.stack.postgres import PostgresServer


def port_setting(variable: str, default: int) -> int:
    """The port ``variable`` names in the environment, ``default`` when it is unset."""
    value = os.environ.get(variable)
    if value is None:
        return default
    if not value.strip().isdigit() or not 0 < int(value) < 65536:
        raise StackError(f"{variable}={value!r} is not a port (a number from 1 to 65535)")
    return int(value)


@dataclass(frozen=True)
class LocalStack:
    paths: StackPaths
    kafka: KafkaRunner
    postgres: PostgresServer

    @classmethod
    def from_environment(cls, kafka_nodes: int = 1) -> LocalStack:
        paths = default_paths()
        cluster = development_cluster(
            size=kafka_nodes,
            base_port=port_setting("BAPAS_KAFKA_PORT", 9092 if kafka_nodes == 1 else 9192),
        )
        return cls(
            paths=paths,
            kafka=KafkaRunner(paths, cluster),
            postgres=PostgresServer(paths, port=port_setting("BAPAS_POSTGRES_PORT", 55432)),
        )

    @property
    def bootstrap_servers(self) -> str:
        return self.kafka.cluster.bootstrap_servers

    @property
    def kafka_connection(self) -> KafkaConnection:
        """The stack's brokers, reached as the ``KAFKA_*`` security settings say."""
        return KafkaConnection.to(self.bootstrap_servers)

    def database_url(self, database: str) -> str:
        return self.postgres.url(database)

    async def wait_for_kafka(self, timeout: float = 90.0) -> KafkaClusterInfo:
        return await wait_for_kafka(
            self.kafka_connection, brokers=self.kafka.cluster.size, timeout=timeout
        )

    async def create_topics(self) -> list[TopicCreation]:
        return await create_topics(self.kafka_connection)

    async def status(self) -> StackStatus:
        kafka: str
        try:
            info = await describe_kafka(self.kafka_connection, timeout=3.0)
            kafka = (
                f"Apache Kafka {KAFKA_VERSION} at {self.bootstrap_servers}: "
                f"{info.brokers} broker(s), cluster {info.cluster_id}"
            )
        except Exception as error:
            kafka = f"not reachable at {self.bootstrap_servers} ({type(error).__name__})"
        try:
            connection = await asyncpg.connect(self.postgres.url(), timeout=3)
            try:
                version = await connection.fetchval("SHOW server_version")
            finally:
                await connection.close()
            postgres = f"PostgreSQL {version} at 127.0.0.1:{self.postgres.port}"
        except (TimeoutError, OSError, asyncpg.PostgresError) as error:
            postgres = f"not reachable at 127.0.0.1:{self.postgres.port} ({type(error).__name__})"
        return StackStatus(kafka=kafka, postgres=postgres)


@dataclass(frozen=True)
class StackStatus:
    kafka: str
    postgres: str
