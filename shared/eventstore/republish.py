"""Publishing a service's whole event store again, into a topic that lost its events.

The event store is the truth; the topic is its published copy. When the topic was
created anew or the cluster replaced (the relay notices and stops: see
:mod:`shared.eventstore.relay_topics`), the copy is made again: every stored event is
queued in the outbox anew, in the order the service recorded them (each aggregate's
events by version), and the topic's recorded identity is forgotten, so that the relay
records the new topic's and publishes. Consumers that had applied the old topic stop
too and are rebuilt from the new one; an event they meet twice is a duplicate to them.
"""

from __future__ import annotations

import asyncpg

from shared.eventstore.store import OUTBOX_CHANNEL

_REQUEUE = """
WITH dropped AS (
    DELETE FROM outbox
), queued AS (
    INSERT INTO outbox (topic, message_key, event_id, event_type, schema_version, value)
    SELECT $1, bapas_code, event_id, event_type, schema_version,
           convert_to(envelope::text, 'UTF8')
    FROM events ORDER BY recorded_at, aggregate_id, aggregate_version
    RETURNING 1
)
SELECT count(*) FROM queued
"""


async def republish_events(connection: asyncpg.Connection, topic: str) -> int:
    """Queue every stored event for ``topic`` again (the outbox's pending rows are among
    them) and forget the topic's identity; returns how many events were queued."""
    async with connection.transaction():
        queued: int = await connection.fetchval(_REQUEUE, topic)
        await connection.execute("DELETE FROM relay_topics WHERE topic = $1", topic)
        await connection.execute("SELECT pg_notify($1, '')", OUTBOX_CHANNEL)
    return queued
