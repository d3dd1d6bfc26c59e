"""A projection consumer process for the crash tests: ``python -m tests.support.projection_worker``.

It runs :class:`~tests.support.counting_projection.CountingProjection` in a real
:class:`~shared.projections.ProjectionConsumer` until SIGTERM (graceful stop) or
SIGKILL (the fault under test). With ``--announce``, each batch prints
``applying <count> <first event_id>`` on stdout *inside* its transaction, before the
projection's ``--batch-delay`` sleep, so the test knows when a kill lands mid-batch.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence

from shared.kafka.connection import KafkaConnection
from shared.projections import ProjectionConsumer
from tests.support.counting_projection import CountingProjection, Event


def _announce(events: Sequence[Event]) -> None:
    sys.stdout.write(f"applying {len(events)} {events[0].event_id}\n")
    sys.stdout.flush()


async def main(arguments: argparse.Namespace) -> None:
    projection = CountingProjection(
        arguments.name,
        arguments.topic,
        batch_delay=arguments.batch_delay,
        on_batch=_announce if arguments.announce else None,
    )
    consumer = ProjectionConsumer(
        projection,
        kafka=KafkaConnection.to(arguments.bootstrap),
        database_url=arguments.database_url,
        group_id=arguments.group,
        dead_letter_topic=arguments.dead_letter_topic,
        max_batch_size=arguments.max_batch_size,
        session_timeout_ms=arguments.session_timeout_ms,
        heartbeat_interval_ms=max(arguments.session_timeout_ms // 3, 100),
    )
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, consumer.request_stop)
    async with consumer:
        await consumer.run()


def parse_arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--topic", action="append", required=True)
    parser.add_argument("--dead-letter-topic", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--batch-delay", type=float, default=0.0)
    parser.add_argument("--max-batch-size", type=int, default=100)
    parser.add_argument("--session-timeout-ms", type=int, default=6_000)
    parser.add_argument("--announce", action="store_true")
    return parser.parse_args(argv)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    asyncio.run(main(parse_arguments()))
