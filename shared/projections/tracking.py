"""The SQL of a projection's tracking records (``projection_offsets``, ``projection_versions``).

This is what makes a projection exactly-once in effect (the event contract, delivery
guarantees): the next offset per partition and the last version per aggregate are
written in the same transaction as the projection's changes, so Postgres, not Kafka,
knows what has been applied. Following eventsourcing's tracking records, a stale
position makes the work a no-op: rows are locked (``FOR UPDATE``) and re-read inside
the transaction, so a second instance holding the same partitions during a rebalance
waits and then skips what the first one applied.

Every function takes whole batches and issues one statement for them: a statement
per event would make Postgres round trips the projection's ceiling (as measured on this
hardware).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from uuid import UUID

import asyncpg

from shared.kafka.identity import TopicIdentity

Partition = tuple[str, int]
"""(topic, partition)."""

_LOCK_NAMESPACE = b"bapas.projection:"
_HOLDING_LOCK_NAMESPACE = b"bapas.projection.holding:"


def _lock_key(namespace: bytes, projection: str) -> int:
    """A stable signed 64-bit number derived from the name (Python's ``hash`` is salted
    per process, so it cannot be used)."""
    digest = hashlib.blake2b(namespace + projection.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def advisory_lock_key(projection: str) -> int:
    """The PostgreSQL advisory lock that serialises a projection's batches and rebuilds."""
    return _lock_key(_LOCK_NAMESPACE, projection)


async def take_shared_batch_lock(connection: asyncpg.Connection, projection: str) -> None:
    """Inside a batch transaction: wait while a rebuild of the projection holds the lock."""
    await connection.execute(
        "SELECT pg_advisory_xact_lock_shared($1)", advisory_lock_key(projection)
    )


async def take_exclusive_rebuild_lock(connection: asyncpg.Connection, projection: str) -> None:
    """For a session: wait for batches in flight, then keep new ones waiting until released."""
    await connection.execute("SELECT pg_advisory_lock($1)", advisory_lock_key(projection))


async def release_exclusive_rebuild_lock(connection: asyncpg.Connection, projection: str) -> None:
    await connection.execute("SELECT pg_advisory_unlock($1)", advisory_lock_key(projection))


async def take_holding_lock(connection: asyncpg.Connection, projection: str) -> None:
    """Inside a batch transaction: wait for any other batch of the projection that reads
    or changes the events it holds back (:mod:`shared.projections.holding`), until the
    transaction ends. Instances holding different partitions apply batches side by side;
    the events held are shared, so the batches that touch them take turns."""
    await connection.execute(
        "SELECT pg_advisory_xact_lock($1)", _lock_key(_HOLDING_LOCK_NAMESPACE, projection)
    )


def _columns(partitions: Iterable[Partition]) -> tuple[list[str], list[int]]:
    ordered = sorted(set(partitions))
    return [topic for topic, _ in ordered], [partition for _, partition in ordered]


async def recorded_offsets(
    connection: asyncpg.Connection, projection: str, topics: Iterable[str]
) -> dict[Partition, int]:
    """The next offset to apply of every partition of ``topics`` the projection has a row for.

    Read without a lock: used to seek on assignment, and re-checked by
    :func:`lock_offsets` before anything is applied.
    """
    rows = await connection.fetch(
        "SELECT topic, partition, next_offset FROM projection_offsets"
        " WHERE projection = $1 AND topic = ANY($2::text[])",
        projection,
        list(topics),
    )
    return {(row["topic"], row["partition"]): row["next_offset"] for row in rows}


async def lock_offsets(
    connection: asyncpg.Connection, projection: str, partitions: Iterable[Partition]
) -> dict[Partition, int]:
    """Lock the tracking rows of ``partitions`` until the transaction ends; their next offsets.

    Missing rows are inserted first (next offset 0), so that there is always a row to
    lock: two instances starting a new projection cannot both apply its first batch.
    Rows are locked in (topic, partition) order, so two instances cannot deadlock.
    """
    topics, numbers = _columns(partitions)
    select = (
        "SELECT o.topic, o.partition, o.next_offset FROM projection_offsets AS o"
        " JOIN unnest($2::text[], $3::integer[]) AS wanted(topic, partition)"
        " ON o.topic = wanted.topic AND o.partition = wanted.partition"
        " WHERE o.projection = $1 ORDER BY o.topic, o.partition FOR UPDATE OF o"
    )
    rows = await connection.fetch(select, projection, topics, numbers)
    if len(rows) < len(topics):
        await connection.execute(
            "INSERT INTO projection_offsets (projection, topic, partition, next_offset)"
            " SELECT $1, topic, partition, 0 FROM unnest($2::text[], $3::integer[])"
            " AS wanted(topic, partition) ON CONFLICT DO NOTHING",
            projection,
            topics,
            numbers,
        )
        rows = await connection.fetch(select, projection, topics, numbers)
    return {(row["topic"], row["partition"]): row["next_offset"] for row in rows}


async def record_offsets(
    connection: asyncpg.Connection, projection: str, next_offsets: Mapping[Partition, int]
) -> None:
    """Store the next offset to apply of each partition (rows locked by :func:`lock_offsets`)."""
    if not next_offsets:
        return
    ordered = sorted(next_offsets.items())
    await connection.execute(
        "UPDATE projection_offsets AS o SET next_offset = n.next_offset"
        " FROM unnest($2::text[], $3::integer[], $4::bigint[]) AS n(topic, partition, next_offset)"
        " WHERE o.projection = $1 AND o.topic = n.topic AND o.partition = n.partition",
        projection,
        [topic for (topic, _), _ in ordered],
        [partition for (_, partition), _ in ordered],
        [offset for _, offset in ordered],
    )


