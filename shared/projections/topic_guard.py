"""Whether the topics a projection reads are still the topics it applied.

Offsets mean something only within one topic. A topic deleted and created again, a
cluster restored from a backup or migrated to new brokers, or a partition truncated
(an unclean leader election) keeps the names but not the offsets: the offsets the
projection recorded may lie past the new end, or point into other events. Skipping
to them, or letting Kafka reset the position, would leave events unapplied without a
word. So a projection stops applying instead, and says which topic and why; the way
out is to rebuild it from the topics as they are now.

Three signs are checked: the topic's id or the cluster's id differs from the ones
recorded when the projection first read the topic; a recorded offset lies past the
partition's end; Kafka hands back messages below the position already applied (it
reset the position because the recorded one no longer exists).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg
from aiokafka import TopicPartition

from shared.kafka.connection import KafkaConnection
from shared.kafka.identity import topic_identities, topic_identities_through
from shared.projections.tracking import Partition, record_topic_ids, recorded_topic_ids


@dataclass(frozen=True)
class TopicChanged:
    """Why a projection stopped applying one of its topics."""

    projection: str
    topic: str
    reason: str

    @property
    def rebuild_command(self) -> str:
        service, _, name = self.projection.partition(".")
        return f"bapas projection rebuild {service} {name or service}"

    def __str__(self) -> str:
        return (
            f"projection {self.projection} stopped applying topic {self.topic}: {self.reason}. "
            "Its recorded offsets no longer mean the same events, so nothing more is applied "
            f"until it is rebuilt from the topic as it is now: `{self.rebuild_command}`"
        )


TopicIds = Mapping[str, tuple[str, UUID]]
"""(cluster id, topic id) by topic name."""


def changed_topic(projection: str, recorded: TopicIds, now: TopicIds) -> TopicChanged | None:
    """The first topic whose identity now differs from the one recorded, and why."""
    for topic in sorted(now):
        before = recorded.get(topic)
        if before is None or before == now[topic]:
            continue
        (cluster_before, id_before), (cluster_now, id_now) = before, now[topic]
        if cluster_before != cluster_now:
            reason = (
                f"it is on another Kafka cluster now (cluster id {cluster_before} when the "
                f"projection read it, {cluster_now} now: restored or migrated)"
            )
        else:
            reason = f"it was created anew (topic id {id_before} when read, {id_now} now)"
        return TopicChanged(projection, topic, reason)
    return None


async def current_topic_ids(kafka: KafkaConnection | Any, topics: Sequence[str]) -> TopicIds:
    """The identity of each of ``topics`` that exists, through a new admin client or a
    started client of aiokafka's."""
    if isinstance(kafka, KafkaConnection):
        found = await topic_identities(kafka, list(topics))
    else:
        found = await topic_identities_through(kafka, list(topics))
    return {topic: (identity.cluster_id, identity.topic_id) for topic, identity in found.items()}


async def check_topic_ids(
    connection: asyncpg.Connection, projection: str, now: TopicIds
) -> tuple[TopicChanged | None, TopicIds]:
    """Compare the topics' identities ``now`` with those recorded, recording those read
    for the first time; returns the first topic found changed (if any) and the
    identities recorded afterwards."""
    recorded = await recorded_topic_ids(connection, projection)
    changed = changed_topic(projection, recorded, now)
    if changed is not None:
        return changed, recorded
    new = {topic: ids for topic, ids in now.items() if topic not in recorded}
    await record_topic_ids(connection, projection, new)
    return None, {**recorded, **new}


def offsets_past_the_end(
    projection: str,
    recorded: Mapping[Partition, int],
    ends: Mapping[TopicPartition, int],
) -> TopicChanged | None:
    """The first partition whose recorded next offset lies past its end offset."""
    for tp in sorted(ends):
        offset = recorded.get((tp.topic, tp.partition))
        if offset is not None and offset > ends[tp]:
            return TopicChanged(
                projection,
                tp.topic,
                f"partition {tp.partition} ends at offset {ends[tp]}, but the projection "
                f"applied it up to offset {offset}",
            )
    return None


def offsets_gone_back(
    projection: str,
    first_offsets: Mapping[TopicPartition, int],
    positions: Mapping[TopicPartition, int],
) -> TopicChanged | None:
    """The first partition Kafka handed back from below the position already applied."""
    for tp, first in sorted(first_offsets.items()):
        position = positions.get(tp)
        if position is not None and first < position:
            return TopicChanged(
                projection,
                tp.topic,
                f"Kafka returned partition {tp.partition} from offset {first}, below offset "
                f"{position} already applied (the offset no longer exists on the topic)",
            )
    return None
