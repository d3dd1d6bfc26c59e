"""The projection consumer: Kafka batches in, one PostgreSQL transaction per batch.

This module is the consumer's life cycle, its partitions' positions and the checks of
its topics' identity; one batch is applied by :mod:`shared.projections.applier` (which
needs PostgreSQL alone), dead letters are sent by :mod:`shared.projections.deadletter`,
and what each batch did is counted by :mod:`shared.projections.metrics`.

Why it exists, rather than a FastStream subscriber: a projection must be exactly-once
in effect (the event contract), fast enough for B1 (the quality bars) and must survive
rebalances, crashes and rebuilds. So:

* **Postgres is the truth, the Kafka commit a hint.** Each batch is applied in one
  transaction that also records the next offset per (projection, topic, partition) in
  ``projection_offsets``. On assignment the consumer seeks to those offsets. FastStream's
  default ack policy commits on receipt (at-most-once), and a Kafka commit acknowledges
  everything received, the whole batch in batch mode (a known pitfall): neither may
  decide what a projection has applied. The consumer still tells Kafka its offsets, at
  most once a second (``commit_hint_interval``) and when it stops, so that tools showing
  group lag stay meaningful: a commit after every batch was a Kafka request (and a write
  to ``__consumer_offsets``) per event at a few hundred commands a second.
* **Re-checked under lock.** Inside the transaction the tracking rows are locked
  (``SELECT … FOR UPDATE``) and re-read: a message below the recorded offset is skipped,
  so two instances holding a partition during a rebalance cannot both apply it. An
  event whose aggregate version is not above the recorded one is skipped too (the same
  event published twice), and versions are upserted in one statement per batch.
* **Raw bytes, parsed once.** ``getmany`` returns raw values (no deserializer) that
  :mod:`shared.projections.parsing` validates with pydantic's ``model_validate_json``
  through the registry. FastStream's default batch decoder cost four times the rest of
  the consumer here (as measured on this hardware).
* **Nothing stops the stream.** A message that cannot be parsed or validated, or that
  the projection rejects, goes to the dead letters (awaited before the commit); an
  unknown event type is skipped and counted. Lost connections to Postgres or Kafka
  roll the batch back and it is retried after a pause.
* ``auto_offset_reset="earliest"``: the default, ``latest``, would make a new
  projection silently skip the history (a known pitfall).
* **Replays apply once.** Each dead letter is recorded with the batch. A message that
  replays one of them (``bapas deadletters replay``) is applied even if later events
  of its aggregate were applied meanwhile, and its record is deleted in the same
  transaction, so a second replay is a duplicate.
* **Offsets only within one topic.** The topics' ids are recorded when first read and
  compared at start-up and every ``topic_check_interval``; recorded offsets past a
  partition's end, or Kafka handing back offsets below those applied, mean the same: the
  topic is not the one applied. The projection then stops applying (``halted``, which
  readiness reports) rather than skip events, until it is rebuilt
  (:mod:`shared.projections.topic_guard`).
* **Each klien's events in order, across offices.** Topics are keyed by office, so a
  klien's events after a transfer travel in another partition than those before it,
  and may be read first. A ClientTransferredIn read before the klien's
  ClientTransferredOut has been applied is held back, with every later event naming the
  klien (in PostgreSQL, in the batch's transaction), and applied in the order it came
  once the ClientTransferredOut is (:mod:`shared.projections.transfers`). A projection
  ends as if it had read the partitions in order, and the version check never drops a
  klien's earlier events.
* **Rebuilds win.** Each batch transaction takes the projection's advisory lock in
  shared mode; :func:`shared.projections.rebuild.rebuild_projection` holds it exclusively,
  so live batches wait while a rebuild runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from time import perf_counter, time_ns
from types import TracebackType
from typing import Any, Self

import asyncpg
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaError

from shared.kafka.admin import topic_partitions
from shared.kafka.connection import KafkaConnection
from shared.kafka.identity import topic_identities
from shared.kafka.topics import DEAD_LETTERS
from shared.observability.tracing import record_applied
from shared.outages import is_outage
from shared.projections import metrics
from shared.projections.applier import BatchApplier, BatchOutcome, ConsumerStats
from shared.projections.deadletter import DeadLetterPublisher
from shared.projections.projection import Projection
from shared.projections.topic_guard import (
    TopicChanged,
    TopicIds,
    check_topic_ids,
    offsets_gone_back,
    offsets_past_the_end,
)
from shared.projections.tracking import (
    recorded_offsets,
)

log = logging.getLogger(__name__)

DEFAULT_MAX_BATCH_SIZE = 2_000
COMMIT_HINT_TIMEOUT = 5.0
"""Seconds a Kafka commit of the applied offsets (a hint for lag tools) may take."""
ASSIGNMENT_CHECK_TIMEOUT = 5.0
"""Seconds the end offsets may take to arrive when partitions are assigned. The
rebalance waits for the assignment callback, and a leader that just died can hold the
request for Kafka's whole request timeout, longer than the group's session: the check
is skipped then (a recorded offset past the end still shows when Kafka hands back
offsets below it)."""


async def _stop_tolerating_an_absent_kafka(kafka: AIOKafkaConsumer) -> None:
    """Stop aiokafka's consumer even while Kafka is away; nothing is lost by it, the
    applied offsets are in PostgreSQL.

    aiokafka 0.14 cancels a fetch that is sleeping after a failed request and then
    awaits it, so its ``stop()`` raises ``CancelledError`` although nobody cancelled
    the caller; that would end a service's shutdown half-way. Only the caller's own
    cancellation goes on.
    """
    try:
        await kafka.stop()
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise
        log.warning("a Kafka consumer closed while its fetch was failing (Kafka away)")


class _SeekToRecordedOffsets(ConsumerRebalanceListener):  # type: ignore[misc]
    """On assignment, seek to the offsets recorded in Postgres (not Kafka's committed ones)."""

    def __init__(self, consumer: ProjectionConsumer) -> None:
        self._consumer = consumer

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self._consumer._forget_positions(revoked)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        try:
            await self._consumer._seek_to_recorded(assigned)
        except Exception:
            # aiokafka would swallow the error. The positions stay unknown, so the first
            # batch of each partition is dropped and the consumer seeks to the offset it
            # then reads under lock (see batch.plan_batch).
            log.exception("could not read the recorded offsets of %s", sorted(assigned))


class ProjectionConsumer:
    """Feeds one projection from its topics, one transaction per batch.

    In a consumer group (the default, ``group_id`` defaults to ``projection.<name>``)
    instances of a service share the partitions. With ``assign_all_partitions=True`` it
    joins no group and reads every partition (rebuilds, tools).

    The database is either ``database_url`` (the consumer connects, and reconnects after
    a failure) or a borrowed ``connection`` (its owner keeps it, e.g. holding a session
    lock; a lost connection then ends :meth:`run` with the error).

    Use ``async with consumer:`` or :meth:`start` / :meth:`stop`; in between, :meth:`run`
    consumes until :meth:`stop` (or :meth:`request_stop`), and :meth:`run_until_caught_up`
    until the projection has applied everything up to given end offsets.
    """

    def __init__(
        self,
        projection: Projection,
        *,
        kafka: KafkaConnection,
        database_url: str | None = None,
        connection: asyncpg.Connection | None = None,
        group_id: str | None = None,
        assign_all_partitions: bool = False,
        dead_letter_topic: str = DEAD_LETTERS,
        max_batch_size: int = DEFAULT_MAX_BATCH_SIZE,
        poll_timeout_ms: int = 200,
        session_timeout_ms: int = 10_000,
        heartbeat_interval_ms: int = 3_000,
        max_retry_pause: float = 10.0,
        commit_hint_interval: float = 1.0,
        topic_check_interval: float = 5.0,
    ) -> None:
        if (database_url is None) == (connection is None):
            raise ValueError("give either database_url or connection")
        self.projection = projection
        self.name = projection.name
        self.group_id = group_id or f"projection.{projection.name}"
        self.stats = ConsumerStats()
        self._kafka_connection = kafka
        self._database_url = database_url
        self._connection = connection
        self._owns_connection = connection is None
        self._assign = assign_all_partitions
        self._max_batch_size = max_batch_size
        self._poll_timeout_ms = poll_timeout_ms
        self._max_retry_pause = max_retry_pause
        self._commit_hint_interval = commit_hint_interval
        self._topic_check_interval = topic_check_interval
        self._topics_checked_at = 0.0
        self._topic_ids: TopicIds = {}
        """The identity recorded of each topic, as of the last comparison."""
        self.halted: TopicChanged | None = None
        """Set when a topic is not the one the projection applied: nothing is applied."""
        # Offsets applied but not yet told to Kafka, and when Kafka was last told.
        self._unhinted: dict[TopicPartition, int] = {}
        self._hinted_at = 0.0
        self._dead_letter_topic = dead_letter_topic
        self._kafka_options: dict[str, Any] = {
            **kafka.client_options(),
            "group_id": None if assign_all_partitions else self.group_id,
            "client_id": f"projection-{projection.name}",
            "enable_auto_commit": False,  # the offsets that count are in Postgres
            "auto_offset_reset": "earliest",  # not `latest`: a new projection reads history
            "isolation_level": "read_committed",
            "max_poll_records": max_batch_size,
            "session_timeout_ms": session_timeout_ms,
            "heartbeat_interval_ms": heartbeat_interval_ms,
        }
        # Created by start(): aiokafka's clients belong to the running event loop.
        self._kafka: Any = None
        self._dead_letters: DeadLetterPublisher | None = None
        self._applier: BatchApplier | None = None
        # The position of each assigned partition as far as this consumer knows it: set
        # from Postgres on assignment, moved by each committed batch.
        self._positions: dict[TopicPartition, int] = {}
        # Held while a batch transaction runs and by the rebalance callbacks, so positions
        # and seeks never interleave with a batch.
        self._lock = asyncio.Lock()
        self._stop_requested = asyncio.Event()
        self._running = False
        self._started = False
        self._run_finished = asyncio.Event()
        self._run_finished.set()
        self._partitions: list[TopicPartition] | None = None

    # -- life cycle ---------------------------------------------------------------

    async def start(self) -> None:
        """Connect to Postgres and Kafka; join the group or assign every partition."""
        if self._started:
            raise RuntimeError("the consumer is already started")
        self._stop_requested.clear()
        self._kafka = AIOKafkaConsumer(**self._kafka_options)
        self._dead_letters = DeadLetterPublisher(
            self._kafka_connection,
            consumer_group=self.group_id,
            projection=self.name,
            topic=self._dead_letter_topic,
        )
        self._applier = BatchApplier(self.projection, self._dead_letters)
        try:
            await self._database()
            await self._dead_letters.start()
            await self._kafka.start()
            await self._check_topics()
            if self._assign:
                partitions = await self.partitions()
                self._kafka.assign(partitions)
                await self._seek_to_recorded(set(partitions))
            else:
                self._kafka.subscribe(
                    list(self.projection.topics), listener=_SeekToRecordedOffsets(self)
                )
        except BaseException:
            await self._close_clients()
            raise
        self._started = True

    def request_stop(self) -> None:
        """Ask :meth:`run` to return after the current batch (safe from a signal handler)."""
        self._stop_requested.set()

    async def stop(self) -> None:
        """Finish the current batch, then leave the group and close the connections."""
        self.request_stop()
        await self._run_finished.wait()
        if self._started:
            self._started = False
            await self._commit_hint(now=True)
            await self._close_clients()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _close_clients(self) -> None:
        for partition in list(self._positions):
            self._forget_lag(partition)
        self._positions.clear()
        try:
            await _stop_tolerating_an_absent_kafka(self._kafka)
        except KafkaError as error:
            log.warning("projection %s: Kafka client closed with %r", self.name, error)
        finally:
            try:
                if self._dead_letters is not None:
                    await self._dead_letters.stop()
            finally:
                if self._owns_connection and self._connection is not None:
                    connection, self._connection = self._connection, None
                    await connection.close()

    # -- running ------------------------------------------------------------------

    async def run(self, *, on_batch: Callable[[BatchOutcome], None] | None = None) -> None:
        """Consume and apply batches until :meth:`stop` or :meth:`request_stop`."""
        await self._run(None, on_batch)

    async def run_until_caught_up(
        self,
        end_offsets: Mapping[TopicPartition, int] | None = None,
        *,
        timeout: float | None = None,
        on_batch: Callable[[BatchOutcome], None] | None = None,
    ) -> None:
        """Consume until every partition's next offset reaches ``end_offsets``.

        By default, the end offsets of all the projection's partitions now: "apply
        everything currently on the topics". In a group, partitions held by other
        instances never advance here; pass only this instance's partitions then.
        Raises ``TimeoutError`` after ``timeout`` seconds.
        """
        ends = dict(end_offsets) if end_offsets is not None else await self.end_offsets()
        async with asyncio.timeout(timeout):
            await self._run(ends, on_batch)

    async def _run(
        self,
        until: Mapping[TopicPartition, int] | None,
        on_batch: Callable[[BatchOutcome], None] | None,
    ) -> None:
        if self._stop_requested.is_set():
            return  # stopped before its task first ran (a service stopping as it starts)
        if not self._started:
            raise RuntimeError("start the consumer first")
        if self._running:
            raise RuntimeError("the consumer is already running")
        self._running = True
        self._run_finished.clear()
        pause = 0.0
        try:
            idle = False
            while not self._stop_requested.is_set():
                if self.halted is not None or self._topics_due():
                    await self._watch_topics()
                    if self.halted is not None:
                        continue
                if until is not None and await self._caught_up(until, idle=idle):
                    return
                fetched = await self._kafka.getmany(
                    timeout_ms=self._poll_timeout_ms, max_records=self._max_batch_size
                )
                idle = not fetched
                if idle:
                    await self._commit_hint()
                    continue
                try:
                    outcome = await self._apply_batch(fetched)
                except Exception as error:
                    if not self._retryable(error):
                        raise
                    pause = min(max(pause * 2, 0.25), self._max_retry_pause)
                    log.warning(
                        "projection %s: batch failed (%s); retrying in %.2f s",
                        self.name,
                        error,
                        pause,
                    )
                    await self._rewind(fetched)
                    await self._pause(pause)
                    continue
                pause = 0.0
                if on_batch is not None:
                    on_batch(outcome)
        finally:
            self._running = False
            self._run_finished.set()

    def _topics_due(self) -> bool:
        return perf_counter() - self._topics_checked_at >= self._topic_check_interval

    async def _watch_topics(self) -> None:
        """Check the topics' identity when due; while halted, wait and check again, and
        resume once a rebuild has made the recorded offsets those of the topics now."""
        if self.halted is not None:
            await self._pause(self._topic_check_interval)
            if self._stop_requested.is_set():
                return
        try:
            await self._check_topics()
            if self.halted is not None:
                await self._check_offsets_and_resume()
        except Exception as error:
            if not self._retryable(error):
                raise
            log.info("projection %s: topic check skipped: %r", self.name, error)

    async def _check_topics(self) -> None:
        now = await topic_identities(self._kafka._client, self.projection.topics)
        async with self._lock:
            await self._compare_topic_ids(now)
        self._topics_checked_at = perf_counter()

    async def _compare_topic_ids(self, now: TopicIds) -> None:
        """Compare with the recorded identities (under the lock); halt on a change."""
        changed, self._topic_ids = await check_topic_ids(await self._database(), self.name, now)
        if changed is not None:
            self._halt(changed)

    async def _same_topics_as_applied(self, fetched: Mapping[TopicPartition, list[Any]]) -> bool:
        """Before a batch is applied (under the lock): whether its topics are still those
        whose identity was recorded. Asked of Kafka each batch, through the consumer's own
        client (as the periodic check is): a check every few seconds would let a topic
        created anew be applied from the old offsets meanwhile. A topic gone since the
        fetch, or another change, drops the batch; the partitions are fetched again from
        the applied positions."""
        topics = sorted({tp.topic for tp in fetched})
        now = await topic_identities(self._kafka._client, topics)
        if all(self._topic_ids.get(topic) == now.get(topic) for topic in topics):
            return True
        if set(now) == set(topics):
            await self._compare_topic_ids(now)
        self._seek_back(fetched)
        return False

    async def _check_offsets_and_resume(self) -> None:
        """Resume if the topics' ids match the recorded ones (checked just before) and no
        recorded offset lies past its partition's end."""
        ends = await self.end_offsets()
        async with self._lock:
            connection = await self._database()
            recorded = await recorded_offsets(connection, self.name, self.projection.topics)
        changed = offsets_past_the_end(self.name, recorded, ends)
        if changed is not None:
            self._halt(changed)
            return
        log.warning("projection %s: its topics are consistent again; resuming", self.name)
        halted, self.halted = self.halted, None
        if halted is not None:
            metrics.HALTED.labels(self.name, halted.topic).set(0)
        assigned = set(self._kafka.assignment())
        self._kafka.resume(*assigned)
        await self._seek_to_recorded(assigned)

    def _halt(self, changed: TopicChanged) -> None:
        if self.halted != changed:
            log.error("%s", changed)
            metrics.HALTED.labels(self.name, changed.topic).set(1)
        self.halted = changed
        self._kafka.pause(*self._kafka.assignment())

    async def _pause(self, seconds: float) -> None:
        try:
            async with asyncio.timeout(seconds):
                await self._stop_requested.wait()
        except TimeoutError:
            pass

    def _retryable(self, error: Exception) -> bool:
        """Whether a failed batch may succeed later: Postgres or Kafka was unavailable.

        Once its connection is closed, asyncpg reports any call on it as an
        ``InterfaceError``; that is an outage too, unless the connection is borrowed
        (it cannot be replaced here).
        """
        closed = self._connection is None or self._connection.is_closed()
        if closed and not self._owns_connection:
            return False
        return closed or is_outage(error)

    async def _rewind(self, fetched: Mapping[TopicPartition, object]) -> None:
        """After a failed batch: fetch its partitions again from the last known positions."""
        async with self._lock:
            if self._owns_connection and self._connection is not None:
                connection, self._connection = self._connection, None
                connection.terminate()
            self._seek_back(fetched)

    def _seek_back(self, fetched: Mapping[TopicPartition, object]) -> None:
        """Fetch the partitions of a batch not applied again, from the applied positions
        (under the lock)."""
        assigned = self._kafka.assignment()
        for tp in fetched:
            position = self._positions.get(tp)
            if tp in assigned and position is not None:
                self._kafka.seek(tp, position)

    async def _caught_up(self, ends: Mapping[TopicPartition, int], *, idle: bool) -> bool:
        assigned = self._kafka.assignment()
        for tp, end in ends.items():
            if end <= 0 or self._positions.get(tp, -1) >= end:
                continue
            # A partition whose last offsets are transaction markers never returns them:
            # once nothing is left to fetch, the fetch position says it is done.
            if idle and tp in assigned and await self._kafka.position(tp) >= end:
                continue
            return False
        return True

    # -- one batch ----------------------------------------------------------------

    async def _apply_batch(self, fetched: Mapping[TopicPartition, list[Any]]) -> BatchOutcome:
        started_ns = time_ns()
        async with self._lock:
            gone_back = offsets_gone_back(
                self.name,
                {tp: messages[0].offset for tp, messages in fetched.items() if messages},
                self._positions,
            )
            connection = await self._database()
            same_topics = await self._same_topics_as_applied(fetched)
            if gone_back is not None and same_topics:
                self._halt(gone_back)  # truncated, or reset since the ids were compared
            if self.halted is not None or not same_topics:
                return BatchOutcome.nothing()
            assert self._applier is not None
            batch = await self._applier.apply(connection, fetched, self._positions)
            # A partition revoked while its records waited for the lock is no longer ours.
            assigned = self._kafka.assignment()
            for tp, offset in batch.plan.positions.items():
                if tp in assigned:
                    self._positions[tp] = offset
                    if tp in batch.plan.seeks:
                        self._kafka.seek(tp, offset)
        self.stats.add(batch.outcome)
        metrics.record_batch(self.name, batch.outcome)
        record_applied(
            self.name,
            ((p.message.headers, p.event.event_type, str(p.event.event_id)) for p in batch.applied),
            started_ns,
        )
        self._unhinted.update(
            (TopicPartition(topic, partition), offset)
            for (topic, partition), offset in batch.plan.next_offsets.items()
        )
        await self._commit_hint()
        self._update_lag()
        return batch.outcome

    async def _commit_hint(self, *, now: bool = False) -> None:
        """Tell Kafka the applied offsets too, for lag dashboards (Postgres has the
        truth); at most once per ``commit_hint_interval`` unless ``now``."""
        if self._assign or not self._unhinted:
            return
        if not now and perf_counter() - self._hinted_at < self._commit_hint_interval:
            return
        assigned = self._kafka.assignment()
        offsets = {tp: offset for tp, offset in self._unhinted.items() if tp in assigned}
        self._unhinted.clear()
        self._hinted_at = perf_counter()
        if not offsets:
            return
        try:
            # aiokafka waits for the group coordinator as long as it takes; a hint must
            # not hold up a batch, a rebalance or a stop while Kafka is away.
            async with asyncio.timeout(COMMIT_HINT_TIMEOUT):
                await self._kafka.commit(offsets)
        except (KafkaError, TimeoutError) as error:  # harmless: it is a hint
            log.info("projection %s: Kafka commit skipped: %r", self.name, error)

    def _update_lag(self) -> None:
        for tp in self._kafka.assignment():
            position = self._positions.get(tp)
            highwater = self._kafka.highwater(tp)
            if position is not None and highwater is not None:
                metrics.LAG.labels(self.name, tp.topic, str(tp.partition)).set(
                    max(highwater - position, 0)
                )

    def _forget_lag(self, tp: TopicPartition) -> None:
        with contextlib.suppress(KeyError):
            metrics.LAG.remove(self.name, tp.topic, str(tp.partition))

    # -- positions ----------------------------------------------------------------

    async def _database(self) -> asyncpg.Connection:
        if self._connection is None or (self._owns_connection and self._connection.is_closed()):
            assert self._database_url is not None
            self._connection = await asyncpg.connect(self._database_url)
        return self._connection

    async def _seek_to_recorded(self, partitions: set[TopicPartition]) -> None:
        """Seek each partition to the next offset recorded in Postgres (or its beginning)."""
        async with self._lock:
            for tp in partitions:
                self._positions.pop(tp, None)
            connection = await self._database()
            recorded = await recorded_offsets(
                connection, self.name, sorted({tp.topic for tp in partitions})
            )
            try:
                async with asyncio.timeout(ASSIGNMENT_CHECK_TIMEOUT):
                    ends = await self._kafka.end_offsets(sorted(partitions))
            except (KafkaError, TimeoutError) as error:
                log.info(
                    "projection %s: end offsets not checked at assignment: %r", self.name, error
                )
            else:
                past_the_end = offsets_past_the_end(self.name, recorded, ends)
                if past_the_end is not None:
                    self._halt(past_the_end)
            from_beginning: list[TopicPartition] = []
            for tp in sorted(partitions):
                offset = recorded.get((tp.topic, tp.partition))
                if offset is None:
                    self._positions[tp] = 0
                    from_beginning.append(tp)
                else:
                    self._positions[tp] = offset
                    self._kafka.seek(tp, offset)
            if from_beginning:
                await self._kafka.seek_to_beginning(*from_beginning)
        log.info(
            "projection %s: assigned %s",
            self.name,
            ", ".join(
                f"{tp.topic}[{tp.partition}]@{self._positions[tp]}" for tp in sorted(partitions)
            ),
        )

    async def _forget_positions(self, partitions: set[TopicPartition]) -> None:
        async with self._lock:  # waits for a batch in flight to commit
            await self._commit_hint(now=True)  # the partitions are still this consumer's
            for tp in partitions:
                self._positions.pop(tp, None)
                self._forget_lag(tp)

    def positions(self) -> dict[TopicPartition, int]:
        """The next offset of each assigned partition: what has been applied before it."""
        return dict(self._positions)

    async def partitions(self) -> list[TopicPartition]:
        """Every partition of the projection's topics."""
        if self._partitions is None:
            self._partitions = await topic_partitions(
                self._kafka_connection, self.projection.topics
            )
        return self._partitions

    async def end_offsets(self) -> dict[TopicPartition, int]:
        """The offset after the last message of every partition of the projection's topics."""
        offsets: dict[TopicPartition, int] = await self._kafka.end_offsets(await self.partitions())
        return offsets

    async def beginning_offsets(self) -> dict[TopicPartition, int]:
        """The offset of the first message kept of every partition of the projection's topics."""
        offsets: dict[TopicPartition, int] = await self._kafka.beginning_offsets(
            await self.partitions()
        )
        return offsets
