"""Which topic a name means today: its topic id, and the cluster's id.

A topic deleted and created again under the same name, or a cluster restored or
migrated, keeps the names and partitions but starts its offsets anew. A projection
that only remembered offsets would skip the new topic's first events as "already
applied" without a word. Kafka gives every topic a random id when it is created
(and every cluster one when it is formatted); a client that remembers them can tell.

aiokafka asks for metadata in a version older than topic ids (version 5), so this
module sends the Metadata request of version 10, the first to carry them, built from
aiokafka's own protocol types. Version 10 is a "flexible" version: compact strings and
arrays, and tagged fields after each structure.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import Any, ClassVar

from aiokafka.errors import for_code
from aiokafka.protocol.api import Request, RequestStruct, Response
from aiokafka.protocol.types import (
    AbstractType,
    Boolean,
    CompactArray,
    CompactString,
    Int16,
    Int32,
    Schema,
    TaggedFields,
)

METADATA_API_KEY = 3
UNKNOWN_TOPIC_OR_PARTITION = 3


class _Uuid(AbstractType[uuid.UUID]):  # type: ignore[misc]
    """Kafka's UUID: 16 bytes, most significant first."""

    @classmethod
    def encode(cls, value: uuid.UUID | None) -> bytes:
        return (value or uuid.UUID(int=0)).bytes

    @classmethod
    def decode(cls, data: BytesIO) -> uuid.UUID:
        raw = data.read(16)
        if len(raw) != 16:
            raise ValueError("Buffer underrun decoding a UUID")
        return uuid.UUID(bytes=raw)


class _MetadataResponse_v10(Response):  # type: ignore[misc]
    API_KEY = METADATA_API_KEY
    API_VERSION = 10
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        (
            "brokers",
            CompactArray(
                ("node_id", Int32),
                ("host", CompactString("utf-8")),
                ("port", Int32),
                ("rack", CompactString("utf-8")),
                ("tags", TaggedFields),
            ),
        ),
        ("cluster_id", CompactString("utf-8")),
        ("controller_id", Int32),
        (
            "topics",
            CompactArray(
                ("error_code", Int16),
                ("name", CompactString("utf-8")),
                ("topic_id", _Uuid),
                ("is_internal", Boolean),
                (
                    "partitions",
                    CompactArray(
                        ("error_code", Int16),
                        ("partition_index", Int32),
                        ("leader_id", Int32),
                        ("leader_epoch", Int32),
                        ("replica_nodes", CompactArray(Int32)),
                        ("isr_nodes", CompactArray(Int32)),
                        ("offline_replicas", CompactArray(Int32)),
                        ("tags", TaggedFields),
                    ),
                ),
                ("topic_authorized_operations", Int32),
                ("tags", TaggedFields),
            ),
        ),
        ("cluster_authorized_operations", Int32),
        ("tags", TaggedFields),
    )


class _MetadataRequest_v10(RequestStruct):  # type: ignore[misc]
    FLEXIBLE_VERSION: ClassVar[bool] = True
    API_KEY = METADATA_API_KEY
    API_VERSION = 10
    RESPONSE_TYPE = _MetadataResponse_v10
    SCHEMA = Schema(
        (
            "topics",
            CompactArray(
                ("topic_id", _Uuid),
                ("name", CompactString("utf-8")),
                ("tags", TaggedFields),
            ),
        ),
        ("allow_auto_topic_creation", Boolean),
        ("include_cluster_authorized_operations", Boolean),
        ("include_topic_authorized_operations", Boolean),
        ("tags", TaggedFields),
    )


class _TopicIdsRequest(Request[_MetadataRequest_v10]):  # type: ignore[misc]
    API_KEY = METADATA_API_KEY

    def __init__(self, topics: list[str]) -> None:
        self._topics = topics

    def build(self, request_struct_class: type[_MetadataRequest_v10]) -> _MetadataRequest_v10:
        return request_struct_class(
            [(None, name, {}) for name in self._topics], False, False, False, {}
        )


@dataclass(frozen=True)
class TopicIdentity:
    """What a topic's name means now: the cluster it lives in and the id it was created with."""

    cluster_id: str
    topic_id: uuid.UUID

    def change_since(self, before: TopicIdentity) -> str | None:
        """How the topic changed since it was ``before``, in words; ``None`` if it did not."""
        if before.cluster_id != self.cluster_id:
            return (
                f"it is on another Kafka cluster (cluster id {before.cluster_id} then, "
                f"{self.cluster_id} now: restored or migrated)"
            )
        if before.topic_id != self.topic_id:
            return f"it was created anew (topic id {before.topic_id} then, {self.topic_id} now)"
        return None


def first_change(
    recorded: Mapping[str, TopicIdentity], now: Mapping[str, TopicIdentity]
) -> tuple[str, str] | None:
    """The first topic (by name) whose identity ``now`` differs from the one recorded,
    and how it changed; topics never recorded are not changes."""
    for topic in sorted(now):
        before = recorded.get(topic)
        reason = None if before is None else now[topic].change_since(before)
        if reason is not None:
            return topic, reason
    return None


async def topic_identities(client: Any, topics: Sequence[str]) -> dict[str, TopicIdentity]:
    """The identity of each of ``topics`` that exists (a missing one is left out: it may
    be being created anew), asked through a started client of aiokafka's (a producer's or
    a consumer's), without opening another connection."""
    response: Any = await client.send(client.get_random_node(), _TopicIdsRequest(sorted(topics)))
    found: dict[str, TopicIdentity] = {}
    for error_code, name, topic_id, *_ in response.topics:
        if error_code == UNKNOWN_TOPIC_OR_PARTITION:
            continue
        if error_code != 0:
            raise for_code(error_code)(f"no metadata for topic {name}")
        found[name] = TopicIdentity(cluster_id=response.cluster_id, topic_id=topic_id)
    return found
