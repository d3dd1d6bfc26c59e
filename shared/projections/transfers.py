"""Holding a klien's events back across a transfer between offices, so that every
projection applies each klien's events in the order they happened.

Every topic is keyed by the office (``bapas_code``), and a klien belongs to one office at
a time. When a klien moves, its ClientTransferredOut is the last of its events keyed by
the old office and its ClientTransferredIn, at the next aggregate version, the first
keyed by the new one: the klien's story goes on in another partition, and a consumer may
read that partition first. Applied as read, the klien's later events would come before
its earlier ones, and the version check (:func:`shared.projections.batch.newer_than_recorded`)
would then drop the earlier ones as duplicates of versions already applied.

So the consumer holds back what it cannot apply yet. These rules are pure, so they can be
read and tested apart from Kafka and SQL; the applier keeps their state (the events held
and the departures applied) in PostgreSQL, written in the transaction of the batch,
because that transaction moves the offsets past the events held.

* A ClientTransferredIn at version *v*, keyed by the new office, is applied once the
  projection has applied the klien's ClientTransferredOut at *v − 1* (a *departure*,
  remembered for good, since a copy of the ClientTransferredIn may come again).
  Otherwise it is held, and starts a *queue* of the klien at that office.
* While a klien has a queue at an office, every later event naming the klien keyed by
  that office is held at the end of it: the klien's own events, and those whose payload
  has its ``client_id`` (an enrolment at the new office); so is every event of an
  aggregate with a held event (an attendance of that enrolment). The office's partition
  keeps them in order behind the ClientTransferredIn. Events keyed by another office
  are not held behind it: those of the office the klien left come *before* the departure
  awaited (the ClientTransferredOut is among them), and must go ahead.
* Applying a ClientTransferredOut releases the klien's queue whose first event is the
  ClientTransferredIn just after it. Its events go through these rules again, in the
  order they came, right after it: a second transfer among them releases the next queue
  in turn, however many transfers were read in reverse order. A ClientTransferredOut
  the projection rejects (to the dead letters) counts as applied here, as any rejected
  event lets the ones after it be applied.
* An event already held is not held twice (a second copy is a duplicate), and a released
  event is checked against the versions applied like any other, so a copy applied
  meanwhile is not applied twice.
* A replay of a dead letter is never held: a replay is applied out of order by design.

Each projection therefore sees every klien's events in order, whatever the order the
partitions were read in, and ends as it would have had it read them in order.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from uuid import UUID

from shared.events.enrolment import ClientTransferredIn, ClientTransferredOut
from shared.events.envelope import Envelope, EventPayload
from shared.projections.batch import newer_than_recorded
from shared.projections.parsing import ParsedEvent

TRANSFER_EVENT_TYPES = frozenset({ClientTransferredOut.event_type, ClientTransferredIn.event_type})
"""The events every projection consumer reads, whatever the projection declares."""

Departure = tuple[UUID, int]
"""(client_id, aggregate_version) of a ClientTransferredOut the projection applied."""


Queue = tuple[UUID, str]
"""(client_id, bapas_code): a klien's events held at one office, behind its
ClientTransferredIn there."""


@dataclass(frozen=True, slots=True)
class HeldEvent:
    """An event held back, and the queue it waits in."""

    parsed: ParsedEvent
    client_id: UUID
    bapas_code: str

    @property
    def queue(self) -> Queue:
        return self.client_id, self.bapas_code


@dataclass
class Routing:
    """What to do with the events of a batch and with those held before it."""

    apply: list[ParsedEvent] = field(default_factory=list)
    """To apply now, in order: the batch's events, each released event right after the
    ClientTransferredOut that released it."""
    duplicates: list[ParsedEvent] = field(default_factory=list)
    """Versions already applied, and copies of events held."""
    held: list[HeldEvent] = field(default_factory=list)
    """Events of the batch to hold, in the order they came."""
    released: list[HeldEvent] = field(default_factory=list)
    """Events held before the batch that are held no more (to apply, or duplicates)."""
    departures: list[Departure] = field(default_factory=list)
    """The ClientTransferredOut events among ``apply``."""


def involves_transfer(events: Iterable[ParsedEvent]) -> bool:
    """Whether a ClientTransferredOut or ClientTransferredIn is among ``events``."""
    return not TRANSFER_EVENT_TYPES.isdisjoint([parsed.event.event_type for parsed in events])


def client_named(event: Envelope[EventPayload]) -> UUID | None:
    """The klien an event names: a klien's own event, or one with a ``client_id``."""
    client_id = getattr(event.payload, "client_id", None)
    return client_id if isinstance(client_id, UUID) else None


