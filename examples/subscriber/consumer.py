"""The example subscriber's Kafka loop, with aiokafka directly, and its command line.

What matters for a subscriber of the platform's topics (``docs/subscribing.md``):

* **Its own consumer group** (``--group``): Kafka keeps the group's position, and no
  other team's consumer shares or disturbs it.
* **From the earliest offset**: aiokafka's default, ``latest``, would make a new group
  silently skip every event published before it started. Event topics are kept
  forever, so ``earliest`` reads the whole history.
* **Commit after handling**: auto-commit is off, and the offsets are committed after a
  batch is applied to the store. A crash before the commit re-delivers the batch, and
  the store's ``event_id`` check makes the second delivery change nothing.
* **Never stop the stream**: an event it does not know is skipped, a message it
  cannot read is reported and skipped.
* **The cluster as the platform names it**: ``KAFKA_BOOTSTRAP_SERVERS`` is a
  comma-separated list of brokers, and the same ``KAFKA_SECURITY_PROTOCOL``,
  ``KAFKA_SASL_MECHANISM``, ``KAFKA_SASL_USERNAME``, ``KAFKA_SASL_PASSWORD`` and
  ``KAFKA_SSL_CAFILE`` reach an authenticated, encrypted listener.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import ssl
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer

from examples.subscriber.reader import UnreadableMessage, read_event
from examples.subscriber.store import OutcomeStore

DEFAULT_TOPICS = ("enrolment.events.v1",)
DEFAULT_GROUP = "example.training-outcomes"


@dataclass
class Counts:
    """What the subscriber did with the messages it received."""

    handled: int = 0
    duplicates: int = 0
    skipped: int = 0
    unreadable: int = 0

    @property
    def received(self) -> int:
        return self.handled + self.duplicates + self.skipped + self.unreadable


def kafka_security(environment: Mapping[str, str]) -> dict[str, Any]:
    """aiokafka's security arguments from the ``KAFKA_*`` variables (none: PLAINTEXT)."""
    protocol = environment.get("KAFKA_SECURITY_PROTOCOL", "PLAINTEXT")
    options: dict[str, Any] = {"security_protocol": protocol}
    if protocol in ("SSL", "SASL_SSL"):
        options["ssl_context"] = ssl.create_default_context(
            cafile=environment.get("KAFKA_SSL_CAFILE") or None
        )
    if protocol.startswith("SASL_"):
        options["sasl_mechanism"] = environment.get("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
        options["sasl_plain_username"] = environment["KAFKA_SASL_USERNAME"]
        options["sasl_plain_password"] = environment["KAFKA_SASL_PASSWORD"]
    return options


class Subscriber:
    """Reads ``topics`` as consumer group ``group_id`` and applies what it knows to ``store``."""

    def __init__(
        self,
        *,
        bootstrap_servers: str,
        topics: Sequence[str],
        group_id: str,
        store: OutcomeStore,
        report: Callable[[str], None] = print,
        security: Mapping[str, Any] | None = None,
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.security = dict(security or {})
        self.topics = tuple(topics)
        self.group_id = group_id
        self.store = store
        self.report = report
        self.counts = Counts()

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop`` is set."""
        consumer = AIOKafkaConsumer(
            *self.topics,
            bootstrap_servers=self.bootstrap_servers.split(","),
            **self.security,
            group_id=self.group_id,
            client_id=self.group_id,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            while not stop.is_set():
                batches = await consumer.getmany(timeout_ms=500, max_records=500)
                for records in batches.values():
                    for record in records:
                        self.handle(record)
                if batches:
                    await consumer.commit()
        finally:
            await consumer.stop()

    def handle(self, record: Any) -> None:
        """Apply one Kafka record (aiokafka's ``ConsumerRecord``) to the store, at most once."""
        where = f"{record.topic}/{record.partition}@{record.offset}"
        try:
            event = read_event(record.value, record.headers or ())
        except UnreadableMessage as error:
            # A production subscriber would also copy it to a dead-letter topic of its own.
            self.counts.unreadable += 1
            self.report(f"{where} unreadable, skipped: {error}")
            return
        if event is None:
            self.counts.skipped += 1
            return
        if not self.store.apply(event):
            self.counts.duplicates += 1
            self.report(f"{where} {event.event_type} {event.event_id} already handled")
            return
        self.counts.handled += 1
        self.report(
            f"{where} {event.event_type} v{event.schema_version} "
            f"bapas={event.bapas_code} client={event.client_id}"
        )


def parse_arguments(arguments: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m examples.subscriber",
        description="Follow klien training outcomes from the Bapas platform's events.",
    )
    parser.add_argument(
        "--bootstrap-servers",
        default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
        help="Kafka bootstrap servers (default: $KAFKA_BOOTSTRAP_SERVERS or 127.0.0.1:9092)",
    )
    parser.add_argument(
        "--topic",
        dest="topics",
        action="append",
        help=f"a topic to follow; repeat for several (default: {', '.join(DEFAULT_TOPICS)})",
    )
    parser.add_argument("--group", default=DEFAULT_GROUP, help="this subscriber's consumer group")
    parser.add_argument(
        "--database",
        type=Path,
        default=Path("training-outcomes.sqlite"),
        help="the SQLite file of outcomes and handled event ids",
    )
    namespace = parser.parse_args(arguments)
    namespace.topics = namespace.topics or list(DEFAULT_TOPICS)
    return namespace


async def _run_until_signalled(subscriber: Subscriber) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)
    await subscriber.run(stop)


def main(arguments: Sequence[str] | None = None) -> None:
    options = parse_arguments(arguments)
    logging.basicConfig(level=logging.WARNING)
    store = OutcomeStore(options.database)
    subscriber = Subscriber(
        bootstrap_servers=options.bootstrap_servers,
        topics=options.topics,
        group_id=options.group,
        store=store,
        security=kafka_security(os.environ),
    )
    try:
        asyncio.run(_run_until_signalled(subscriber))
    finally:
        store.close()
        counts = subscriber.counts
        print(
            f"handled {counts.handled}, duplicates {counts.duplicates}, "
            f"skipped {counts.skipped}, unreadable {counts.unreadable}"
        )
