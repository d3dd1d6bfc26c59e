"""Fault test (the quality bars): a projection consumer killed with SIGKILL in the middle of
a batch, then restarted, ends with every event applied exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from collections import Counter
from pathlib import Path

import asyncpg

from shared.stack.paths import repository_root
from tests.conftest import create_topic
from tests.support.counting_projection import (
    CountingProjection,
    expected_counts,
    prepare_database,
    publish_events,
    sample_events,
)

EVENTS = 3_000
BATCHES_BEFORE_THE_KILL = 5


async def _start_worker(
    *, log: Path, announce: bool, batch_delay: float, arguments: list[str]
) -> asyncio.subprocess.Process:
    environment = {**os.environ, "PYTHONPATH": str(repository_root())}
    with log.open("ab") as stderr:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.support.projection_worker",
            *arguments,
            "--batch-delay",
            str(batch_delay),
            *(["--announce"] if announce else []),
            cwd=repository_root(),
            env=environment,
            stdout=asyncio.subprocess.PIPE if announce else asyncio.subprocess.DEVNULL,
            stderr=stderr,
        )


async def _next_offsets(database_url: str, projection: str) -> int:
    connection = await asyncpg.connect(database_url)
    try:
        total: int = await connection.fetchval(
            "SELECT coalesce(sum(next_offset), 0) FROM projection_offsets WHERE projection = $1",
            projection,
        )
    finally:
        await connection.close()
    return total


async def test_a_consumer_killed_mid_batch_and_restarted_applies_every_event_exactly_once(
    kafka_bootstrap: str, database_url: str, tmp_path: Path
) -> None:
    topic = await create_topic(kafka_bootstrap, partitions=6)
    dead_letters = await create_topic(kafka_bootstrap, partitions=1, prefix="deadletter")
    projection = CountingProjection("counting", (topic,))
    await prepare_database(database_url, projection)
    events = sample_events(EVENTS)
    await publish_events(kafka_bootstrap, topic, events)
    arguments = [
        *("--bootstrap", kafka_bootstrap, "--database-url", database_url, "--topic", topic),
        *("--dead-letter-topic", dead_letters, "--name", projection.name),
        *("--group", f"crash-{uuid.uuid4().hex[:8]}", "--max-batch-size", "100"),
    ]
    log = tmp_path / "worker.log"

    # Each batch sleeps 0.5 s inside its transaction, after announcing itself: killing
    # right after an announcement lands in the middle of that batch.
    worker = await _start_worker(log=log, announce=True, batch_delay=0.5, arguments=arguments)
    try:
        assert worker.stdout is not None
        announcements: list[str] = []
        async with asyncio.timeout(60):
            while len(announcements) < BATCHES_BEFORE_THE_KILL:
                line = await worker.stdout.readline()
                assert line, f"the worker ended early; see {log}:\n{log.read_text()[-3000:]}"
                announcements.append(line.decode())
        worker.send_signal(signal.SIGKILL)
        assert await asyncio.wait_for(worker.wait(), 30) == -signal.SIGKILL
    finally:
        if worker.returncode is None:
            worker.kill()
            await worker.wait()

    connection = await asyncpg.connect(database_url)
    try:
        applied_before_restart = await projection.applied_event_ids(connection)
    finally:
        await connection.close()
    in_flight = uuid.UUID(announcements[-1].split()[2])
    assert in_flight not in applied_before_restart, "the batch in flight must have rolled back"
    assert 0 < len(applied_before_restart) < EVENTS

    restarted = await _start_worker(log=log, announce=False, batch_delay=0.0, arguments=arguments)
    try:
        async with asyncio.timeout(90):
            while await _next_offsets(database_url, projection.name) < EVENTS:
                assert restarted.returncode is None, f"the worker died; see {log}"
                await asyncio.sleep(0.1)
        restarted.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(restarted.wait(), 30) == 0, "a SIGTERM stops it cleanly"
    finally:
        if restarted.returncode is None:
            restarted.kill()
            await restarted.wait()

    connection = await asyncpg.connect(database_url)
    try:
        applied = await projection.applied_event_ids(connection)
        counts = await projection.counts(connection)
    finally:
        await connection.close()
    doubled = [event_id for event_id, n in Counter(applied).items() if n > 1]
    assert doubled == [], "no event applied twice"
    assert set(applied) == {event.event_id for event in events}, "no event lost"
    assert counts == expected_counts(events)
