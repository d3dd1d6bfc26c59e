"""The rules that keep a klien's events in order across a transfer between offices.

A projection consumer may read the new office's partition before the old one's. These
tests feed batches to :func:`route_events` in such orders, keeping what it holds between
batches as the applier keeps it in PostgreSQL, and check that the events applied are, klien
by klien, those of the klien's story in order: nothing lost, nothing applied twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from uuid import UUID, uuid4

from shared.events.enrolment import (
    AttendanceRecorded,
    AttendanceStatus,
    ClientEnrolled,
    ClientReleased,
    ClientTransferredIn,
    ClientTransferredOut,
    IntegrationType,
    PkOfficer,
    ReportChannel,
    ReportingScheduled,
    ReportRecorded,
    ReportStatus,
    TrainingWithdrawn,
    WithdrawalReason,
)
from shared.events.envelope import Actor, EventPayload, new_envelope
from shared.projections.batch import last_versions
from shared.projections.parsing import ParsedEvent
from shared.projections.transfers import Departure, HeldEvent, Routing, route_events

DAY = date(2025, 3, 3)
ACTOR = Actor(role="bapas_officer", sub="pk-transfer")


@dataclass(frozen=True)
class Message:
    """Where an event was read; the rules never look inside."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]] = ()


@dataclass
class Story:
    """Events as the enrolment service records them: each aggregate's versions in turn."""

    versions: Counter[UUID] = field(default_factory=Counter)
    offsets: Counter[str] = field(default_factory=Counter)

    def record(self, payload: EventPayload, office: str) -> ParsedEvent:
        self.versions[payload.aggregate_id] += 1
        self.offsets[office] += 1
        envelope = new_envelope(
            payload,
            bapas_code=office,
            aggregate_version=self.versions[payload.aggregate_id],
            correlation_id=uuid4(),
            actor=ACTOR,
            occurred_at=datetime(2025, 3, 3, tzinfo=UTC),
        )
        message = Message("enrolment.events.v1", 0, self.offsets[office], office.encode(), b"")
        return ParsedEvent(message, envelope)

    def released(self, client_id: UUID, office: str) -> ParsedEvent:
        return self.record(
            ClientReleased(
                client_id=client_id,
                register_number="PB-1/2025",
                integration_type=IntegrationType.PB,
                released_on=DAY,
                supervision_ends_on=date(2026, 3, 3),
                pk_officer=PkOfficer(id="pk-1", name="Ibu Rina"),
            ),
            office,
        )

    def scheduled(self, client_id: UUID, office: str) -> ParsedEvent:
        return self.record(
            ReportingScheduled(client_id=client_id, first_due_on=DAY, every_days=30), office
        )

    def reported(self, client_id: UUID, office: str) -> ParsedEvent:
        return self.record(
            ReportRecorded(
                client_id=client_id,
                due_on=DAY,
                reported_on=DAY,
                status=ReportStatus.REPORTED,
                channel=ReportChannel.IN_PERSON,
            ),
            office,
        )

    def enrolled(self, client_id: UUID, enrolment_id: UUID, office: str) -> ParsedEvent:
        return self.record(
            ClientEnrolled(
                enrolment_id=enrolment_id,
                client_id=client_id,
                programme_id=uuid4(),
                pokmas_id=uuid4(),
                enrolled_on=DAY,
            ),
            office,
        )

    def attended(self, enrolment_id: UUID, office: str) -> ParsedEvent:
        return self.record(
            AttendanceRecorded(
                enrolment_id=enrolment_id,
                session_no=1,
                session_date=DAY,
                status=AttendanceStatus.PRESENT,
            ),
            office,
        )

    def withdrawn(self, client_id: UUID, enrolment_id: UUID, office: str) -> ParsedEvent:
        return self.record(
            TrainingWithdrawn(
                enrolment_id=enrolment_id,
                client_id=client_id,
                programme_id=uuid4(),
                withdrawn_on=DAY,
                reason_code=WithdrawalReason.MOVED,
            ),
            office,
        )

    def moved(self, client_id: UUID, old: str, new: str) -> tuple[ParsedEvent, ParsedEvent]:
        """The ClientTransferredOut keyed by the old office, the In by the new one."""
        out = self.record(
            ClientTransferredOut(client_id=client_id, to_bapas_code=new, transferred_on=DAY),
            old,
        )
        into = self.record(
            ClientTransferredIn(client_id=client_id, from_bapas_code=old, transferred_on=DAY),
            new,
        )
        return out, into


