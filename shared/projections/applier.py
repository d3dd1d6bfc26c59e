"""Applying one fetched batch to a projection, in one PostgreSQL transaction.

This is the consumer's core, apart from Kafka: given the messages of a batch, the
positions the consumer fetched them from and a connection, it takes the projection's
shared batch lock, locks and re-reads the recorded offsets, decides which messages are
new (:mod:`shared.projections.batch`), holds back a klien's events that arrive before
its transfer out of another office has been applied and releases them once it has
(:mod:`shared.projections.transfers`, :mod:`shared.projections.holding`), sends what
cannot be applied to the dead letters (and records it, so that its replay applies
once), applies the rest (one event at a time if one is rejected, so that the others
still are), and records versions, offsets and what it holds, all in one transaction. A
test gives it messages and a dead-letter sink of its own, with PostgreSQL alone.

ClientTransferredOut and ClientTransferredIn are read whatever event types the
projection declares, since holding depends on them; the projection's ``apply`` gets them
only if it declares them (or declares none).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from time import perf_counter
from typing import Protocol
from uuid import UUID

import asyncpg
from aiokafka import TopicPartition

from shared.projections.batch import BatchPlan, last_versions, plan_batch
from shared.projections.deadletter import is_replay, replay_origin
from shared.projections.holding import (
    held_messages,
    hold_events,
    record_departures,
    recorded_departures,
    recorded_versions_and_holding,
    release_events,
)
from shared.projections.parsing import (
    InvalidMessage,
    KafkaMessage,
    NotHandled,
    ParsedEvent,
    UnknownEvent,
    read_message,
    read_messages,
)
from shared.projections.projection import EventRejected, Projection, handled_event_types
from shared.projections.tracking import (
    DeadLetterOrigin,
    claim_dead_letters,
    lock_offsets,
    record_dead_letters,
    record_offsets,
    record_versions,
    recorded_versions,
    take_holding_lock,
    take_shared_batch_lock,
)
from shared.projections.transfers import (
    TRANSFER_EVENT_TYPES,
    HeldEvent,
    Routing,
    involves_transfer,
    route_events,
)

log = logging.getLogger(__name__)


class DeadLetterSink(Protocol):
    """Where the messages a projection cannot apply go; ``send`` returns the delivery."""

    async def send(self, message: KafkaMessage, error: str) -> asyncio.Future[object]: ...


def _is_rejection(error: BaseException) -> bool:
    """Errors that mean "this event cannot be applied", rather than a bug or an outage.

    A projection's own :class:`EventRejected`, and Postgres data exceptions (class 22)
    and integrity constraint violations (class 23) raised by the event's values. Other
    errors (a missing table, a ``TypeError``) stop the consumer: dead-lettering every
    event because of a bug would silently empty the projection.
    """
    return isinstance(
        error, EventRejected | asyncpg.DataError | asyncpg.IntegrityConstraintViolationError
    )


def _rejection_reason(error: BaseException) -> str:
    if isinstance(error, EventRejected):
        return error.reason
    if isinstance(error, asyncpg.PostgresError):
        return f"{type(error).__name__} ({error.sqlstate}): {error}"
    return f"{type(error).__name__}: {error}"


@dataclass(frozen=True)
class BatchOutcome:
    """What one batch did; passed to ``on_batch`` callbacks (the rebuild's progress)."""

    messages: int
    applied: int
    dead_lettered: int
    skipped_unknown_type: int
    skipped_duplicate: int
    skipped_redelivered: int
    duration: float
    skipped_not_handled: int = 0
    """Events of types the projection does not declare (never parsed, or a transfer
    event read for holding alone)."""
    held: int = 0
    """Events of the batch held back until a klien's transfer out is applied."""
    released: int = 0
    """Events held by earlier batches that this one released (counted again as applied,
    duplicates, not handled or dead-lettered)."""

    @classmethod
    def nothing(cls) -> BatchOutcome:
        """A batch fetched but not applied (the projection is halted)."""
        return cls(0, 0, 0, 0, 0, 0, 0.0)


def _origin(message: KafkaMessage) -> DeadLetterOrigin:
    return message.topic, message.partition, message.offset


def _replay_verdict(
    replayed: dict[DeadLetterOrigin, DeadLetterOrigin | None], claimed: set[DeadLetterOrigin]
) -> Callable[[ParsedEvent], bool | None]:
    """Whether an event of the batch is a replay applied (one of this projection's dead
    letters, claimed now) or a duplicate (any other replay); ``None`` if it is no replay.
    ``replayed`` maps the batch's replays to the dead letter each replays (if this
    projection's)."""

    def verdict(parsed: ParsedEvent) -> bool | None:
        key = _origin(parsed.message)
        if key not in replayed:
            return None
        origin = replayed[key]
        return origin is not None and origin in claimed

    return verdict


@dataclass
class ConsumerStats:
    """Totals since the consumer was created (the metrics have the same, per process)."""

    batches: int = 0
    messages: int = 0
    applied: int = 0
    dead_lettered: int = 0
    skipped_unknown_type: int = 0
    skipped_duplicate: int = 0
    skipped_redelivered: int = 0
    skipped_not_handled: int = 0
    held: int = 0
    released: int = 0

    def add(self, outcome: BatchOutcome) -> None:
        self.batches += 1
        self.messages += outcome.messages
        self.applied += outcome.applied
        self.dead_lettered += outcome.dead_lettered
        self.skipped_unknown_type += outcome.skipped_unknown_type
        self.skipped_duplicate += outcome.skipped_duplicate
        self.skipped_redelivered += outcome.skipped_redelivered
        self.skipped_not_handled += outcome.skipped_not_handled
        self.held += outcome.held
        self.released += outcome.released


@dataclass(frozen=True)
class AppliedBatch:
    """What applying a batch did, and where each of its partitions stands now."""

    outcome: BatchOutcome
    plan: BatchPlan
    applied: list[ParsedEvent]


class BatchApplier:
    """Applies batches to one projection; see the module's docstring."""

    def __init__(self, projection: Projection, dead_letters: DeadLetterSink) -> None:
        self.projection = projection
        self.name = projection.name
        self._dead_letters = dead_letters
        self._handled = handled_event_types(projection)
        self._read = None if self._handled is None else self._handled | TRANSFER_EVENT_TYPES
        """The event types parsed: the projection's, and the transfers."""

    async def apply(
        self,
        connection: asyncpg.Connection,
        fetched: Mapping[TopicPartition, Sequence[KafkaMessage]],
        positions: Mapping[TopicPartition, int],
    ) -> AppliedBatch:
        """Apply ``fetched`` (fetched from ``positions``) in one transaction on
        ``connection``; the dead letters are in their topic before it commits."""
        started = perf_counter()
        read = {tp: read_messages(messages, self._read) for tp, messages in fetched.items()}
        deliveries: list[asyncio.Future[object]] = []
        letters: list[tuple[DeadLetterOrigin, UUID | None, str]] = []
        async with connection.transaction():
            await take_shared_batch_lock(connection, self.name)
            recorded = await lock_offsets(
                connection, self.name, [(tp.topic, tp.partition) for tp in read]
            )
            plan = plan_batch(read, recorded, positions)
            parsed: list[ParsedEvent] = []
            unknown = not_handled = 0
            for item in plan.messages:
                if isinstance(item, NotHandled):
                    not_handled += 1
                elif isinstance(item, ParsedEvent):
                    parsed.append(item)
                elif isinstance(item, UnknownEvent):
                    unknown += 1
                else:
                    deliveries.append(await self._dead_letters.send(item.message, item.error))
                    letters.append((_origin(item.message), None, item.error))
            # Most batches hold no replay: a glance at the header names tells, before any
            # header is decoded; each replay's origin is read once.
            replayed = {
                _origin(m.message): replay_origin(m.message, self.name)
                for m in plan.messages
                if is_replay(m.message)
            }
            claimed = await claim_dead_letters(
                connection, self.name, (o for o in replayed.values() if o is not None)
            )
            routing = Routing()
            handed: list[ParsedEvent] = []
            if parsed:
                verdict = _replay_verdict(replayed, claimed)
                routing, handed = await self._route(
                    connection, parsed, verdict, letters, deliveries
                )
            applied, rejected = await self._apply(connection, handed)
            for item, reason in rejected:
                deliveries.append(await self._dead_letters.send(item.message, reason))
                letters.append((_origin(item.message), item.event.event_id, reason))
            tracked = routing.apply
            if rejected:
                refused = {item.event.event_id for item, _ in rejected}
                tracked = [p for p in routing.apply if p.event.event_id not in refused]
            await record_dead_letters(connection, self.name, letters)
            await record_versions(connection, self.name, last_versions(tracked))
            await record_offsets(connection, self.name, plan.next_offsets)
            await self._keep_holding(connection, routing)
            # The dead letters must be in Kafka before the offsets move past them.
            await asyncio.gather(*deliveries)
        outcome = BatchOutcome(
            messages=sum(len(messages) for messages in read.values()),
            applied=len(applied),
            dead_lettered=len(deliveries),
            skipped_unknown_type=unknown,
            skipped_duplicate=len(routing.duplicates),
            skipped_redelivered=plan.redelivered,
            duration=perf_counter() - started,
            skipped_not_handled=not_handled + len(routing.apply) - len(handed),
            held=len(routing.held),
            released=len(routing.released),
        )
        return AppliedBatch(outcome, plan, applied)

    async def _route(
        self,
        connection: asyncpg.Connection,
        parsed: list[ParsedEvent],
        replay: Callable[[ParsedEvent], bool | None],
        letters: list[tuple[DeadLetterOrigin, UUID | None, str]],
        deliveries: list[asyncio.Future[object]],
    ) -> tuple[Routing, list[ParsedEvent]]:
        """Which events of the batch to apply, which to hold, which held ones to release;
        and the events to hand to the projection (those applied, but the transfer events
        it does not declare).

        The versions and whether anything is held come in one statement; only a batch
        with a transfer, or of a projection holding something, takes the holding lock and
        reads (after it, so as of the last batch that changed them) the held events, the
        departures and the versions again.
        """
        versions, holding = await recorded_versions_and_holding(
            connection, self.name, (p.event.aggregate_id for p in parsed)
        )
        if not holding and not involves_transfer(parsed):
            routing = route_events(parsed, versions, replay=replay)
            return routing, routing.apply
        await take_holding_lock(connection, self.name)
        held: list[HeldEvent] = []
        unreadable: list[UUID] = []
        for stored in await held_messages(connection, self.name):
            item = read_message(stored.message, self._read)
            if isinstance(item, ParsedEvent):
                held.append(HeldEvent(item, stored.client_id, stored.bapas_code))
                continue
            # Read otherwise than when it was held (the code changed): it is done with, as
            # it would be if it were read now.
            unreadable.append(stored.event_id)
            if isinstance(item, InvalidMessage):
                deliveries.append(await self._dead_letters.send(item.message, item.error))
                letters.append((_origin(item.message), None, item.error))
        await release_events(connection, self.name, unreadable)
        arrivals = [p.event for p in parsed] + [h.parsed.event for h in held]
        departures = await recorded_departures(
            connection,
            self.name,
            {e.aggregate_id for e in arrivals if e.event_type in TRANSFER_EVENT_TYPES},
        )
        versions = await recorded_versions(
            connection, self.name, (e.aggregate_id for e in arrivals)
        )
        routing = route_events(parsed, versions, held=held, departures=departures, replay=replay)
        if self._handled is None:
            return routing, routing.apply
        return routing, [p for p in routing.apply if p.event.event_type in self._handled]

    async def _keep_holding(self, connection: asyncpg.Connection, routing: Routing) -> None:
        """Store what the batch holds, forget what it released, remember its departures."""
        await hold_events(connection, self.name, routing.held)
        await release_events(
            connection, self.name, [h.parsed.event.event_id for h in routing.released]
        )
        await record_departures(connection, self.name, routing.departures)
        for (client_id, bapas_code), count in Counter(h.queue for h in routing.held).items():
            log.info(
                "projection %s: holding %d event(s) of klien %s at %s until its transfer"
                " out of the previous office is applied",
                self.name,
                count,
                client_id,
                bapas_code,
            )
        for (client_id, bapas_code), count in Counter(h.queue for h in routing.released).items():
            log.info(
                "projection %s: released %d held event(s) of klien %s at %s",
                self.name,
                count,
                client_id,
                bapas_code,
            )

    async def _apply(
        self, connection: asyncpg.Connection, events: list[ParsedEvent]
    ) -> tuple[list[ParsedEvent], list[tuple[ParsedEvent, str]]]:
        """Apply the batch; if an event is rejected, apply them one by one without it."""
        if not events:
            return [], []
        try:
            async with connection.transaction():  # a savepoint: the batch can be undone
                await self.projection.apply(connection, [p.event for p in events])
            return events, []
        except Exception as error:
            if not _is_rejection(error):
                raise
            log.warning("projection %s: an event was rejected, isolating it", self.name)
        applied: list[ParsedEvent] = []
        rejected: list[tuple[ParsedEvent, str]] = []
        for parsed in events:
            try:
                async with connection.transaction():
                    await self.projection.apply(connection, [parsed.event])
            except Exception as error:
                if not _is_rejection(error):
                    raise
                rejected.append((parsed, f"rejected by {self.name}: {_rejection_reason(error)}"))
            else:
                applied.append(parsed)
        return applied, rejected