async def recorded_versions(
    connection: asyncpg.Connection, projection: str, aggregate_ids: Iterable[UUID]
) -> dict[UUID, int]:
    """The last version applied of each of ``aggregate_ids`` that has one."""
    wanted = list(set(aggregate_ids))
    if not wanted:
        return {}
    rows = await connection.fetch(
        "SELECT aggregate_id, aggregate_version FROM projection_versions"
        " WHERE projection = $1 AND aggregate_id = ANY($2::uuid[])",
        projection,
        wanted,
    )
    return {row["aggregate_id"]: row["aggregate_version"] for row in rows}


async def record_versions(
    connection: asyncpg.Connection, projection: str, versions: Mapping[UUID, int]
) -> None:
    """Store the last version applied per aggregate, in one statement for the batch.

    ``GREATEST`` keeps the higher version if a row was written concurrently (events of
    one aggregate share a key, hence a partition, so this is a second line of defence).
    """
    if not versions:
        return
    await connection.execute(
        "INSERT INTO projection_versions (projection, aggregate_id, aggregate_version)"
        " SELECT $1, aggregate_id, aggregate_version"
        " FROM unnest($2::uuid[], $3::integer[]) AS n(aggregate_id, aggregate_version)"
        " ON CONFLICT (projection, aggregate_id) DO UPDATE SET aggregate_version ="
        " GREATEST(projection_versions.aggregate_version, EXCLUDED.aggregate_version)",
        projection,
        list(versions),
        list(versions.values()),
    )


async def forget_projection(connection: asyncpg.Connection, projection: str) -> None:
    """Delete everything the projection recorded: it will start from the beginning, on
    the topics as they are now."""
    for table in (
        "projection_offsets",
        "projection_versions",
        "projection_topics",
        "projection_dead_letters",
        "projection_held_events",
        "projection_departures",
    ):
        await connection.execute(f"DELETE FROM {table} WHERE projection = $1", projection)


async def recorded_topic_ids(
    connection: asyncpg.Connection, projection: str
) -> dict[str, TopicIdentity]:
    """The identity recorded of each topic the projection has read."""
    rows = await connection.fetch(
        "SELECT topic, cluster_id, topic_id FROM projection_topics WHERE projection = $1",
        projection,
    )
    return {row["topic"]: TopicIdentity(row["cluster_id"], row["topic_id"]) for row in rows}


async def record_topic_ids(
    connection: asyncpg.Connection, projection: str, ids: Mapping[str, TopicIdentity]
) -> None:
    """Remember the identity of topics read for the first time (never overwrites one)."""
    if not ids:
        return
    await connection.execute(
        "INSERT INTO projection_topics (projection, topic, cluster_id, topic_id)"
        " SELECT $1, topic, cluster_id, topic_id"
        " FROM unnest($2::text[], $3::text[], $4::uuid[]) AS n(topic, cluster_id, topic_id)"
        " ON CONFLICT DO NOTHING",
        projection,
        list(ids),
        [identity.cluster_id for identity in ids.values()],
        [identity.topic_id for identity in ids.values()],
    )


DeadLetterOrigin = tuple[str, int, int]
"""(topic, partition, offset) where a dead-lettered message was read."""


async def record_dead_letters(
    connection: asyncpg.Connection,
    projection: str,
    letters: Iterable[tuple[DeadLetterOrigin, UUID | None, str]],
) -> None:
    """Remember the messages the projection sent to the dead letters in this batch."""
    rows = list(letters)
    if not rows:
        return
    await connection.execute(
        'INSERT INTO projection_dead_letters (projection, topic, partition, "offset",'
        " event_id, reason)"
        " SELECT $1, topic, partition, position, event_id, reason FROM unnest("
        "$2::text[], $3::integer[], $4::bigint[], $5::uuid[], $6::text[])"
        " AS n(topic, partition, position, event_id, reason) ON CONFLICT DO NOTHING",
        projection,
        [origin[0] for origin, _, _ in rows],
        [origin[1] for origin, _, _ in rows],
        [origin[2] for origin, _, _ in rows],
        [event_id for _, event_id, _ in rows],
        [reason for _, _, reason in rows],
    )


async def claim_dead_letters(
    connection: asyncpg.Connection, projection: str, origins: Iterable[DeadLetterOrigin]
) -> set[DeadLetterOrigin]:
    """Delete the dead letters of ``origins`` still recorded; returns those found. A
    replay whose dead letter is claimed is applied; one already claimed is a duplicate."""
    wanted = sorted(set(origins))
    if not wanted:
        return set()
    rows = await connection.fetch(
        "DELETE FROM projection_dead_letters AS d"
        " USING unnest($2::text[], $3::integer[], $4::bigint[]) AS n(topic, partition, position)"
        " WHERE d.projection = $1 AND d.topic = n.topic AND d.partition = n.partition"
        ' AND d."offset" = n.position RETURNING d.topic, d.partition, d."offset"',
        projection,
        [topic for topic, _, _ in wanted],
        [partition for _, partition, _ in wanted],
        [offset for _, _, offset in wanted],
    )
    return {(row["topic"], row["partition"], row["offset"]) for row in rows}
