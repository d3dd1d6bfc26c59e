"""The example subscriber's command line: which cluster, topics, group and database.

``KAFKA_BOOTSTRAP_SERVERS`` is a comma-separated list of brokers, as the platform names
its cluster, and the ``KAFKA_*`` security variables reach an authenticated, encrypted
listener (:mod:`examples.subscriber.security`). It runs until Ctrl-C (or SIGTERM), then
prints what it did.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
from collections.abc import Sequence
from pathlib import Path

from examples.subscriber.consumer import Counts, Subscriber
from examples.subscriber.security import kafka_security
from examples.subscriber.store import OutcomeStore

DEFAULT_TOPICS = ("enrolment.events.v1",)
DEFAULT_GROUP = "example.training-outcomes"


def parse_arguments(arguments: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m examples.subscriber",
        description="Follow klien training outcomes from the Bapas platform's events.",
    )
    parser.add_argument(
        "--bootstrap-servers",
        default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
        help="Kafka bootstrap servers, comma-separated "
        "(default: $KAFKA_BOOTSTRAP_SERVERS or 127.0.0.1:9092)",
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


async def _run_until_signalled(options: argparse.Namespace, store: OutcomeStore) -> Counts:
    subscriber = Subscriber(
        bootstrap_servers=[s.strip() for s in options.bootstrap_servers.split(",") if s.strip()],
        topics=options.topics,
        group_id=options.group,
        store=store,
        security=kafka_security(os.environ),
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)
    await subscriber.run(stop)
    return subscriber.counts


def main(arguments: Sequence[str] | None = None) -> None:
    options = parse_arguments(arguments)
    logging.basicConfig(level=logging.WARNING)
    store = OutcomeStore(options.database)
    try:
        counts = asyncio.run(_run_until_signalled(options, store))
    finally:
        store.close()
    print(
        f"handled {counts.handled}, duplicates {counts.duplicates}, "
        f"skipped {counts.skipped}, unreadable {counts.unreadable}"
    )