def route_events(
    events: Sequence[ParsedEvent],
    recorded: Mapping[UUID, int],
    *,
    held: Sequence[HeldEvent] = (),
    departures: Collection[Departure] = (),
    replay: Callable[[ParsedEvent], bool | None] = lambda _: None,
) -> Routing:
    """Route a batch's ``events`` (in order) given the versions ``recorded`` (of their
    aggregates and of the held events'), the events ``held`` before (in the order they
    came) and the ``departures`` applied before; ``replay`` as for
    :func:`shared.projections.batch.newer_than_recorded`.

    With nothing held and no transfer in the batch, that is the version check alone.
    """
    if not held and not involves_transfer(events):
        new, duplicates = newer_than_recorded(events, recorded, replay=replay)
        return Routing(apply=new, duplicates=duplicates)
    router = _Router(recorded, held, departures, replay)
    for parsed in events:
        router.route(parsed)
    return router.routing()


class _Router:
    """The rules of the module, one event at a time; the state is the batch's own."""

    def __init__(
        self,
        recorded: Mapping[UUID, int],
        held: Sequence[HeldEvent],
        departures: Collection[Departure],
        replay: Callable[[ParsedEvent], bool | None],
    ) -> None:
        self._last = dict(recorded)
        self._departures = set(departures)
        self._replay = replay
        self._earlier = list(held)
        self._earlier_ids = {h.parsed.event.event_id for h in held}
        self._queues: dict[Queue, list[HeldEvent]] = {}
        self._aggregates: dict[UUID, Queue] = {}
        """Per aggregate (other than a klien) with a held event, the queue it is in."""
        self._held_ids: set[UUID] = set()
        self._new: dict[UUID, HeldEvent] = {}
        """Events of the batch held, by id, in the order they were (last) held."""
        self._apply: list[ParsedEvent] = []
        self._duplicates: list[ParsedEvent] = []
        self._applied_departures: list[Departure] = []
        for earlier in held:
            self._hold(earlier)

    def routing(self) -> Routing:
        return Routing(
            apply=self._apply,
            duplicates=self._duplicates,
            held=[h for h in self._new.values() if h.parsed.event.event_id in self._held_ids],
            released=[h for h in self._earlier if h.parsed.event.event_id not in self._held_ids],
            departures=self._applied_departures,
        )

    def route(self, parsed: ParsedEvent) -> None:
        event = parsed.event
        verdict = self._replay(parsed)
        if verdict is None:
            if event.event_id in self._held_ids:
                self._duplicates.append(parsed)
                return
            queue = self._queue_of(event)
            if queue is not None:
                self._hold(HeldEvent(parsed, *queue))
                return
            if event.aggregate_version <= self._last.get(event.aggregate_id, 0):
                self._duplicates.append(parsed)
                return
            self._last[event.aggregate_id] = event.aggregate_version
        elif not verdict:
            self._duplicates.append(parsed)
            return
        self._apply.append(parsed)
        if isinstance(event.payload, ClientTransferredOut):
            departure = (event.aggregate_id, event.aggregate_version)
            self._departures.add(departure)
            self._applied_departures.append(departure)
            self._release(event.aggregate_id, event.aggregate_version + 1)

    def _queue_of(self, event: Envelope[EventPayload]) -> Queue | None:
        """The queue ``event`` must wait in, if any."""
        client_id = client_named(event)
        if client_id is not None and (client_id, event.bapas_code) in self._queues:
            return client_id, event.bapas_code
        queue = self._aggregates.get(event.aggregate_id)
        if queue is not None:
            return queue
        if isinstance(event.payload, ClientTransferredIn) and (
            (event.aggregate_id, event.aggregate_version - 1) not in self._departures
        ):
            return event.aggregate_id, event.bapas_code
        return None

    def _hold(self, held: HeldEvent) -> None:
        event = held.parsed.event
        self._queues.setdefault(held.queue, []).append(held)
        if event.aggregate_id != held.client_id:
            self._aggregates.setdefault(event.aggregate_id, held.queue)
        self._held_ids.add(event.event_id)
        if event.event_id not in self._earlier_ids:
            self._new.pop(event.event_id, None)
            self._new[event.event_id] = held

    def _release(self, client_id: UUID, version: int) -> None:
        """After the klien's ClientTransferredOut: route again the klien's queue that
        starts with the ClientTransferredIn at ``version``, if there is one."""
        for queue, waiting in self._queues.items():
            first = waiting[0].parsed.event
            if (
                queue[0] == client_id
                and isinstance(first.payload, ClientTransferredIn)
                and first.aggregate_version == version
            ):
                break
        else:
            return
        del self._queues[queue]
        self._aggregates = {a: q for a, q in self._aggregates.items() if q != queue}
        self._held_ids.difference_update(h.parsed.event.event_id for h in waiting)
        for held in waiting:
            self.route(held.parsed)
