"""Deciding, inside the batch transaction, which messages of a batch are new to a projection.

Pure functions, so the rules can be read (and unit-tested) apart from Kafka and SQL:

1. **Offsets** (:func:`plan_batch`). The consumer compares what it fetched with the
   next offsets recorded in Postgres, read under ``FOR UPDATE``. Messages below the
   recorded offset were applied already (a redelivery, or another instance got there
   first during a rebalance) and are skipped. If the recorded offset is *behind* the
   place this consumer fetched from, someone reset the projection (a rebuild); applying
   would leave a gap, so the partition's messages are dropped and the consumer seeks
   back to the recorded offset.
2. **Aggregate versions** (:func:`newer_than_recorded`). An event whose
   ``aggregate_version`` is not above the last one applied for its aggregate is a
   duplicate: the same event published twice at different offsets (a relay that
   crashed after sending and before deleting its outbox rows) — unless it is the replay
   of a dead letter the projection recorded, which is applied once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from uuid import UUID

from aiokafka import TopicPartition

from shared.projections.parsing import ParsedEvent, ReadMessage
from shared.projections.tracking import Partition


@dataclass
class BatchPlan:
    """What to do with one fetched batch, given the offsets recorded in Postgres."""

    messages: list[ReadMessage] = field(default_factory=list)
    """The messages at or beyond the recorded offsets, partition by partition, in order."""
    next_offsets: dict[Partition, int] = field(default_factory=dict)
    """The next offsets to record, for the partitions that have new messages."""
    positions: dict[TopicPartition, int] = field(default_factory=dict)
    """Where each partition of the batch stands once the transaction commits."""
    seeks: dict[TopicPartition, int] = field(default_factory=dict)
    """Partitions whose fetch position must move (to their recorded offset)."""
    redelivered: int = 0
    """Messages skipped because their offset was already applied."""
    discarded: int = 0
    """Messages dropped because the projection was reset; they will be fetched again."""


def plan_batch(
    fetched: Mapping[TopicPartition, Sequence[ReadMessage]],
    recorded: Mapping[Partition, int],
    expected: Mapping[TopicPartition, int],
) -> BatchPlan:
    """Split a batch by the recorded offsets (``recorded``, locked) and the consumer's own
    positions before the batch (``expected``; missing when unknown)."""
    plan = BatchPlan()
    for tp, messages in fetched.items():
        if not messages:
            continue
        recorded_offset = recorded[(tp.topic, tp.partition)]
        fetched_from = expected.get(tp)
        fetched_to = messages[-1].message.offset + 1
        if fetched_from is None or fetched_from > recorded_offset:
            plan.discarded += len(messages)
            plan.positions[tp] = recorded_offset
            plan.seeks[tp] = recorded_offset
            continue
        if messages[0].message.offset >= recorded_offset:
            new = list(messages)
        else:
            new = [m for m in messages if m.message.offset >= recorded_offset]
        plan.redelivered += len(messages) - len(new)
        position = max(recorded_offset, fetched_to)
        plan.positions[tp] = position
        if position != fetched_to:
            plan.seeks[tp] = position
        if new:
            plan.messages.extend(new)
            plan.next_offsets[(tp.topic, tp.partition)] = fetched_to
    return plan


def newer_than_recorded(
    events: Iterable[ParsedEvent],
    recorded: Mapping[UUID, int],
    *,
    replay: Callable[[ParsedEvent], bool | None] = lambda _: None,
) -> tuple[list[ParsedEvent], list[ParsedEvent]]:
    """Split events into those newer than the recorded version of their aggregate and
    duplicates, in order; the versions of earlier events of the batch count too.

    ``replay`` tells replays of dead letters apart: ``True`` for one of the projection's
    own dead letters replayed for the first time, new whatever its version (later events
    of its aggregate may have been applied meanwhile); ``False`` for any other replay (of
    another projection's dead letter, or replayed before), a duplicate; ``None`` for an
    event that is not a replay.
    """
    last = dict(recorded)
    new: list[ParsedEvent] = []
    duplicates: list[ParsedEvent] = []
    for parsed in events:
        event = parsed.event
        verdict = replay(parsed)
        if verdict is not None:
            (new if verdict else duplicates).append(parsed)
        elif event.aggregate_version <= last.get(event.aggregate_id, 0):
            duplicates.append(parsed)
        else:
            last[event.aggregate_id] = event.aggregate_version
            new.append(parsed)
    return new, duplicates


def last_versions(events: Iterable[ParsedEvent]) -> dict[UUID, int]:
    """The highest version per aggregate among ``events`` (one row each to upsert)."""
    versions: dict[UUID, int] = {}
    for parsed in events:
        event = parsed.event
        if event.aggregate_version > versions.get(event.aggregate_id, 0):
            versions[event.aggregate_id] = event.aggregate_version
    return versions
