"""Asks a Kafka cluster whether it answers, and what it is: readiness is a metadata
request that succeeds, never a sleep."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient

from shared.kafka.connection import KafkaConnection
from shared.outages import is_outage


@dataclass(frozen=True)
class KafkaClusterInfo:
    cluster_id: str
    brokers: int
    controller_id: int


async def describe_kafka(kafka: KafkaConnection, *, timeout: float = 5.0) -> KafkaClusterInfo:
    """One metadata request; raises ``KafkaUnavailable`` when nothing answers in time."""
    admin = AIOKafkaAdminClient(
        **kafka.client_options(),
        request_timeout_ms=int(timeout * 1000),
    )
    try:
        async with asyncio.timeout(timeout):
            await admin.start()
            cluster = await admin.describe_cluster()
    except Exception as error:
        if not is_outage(error):
            raise
        raise KafkaUnavailable(f"Kafka at {kafka.describe()} does not answer: {error!r}") from error
    finally:
        await admin.close()
    return KafkaClusterInfo(
        cluster_id=str(cluster["cluster_id"]),
        brokers=len(cluster["brokers"]),
        controller_id=int(cluster["controller_id"]),
    )


async def wait_for_kafka(
    kafka: KafkaConnection, *, brokers: int = 1, timeout: float = 60.0
) -> KafkaClusterInfo:
    """Poll until the cluster answers with at least ``brokers`` brokers."""
    # aiokafka logs every refused connection at ERROR; while waiting, they are expected.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            info = await describe_kafka(kafka, timeout=3.0)
        except KafkaUnavailable as error:
            last_error = error
        else:
            if info.brokers >= brokers:
                logging.getLogger("aiokafka").setLevel(logging.NOTSET)
                return info
            last_error = KafkaUnavailable(f"{info.brokers} of {brokers} brokers answer")
        await asyncio.sleep(0.3)
    raise KafkaUnavailable(
        f"Kafka at {kafka.describe()} not ready after {timeout:.0f}s: {last_error}"
    )


class KafkaUnavailable(RuntimeError):
    """The cluster did not answer a metadata request."""
