"""The benchmark's own stack: Kafka and PostgreSQL from :mod:`shared.stack`, on ports and
under a data folder of their own (``var/bench-<port>/``), so a benchmark never touches
the development stack (9092, 55432) or a test session's (19092, 55433).

It starts from nothing every time (a previous run's data is wiped) and is stopped and
wiped at the end, whatever happened in between.

The workload goes to topics of its own (:data:`WORKLOAD_TOPICS`), beside the contract's:
the projections measured on it (B1, B4) read them, and so does the insights service
while the services are measured, which finds them applied in its database (B7); the
other services read only the contract's topics, which hold nothing but the commands
the benchmark sends them, so they never catch up on two million events.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from shared.kafka.connection import KafkaConnection
from shared.kafka.topics import ENROLMENT_EVENTS, POKMAS_EVENTS, create_topics
from shared.stack.kafka import KAFKA_VERSION, KafkaCluster, KafkaRunner
from shared.stack.local import LocalStack
from shared.stack.paths import StackPaths, repository_root
from shared.stack.postgres import SERVICE_DATABASES, PostgresServer

# Below Linux's ephemeral range (32768-60999): a port in it can be held, for a minute,
# by the local end of any outgoing connection, and then the stack refuses to start.
DEFAULT_KAFKA_PORT = 29592
DEFAULT_POSTGRES_PORT = 29532
PROJECTION_DATABASE = "bench_projection"
"""Where B1 and B4 build the projection (the services' databases are left alone)."""
ROUND_TRIP_TOPIC = "bench.roundtrip"
"""One partition, for the produce→consume round trip (B3's ceiling)."""
WORKLOAD_TOPIC_OF = {
    POKMAS_EVENTS: "bench.pokmas.events.v1",
    ENROLMENT_EVENTS: "bench.enrolment.events.v1",
}
"""The workload's topic for each contract topic whose events it holds (same partitions,
same keys, same records)."""
WORKLOAD_TOPICS = tuple(WORKLOAD_TOPIC_OF.values())


@dataclass(frozen=True)
class BenchStack:
    stack: LocalStack

    @property
    def bootstrap_servers(self) -> str:
        return self.stack.bootstrap_servers

    def database_url(self, database: str) -> str:
        return self.stack.database_url(database)

    @property
    def paths(self) -> StackPaths:
        return self.stack.paths

    async def postgres_version(self) -> str:
        connection = await asyncpg.connect(self.database_url("postgres"))
        try:
            version: str = await connection.fetchval("SHOW server_version")
        finally:
            await connection.close()
        return version

    @property
    def kafka_version(self) -> str:
        return KAFKA_VERSION


def bench_stack(kafka_port: int, postgres_port: int) -> BenchStack:
    root = repository_root()
    paths = StackPaths(root=root, var=root / "var" / f"bench-{kafka_port}")
    return BenchStack(
        LocalStack(
            paths=paths,
            kafka=KafkaRunner(paths, KafkaCluster(name="bench", size=1, base_port=kafka_port)),
            postgres=PostgresServer(paths, port=postgres_port),
        )
    )


async def _prepare(bench: BenchStack) -> None:
    await bench.stack.wait_for_kafka()
    await bench.stack.postgres.create_databases((*SERVICE_DATABASES, PROJECTION_DATABASE))
    await create_topics(KafkaConnection.to(bench.bootstrap_servers))
    await create_topics(KafkaConnection.to(bench.bootstrap_servers), WORKLOAD_TOPICS)
    admin = AIOKafkaAdminClient(bootstrap_servers=bench.bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(name=ROUND_TRIP_TOPIC, num_partitions=1, replication_factor=1)]
        )
    except TopicAlreadyExistsError:
        pass
    finally:
        await admin.close()


def _wipe(bench: BenchStack) -> None:
    bench.stack.kafka.wipe()
    bench.stack.postgres.stop()
    shutil.rmtree(bench.paths.var, ignore_errors=True)


@asynccontextmanager
async def running_bench_stack(kafka_port: int, postgres_port: int) -> AsyncIterator[BenchStack]:
    """A fresh stack with the service databases, B1's database and the topics."""
    bench = bench_stack(kafka_port, postgres_port)
    _wipe(bench)
    try:
        bench.stack.kafka.start()
        bench.stack.postgres.start()
        await _prepare(bench)
        yield bench
    finally:
        _wipe(bench)
