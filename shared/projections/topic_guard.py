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

from collections.abc import Mapping
from dataclasses import dataclass

import asyncpg
from aiokafka import TopicPartition

from shared.kafka.identity import TopicIdentity, first_change
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


TopicIds = Mapping[str, TopicIdentity]


def changed_topic(projection: str, recorded: TopicIds, now: TopicIds) -> TopicChanged | None:
    """The first topic whose identity now differs from the one recorded, and how."""
    change = first_change(recorded, now)
    return None if change is None else TopicChanged(projection, *change)


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
