"""Whether the topic the outbox relay publishes to is still the one it published to.

A topic deleted and created again, or a cluster restored or replaced, keeps the name
but none of the events published before. Publishing on as if nothing happened would
leave every consumer with a topic that starts half-way through the service's history.
So the relay records each topic's id (and the cluster's) when it first publishes to it,
compares them every ``check_interval`` seconds, and publishes nothing while they
differ: readiness and a metric say so, and an error log names the way out. The event
store holds every event, so the way out is to publish them all again into the topic
as it is now (``bapas outbox republish <service>``), or to restore the old topic.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from time import monotonic
from typing import Any

import asyncpg
from prometheus_client import Gauge

from shared.kafka.identity import TopicIdentity, first_change, topic_identities

log = logging.getLogger(__name__)

HALTED = Gauge(
    "bapas_outbox_halted",
    "1 while the relay publishes nothing because its topic is not the one it published to "
    "(created anew, or another cluster).",
    ["service", "topic"],
)


class RelayTopicGuard:
    """Checks the identity of the relay's topics; ``halted`` says why it must not publish."""

    def __init__(self, service: str, *, check_interval: float = 5.0) -> None:
        self.service = service
        self.check_interval = check_interval
        self.halted: str | None = None
        self._halted_topic: str | None = None
        self._checked_at: dict[str, float] = {}

    async def allows(
        self, connection: asyncpg.Connection, client: Any, topics: Iterable[str]
    ) -> bool:
        """Whether the relay may publish to ``topics`` now (checked when due)."""
        now = monotonic()
        due = {t for t in topics if now - self._checked_at.get(t, -1e9) >= self.check_interval}
        if not due:
            return self.halted is None
        found = await topic_identities(client, sorted(due))
        rows = await connection.fetch(
            "SELECT topic, cluster_id, topic_id FROM relay_topics WHERE topic = ANY($1::text[])",
            sorted(found),
        )
        recorded = {row["topic"]: TopicIdentity(row["cluster_id"], row["topic_id"]) for row in rows}
        if missing := due - set(found):
            # Deleted, perhaps being created anew: nothing is published until it is back
            # and its identity has been compared.
            log.warning("outbox relay of %s: no topic %s", self.service, ", ".join(missing))
            return False
        for topic in due:
            self._checked_at[topic] = now
        if (change := first_change(recorded, found)) is not None:
            self._halt(*change)
            return False
        for topic, identity in sorted(found.items()):
            if topic not in recorded:
                await connection.execute(
                    "INSERT INTO relay_topics (topic, cluster_id, topic_id) VALUES ($1, $2, $3)"
                    " ON CONFLICT DO NOTHING",
                    topic,
                    identity.cluster_id,
                    identity.topic_id,
                )
        if self._halted_topic in due:
            log.warning(
                "outbox relay of %s: topic %s is consistent again", self.service, self._halted_topic
            )
            HALTED.labels(self.service, self._halted_topic).set(0)
            self.halted = self._halted_topic = None
        return self.halted is None

    def _halt(self, topic: str, change: str) -> None:
        message = (
            f"the outbox relay of {self.service} stopped publishing to {topic}: {change}, "
            "without the events published before. Restore the topic, or publish the "
            f"service's events into it again: `bapas outbox republish {self.service}`"
        )
        if message != self.halted:
            log.error("%s", message)
        self.halted, self._halted_topic = message, topic
        HALTED.labels(self.service, topic).set(1)
