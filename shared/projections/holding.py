"""The SQL of what a projection holds back across a klien's transfer
(``projection_held_events``, ``projection_departures``).

The rules are in :mod:`shared.projections.transfers`; this module keeps their state
where the projection's offsets are, in the batch's transaction: a message held is past
the offsets recorded with it, so these rows are the only copy the projection keeps of
it. A held message is stored as it was read, and read back as a :class:`HeldMessage`,
which the consumer parses, applies or dead-letters like any message it fetched.

Most batches touch none of it. Whether the projection holds anything is asked in the
statement that reads the batch's versions (:func:`recorded_versions_and_holding`), which
every batch with events makes after the locks that order it with the batches of its
partitions: no round trip is added, and the answer is that of the last batch committed
(one remembered in memory would miss another instance's batches, and a rebuild). Only a
batch with a transfer, or of a projection holding something, takes the holding lock
(:func:`shared.projections.tracking.take_holding_lock`), then reads the held events, the
departures and the versions after it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from uuid import UUID

import asyncpg

from shared.projections.transfers import Departure, HeldEvent


@dataclass(frozen=True, slots=True)
class HeldMessage:
    """A message read back from the held events: the fields of a consumed record."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]]


async def recorded_versions_and_holding(
    connection: asyncpg.Connection, projection: str, aggregate_ids: Iterable[UUID]
) -> tuple[dict[UUID, int], bool]:
    """The last version applied of each of ``aggregate_ids`` that has one, and whether
    the projection holds any event back, in one statement.

    The second part of the union yields one row without an aggregate when something is
    held.
    """
    rows = await connection.fetch(
        "SELECT aggregate_id, aggregate_version FROM projection_versions"
        " WHERE projection = $1 AND aggregate_id = ANY($2::uuid[])"
        " UNION ALL SELECT NULL, NULL"
        " WHERE EXISTS (SELECT FROM projection_held_events WHERE projection = $1)",
        projection,
        list(set(aggregate_ids)),
    )
    versions = {row[0]: row[1] for row in rows if row[0] is not None}
    return versions, len(versions) < len(rows)


@dataclass(frozen=True, slots=True)
class StoredHold:
    """A held message as stored: the message, its event's id and the queue it waits in
    (the klien and the office)."""

    message: HeldMessage
    event_id: UUID
    client_id: UUID
    bapas_code: str


async def held_messages(connection: asyncpg.Connection, projection: str) -> list[StoredHold]:
    """Every message the projection holds, in the order it came (read under the holding
    lock)."""
    rows = await connection.fetch(
        'SELECT event_id, client_id, bapas_code, topic, partition, "offset", message_key, value,'
        " header_names, header_values FROM projection_held_events WHERE projection = $1"
        " ORDER BY held_order",
        projection,
    )
    return [
        StoredHold(
            HeldMessage(
                row["topic"],
                row["partition"],
                row["offset"],
                row["message_key"],
                row["value"],
                list(zip(row["header_names"], row["header_values"], strict=True)),
            ),
            row["event_id"],
            row["client_id"],
            row["bapas_code"],
        )
        for row in rows
    ]


async def hold_events(
    connection: asyncpg.Connection, projection: str, held: Sequence[HeldEvent]
) -> None:
    """Keep the messages of ``held``, in their order; a message held already stays as it
    is. One pipelined statement per message: each has headers of its own, and holding
    is rare."""
    if not held:
        return
    rows = []
    for h in held:
        message = h.parsed.message
        headers = list(message.headers or ())
        rows.append(
            (
                projection,
                h.parsed.event.event_id,
                h.client_id,
                h.bapas_code,
                message.topic,
                message.partition,
                message.offset,
                message.key,
                message.value,
                [name for name, _ in headers],
                [value for _, value in headers],
            )
        )
    await connection.executemany(
        "INSERT INTO projection_held_events (projection, event_id, client_id, bapas_code,"
        ' topic, partition, "offset", message_key, value, header_names, header_values)'
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING",
        rows,
    )


async def release_events(
    connection: asyncpg.Connection, projection: str, event_ids: Collection[UUID]
) -> None:
    """Forget the held messages of ``event_ids`` (applied now, duplicates, or no longer
    events the projection reads)."""
    if not event_ids:
        return
    await connection.execute(
        "DELETE FROM projection_held_events WHERE projection = $1 AND event_id = ANY($2::uuid[])",
        projection,
        list(event_ids),
    )


async def recorded_departures(
    connection: asyncpg.Connection, projection: str, client_ids: Collection[UUID]
) -> set[Departure]:
    """The departures applied of each of ``client_ids``."""
    if not client_ids:
        return set()
    rows = await connection.fetch(
        "SELECT client_id, aggregate_version FROM projection_departures"
        " WHERE projection = $1 AND client_id = ANY($2::uuid[])",
        projection,
        list(client_ids),
    )
    return {(row["client_id"], row["aggregate_version"]) for row in rows}


async def record_departures(
    connection: asyncpg.Connection, projection: str, departures: Collection[Departure]
) -> None:
    """Remember the ClientTransferredOut events applied in this batch."""
    if not departures:
        return
    await connection.execute(
        "INSERT INTO projection_departures (projection, client_id, aggregate_version)"
        " SELECT $1, client_id, aggregate_version"
        " FROM unnest($2::uuid[], $3::integer[]) AS n(client_id, aggregate_version)"
        " ON CONFLICT DO NOTHING",
        projection,
        [client_id for client_id, _ in departures],
        [version for _, version in departures],
    )