@dataclass
class Consumer:
    """One projection's tracking state between batches, as the applier keeps it."""

    versions: dict[UUID, int] = field(default_factory=dict)
    held: list[HeldEvent] = field(default_factory=list)
    departures: set[Departure] = field(default_factory=set)
    applied: list[ParsedEvent] = field(default_factory=list)

    def read(self, *batch: ParsedEvent) -> Routing:
        routing = route_events(
            list(batch), self.versions, held=self.held, departures=self.departures
        )
        for aggregate_id, version in last_versions(routing.apply).items():
            self.versions[aggregate_id] = max(version, self.versions.get(aggregate_id, 0))
        released = {id(h) for h in routing.released}
        self.held = [h for h in self.held if id(h) not in released] + routing.held
        self.departures.update(routing.departures)
        self.applied.extend(routing.apply)
        return routing


def ids(events: Sequence[ParsedEvent]) -> list[UUID]:
    return [p.event.event_id for p in events]


def test_a_transfer_out_read_before_the_transfer_in_holds_nothing() -> None:
    story, klien = Story(), uuid4()
    old = [story.released(klien, "balikpapan"), story.scheduled(klien, "balikpapan")]
    out, into = story.moved(klien, "balikpapan", "makassar")
    new = [into, story.reported(klien, "makassar")]
    consumer = Consumer()

    first = consumer.read(*old, out)
    second = consumer.read(*new)

    assert (first.held, second.held, second.released) == ([], [], [])
    assert ids(consumer.applied) == ids([*old, out, *new])
    assert first.departures == [(klien, 3)]


def test_the_new_office_read_first_is_held_then_applied_in_order_after_the_transfer_out() -> None:
    story, klien, other = Story(), uuid4(), uuid4()
    first_enrolment, second_enrolment = uuid4(), uuid4()
    old = [
        story.released(klien, "balikpapan"),
        story.enrolled(klien, first_enrolment, "balikpapan"),
        story.scheduled(klien, "balikpapan"),
        story.withdrawn(klien, first_enrolment, "balikpapan"),
    ]
    out, into = story.moved(klien, "balikpapan", "makassar")
    new = [
        into,
        story.reported(klien, "makassar"),
        story.enrolled(klien, second_enrolment, "makassar"),
        story.attended(second_enrolment, "makassar"),
    ]
    unrelated = story.released(other, "makassar")
    consumer = Consumer()

    ahead = consumer.read(new[0], new[1], unrelated, new[2], new[3])
    behind = consumer.read(*old, out)

    assert ids(ahead.apply) == ids([unrelated])
    assert [h.parsed for h in ahead.held] == new
    assert {h.queue for h in ahead.held} == {(klien, "makassar")}
    assert ids(behind.apply) == ids([*old, out, *new])
    assert [h.parsed for h in behind.released] == new
    assert (behind.held, consumer.held) == ([], [])


def test_events_that_name_the_klien_after_the_transfer_in_wait_behind_it_in_one_batch() -> None:
    story, klien, enrolment = Story(), uuid4(), uuid4()
    released = story.released(klien, "balikpapan")
    out, into = story.moved(klien, "balikpapan", "makassar")
    enrolled = story.enrolled(klien, enrolment, "makassar")
    attended = story.attended(enrolment, "makassar")
    consumer = Consumer()

    routing = consumer.read(into, enrolled, attended, released, out)

    assert ids(routing.apply) == ids([released, out, into, enrolled, attended])
    assert (routing.held, routing.released) == ([], [])


def test_two_transfers_read_in_reverse_order_chain_their_releases() -> None:
    story, klien = Story(), uuid4()
    at_balikpapan = [story.released(klien, "balikpapan"), story.scheduled(klien, "balikpapan")]
    first_out, first_in = story.moved(klien, "balikpapan", "makassar")
    at_makassar = [first_in, story.reported(klien, "makassar")]
    second_out, second_in = story.moved(klien, "makassar", "samarinda")
    at_samarinda = [second_in, story.reported(klien, "samarinda")]
    consumer = Consumer()

    last = consumer.read(*at_samarinda)
    middle = consumer.read(*at_makassar, second_out)
    first = consumer.read(*at_balikpapan, first_out)

    assert (last.apply, middle.apply) == ([], [])
    assert {h.queue for h in consumer.held} == set()
    assert {h.queue for h in [*last.held, *middle.held]} == {
        (klien, "samarinda"),
        (klien, "makassar"),
    }
    story_in_order = [*at_balikpapan, first_out, *at_makassar, second_out, *at_samarinda]
    assert ids(first.apply) == ids(story_in_order)
    assert first.departures == [(klien, 3), (klien, 6)]


