"""Publishing the national workload to Kafka, as the services' own code would.

Each event is built and validated by the contract models (:mod:`bench.workload`), and
becomes the record the outbox relay publishes, on the workload's copy of its service's
topic (:data:`bench.stack.WORKLOAD_TOPIC_OF`): the value is the JSON the event store
writes (``model_dump_json``), the key the ``bapas_code``, the headers those of
:func:`shared.events.registry.kafka_headers`; the producer is configured as the relay's
(``acks="all"``, idempotent, ``linger_ms=5``, sends gathered before awaiting), with
larger batches: the idempotent producer keeps one request in flight per broker, and
aiokafka's default 16 KiB batches held this machine to 7,000 events/s.

Two million events take minutes to build, so a child process builds them while this
one sends them: on two cores, building and sending overlap.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from queue import Empty
from time import perf_counter

from aiokafka import AIOKafkaProducer

from bench.stack import WORKLOAD_TOPIC_OF
from bench.workload import NationalWorkload, WorkloadSize
from shared.events.envelope import Envelope, EventPayload
from shared.events.registry import kafka_headers
from shared.kafka.topics import TOPIC_OF_SERVICE

CHUNK = 5_000
Record = tuple[str, bytes, bytes, list[tuple[str, bytes]]]
"""(topic, key, value, headers)."""


@dataclass(frozen=True)
class Publication:
    events: int
    by_topic: dict[str, int]
    seconds: float

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds


def record_of(event: Envelope[EventPayload]) -> Record:
    """The Kafka record the relay publishes for ``event``, on the workload's topic."""
    return (
        WORKLOAD_TOPIC_OF[TOPIC_OF_SERVICE[event.source.value]],
        event.bapas_code.encode(),
        event.model_dump_json().encode(),
        kafka_headers(
            event_id=event.event_id,
            event_type=event.event_type,
            schema_version=event.schema_version,
        ),
    )


def _chunks(workload: NationalWorkload) -> Iterator[list[Record]]:
    chunk: list[Record] = []
    for events in (workload.pokmas_events(), workload.enrolment_events()):
        for event in events:
            chunk.append(record_of(event))
            if len(chunk) == CHUNK:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def _build(size: WorkloadSize, seed: int, queue: Queue[list[Record] | None]) -> None:
    """In the child process: build the workload's records and queue them in chunks."""
    for chunk in _chunks(NationalWorkload(size, seed=seed)):
        queue.put(chunk)
    queue.put(None)


def _next_chunk(queue: Queue[list[Record] | None], builder: BaseProcess) -> list[Record] | None:
    """The next chunk, or None at the end; fails if the builder died without finishing."""
    while True:
        try:
            return queue.get(timeout=1.0)
        except Empty:
            if not builder.is_alive():
                raise RuntimeError(
                    f"building the workload failed (exit code {builder.exitcode})"
                ) from None


async def publish_workload(bootstrap_servers: str, size: WorkloadSize, seed: int) -> Publication:
    """Build and publish the workload; returns once Kafka acknowledged every event."""
    context = multiprocessing.get_context("spawn")
    queue: Queue[list[Record] | None] = context.Queue(maxsize=8)
    builder = context.Process(target=_build, args=(size, seed, queue), daemon=True)
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        max_batch_size=1 << 20,
        client_id="bench-workload",
    )
    loop = asyncio.get_running_loop()
    by_topic: dict[str, int] = {}
    started = perf_counter()
    builder.start()
    await producer.start()
    try:
        pending: list[asyncio.Future[object]] = []
        while (chunk := await loop.run_in_executor(None, _next_chunk, queue, builder)) is not None:
            sent = [
                await producer.send(topic, key=key, value=value, headers=headers)
                for topic, key, value, headers in chunk
            ]
            for topic, *_ in chunk:
                by_topic[topic] = by_topic.get(topic, 0) + 1
            await asyncio.gather(*pending)
            pending = sent
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
        builder.join(timeout=10)
        if builder.is_alive():
            builder.kill()
    return Publication(
        events=sum(by_topic.values()), by_topic=by_topic, seconds=perf_counter() - started
    )