def test_a_second_transfer_read_before_its_transfer_out_stays_held_after_the_first() -> None:
    story, klien = Story(), uuid4()
    released = story.released(klien, "balikpapan")
    first_out, first_in = story.moved(klien, "balikpapan", "makassar")
    second_out, second_in = story.moved(klien, "makassar", "samarinda")
    after = story.reported(klien, "samarinda")
    consumer = Consumer()

    consumer.read(second_in, after)
    consumer.read(first_in)
    consumer.read(released, first_out)
    waiting = [h.parsed for h in consumer.held]
    consumer.read(second_out)

    assert waiting == [second_in, after]
    assert ids(consumer.applied) == ids(
        [released, first_out, first_in, second_out, second_in, after]
    )
    assert consumer.held == []


def test_a_klien_back_at_an_office_it_left_waits_there_again_once_released() -> None:
    story, klien = Story(), uuid4()
    released = story.released(klien, "balikpapan")
    first_out, first_in = story.moved(klien, "balikpapan", "makassar")
    reported = story.reported(klien, "makassar")
    second_out, second_in = story.moved(klien, "makassar", "samarinda")
    third_out, third_in = story.moved(klien, "samarinda", "makassar")
    back = story.reported(klien, "makassar")
    consumer = Consumer()

    consumer.read(first_in, reported, second_out, third_in, back)
    release = consumer.read(released, first_out)
    rest = consumer.read(second_in, third_out)

    assert ids(release.apply) == ids([released, first_out, first_in, reported, second_out])
    assert [h.parsed for h in release.released] == [first_in, reported, second_out]
    assert release.held == []
    assert [h.parsed for h in rest.released] == [third_in, back]
    assert ids(consumer.applied) == ids(
        [released, first_out, first_in, reported, second_out, second_in, third_out, third_in, back]
    )


def test_a_copy_of_a_held_event_is_not_held_twice_nor_applied_twice() -> None:
    story, klien = Story(), uuid4()
    released = story.released(klien, "balikpapan")
    out, into = story.moved(klien, "balikpapan", "makassar")
    reported = story.reported(klien, "makassar")
    consumer = Consumer()

    first = consumer.read(into, reported)
    copies = consumer.read(into, reported)
    release = consumer.read(released, out, reported)
    late_copies = consumer.read(into, out, reported)

    assert ids(copies.duplicates) == ids([into, reported])
    assert (copies.held, copies.apply) == ([], [])
    assert [h.parsed for h in first.held] == [into, reported]
    assert ids(release.apply) == ids([released, out, into, reported])
    assert ids(release.duplicates) == ids([reported])
    assert ids(late_copies.duplicates) == ids([into, out, reported])
    assert ids(consumer.applied) == ids([released, out, into, reported])


def test_a_released_event_whose_version_is_applied_already_is_a_duplicate() -> None:
    story, klien, enrolment = Story(), uuid4(), uuid4()
    released = story.released(klien, "balikpapan")
    out, into = story.moved(klien, "balikpapan", "makassar")
    enrolled = story.enrolled(klien, enrolment, "makassar")
    held = [HeldEvent(into, klien, "makassar"), HeldEvent(enrolled, klien, "makassar")]
    applied_meanwhile = {klien: released.event.aggregate_version, enrolment: 1}

    routing = route_events([out], applied_meanwhile, held=held, departures=set())

    assert ids(routing.apply) == ids([out, into])
    assert ids(routing.duplicates) == ids([enrolled])
    assert routing.released == held


def test_other_klien_are_untouched_by_a_klien_on_hold() -> None:
    story, moving, staying, elsewhere = Story(), uuid4(), uuid4(), uuid4()
    enrolment = uuid4()
    _, into = story.moved(moving, "balikpapan", "makassar")
    others = [
        story.released(staying, "makassar"),
        story.enrolled(staying, enrolment, "makassar"),
        story.attended(enrolment, "makassar"),
        story.released(elsewhere, "balikpapan"),
    ]
    consumer = Consumer()

    routing = consumer.read(into, *others)

    assert ids(routing.apply) == ids(others)
    assert [h.parsed for h in routing.held] == [into]
