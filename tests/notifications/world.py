"""The pokmas and enrolment events a test feeds the notifications service, published
on their real topics as those services would publish them.

A :class:`World` is one Pokmas with an MoU and a programme, and one klien with a PK
officer enrolled in it, each with fresh ids and e-mail addresses, so a test recognises
its own messages among those of the other tests sharing the topics.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from shared.events.enrolment import (
    Assessment,
    ClientEnrolled,
    ClientReleased,
    EnrolmentSuspended,
    IntegrationType,
    PkOfficer,
    TrainingCompleted,
    TrainingWithdrawn,
    WithdrawalReason,
)
from shared.events.envelope import Actor, Envelope, EventPayload, new_envelope
from shared.events.pokmas import (
    Contact,
    MoUExpired,
    MoUSigned,
    MoUTerminated,
    PokmasKind,
    PokmasRegistered,
    ProgrammeOpened,
)
from shared.events.registry import kafka_headers, parse_event
from shared.kafka.admin import topic_partitions
from shared.kafka.connection import KafkaConnection
from shared.kafka.topics import NOTIFICATIONS_EVENTS, TOPIC_OF_SERVICE
from shared.reference import bapas_office, today_in

Event = Envelope[EventPayload]


class EventPublisher:
    """Publishes envelopes on their service's topic, numbering each aggregate's versions."""

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self._producer = producer
        self._versions: Counter[UUID] = Counter()

    async def publish(
        self, payload: EventPayload, *, bapas_code: str, recorded_at: datetime | None = None
    ) -> Event:
        self._versions[payload.aggregate_id] += 1
        now = datetime.now(UTC)
        envelope = new_envelope(
            payload,
            bapas_code=bapas_code,
            aggregate_version=self._versions[payload.aggregate_id],
            correlation_id=uuid4(),
            actor=Actor(role="bapas_officer", sub="officer-test"),
            occurred_at=recorded_at or now,
            recorded_at=recorded_at or now,
        )
        await self.send(envelope)
        return envelope

    async def send(self, envelope: Event) -> None:
        """Put the envelope on its topic (again, if it was published before)."""
        await self._producer.send_and_wait(
            TOPIC_OF_SERVICE[envelope.source.value],
            envelope.model_dump_json().encode(),
            key=envelope.bapas_code.encode(),
            headers=kafka_headers(
                event_id=envelope.event_id,
                event_type=envelope.event_type,
                schema_version=envelope.schema_version,
            ),
        )


@asynccontextmanager
async def event_publisher(bootstrap: str) -> AsyncIterator[EventPublisher]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        yield EventPublisher(producer)
    finally:
        await producer.stop()


async def notification_events(bootstrap: str) -> list[Event]:
    """Every event on ``notifications.events.v1`` up to its current end."""
    partitions = await topic_partitions(KafkaConnection.to(bootstrap), [NOTIFICATIONS_EVENTS])
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        events: list[Event] = []
        while [tp for tp in partitions if await consumer.position(tp) < end[tp]]:
            batches = await consumer.getmany(*partitions, timeout_ms=500)
            events.extend(
                parse_event(message.value) for messages in batches.values() for message in messages
            )
        return events
    finally:
        await consumer.stop()


@dataclass
class World:
    """One Pokmas, its MoU and programme, one klien and its PK officer, and an enrolment."""

    bapas_code: str = "balikpapan"
    officer_email: str | None = field(
        default_factory=lambda: f"pk-{uuid4().hex[:10]}@bapas.example"
    )
    officer_phone: str | None = "+62 811 5400 0001"
    supervision_ends_on: date | None = None
    mou_valid_until: date | None = None
    tag: str = field(default_factory=lambda: uuid4().hex[:10])
    pokmas_id: UUID = field(default_factory=uuid4)
    mou_id: UUID = field(default_factory=uuid4)
    programme_id: UUID = field(default_factory=uuid4)
    client_id: UUID = field(default_factory=uuid4)
    enrolment_id: UUID = field(default_factory=uuid4)

    @property
    def today(self) -> date:
        return today_in(self.bapas_code, datetime.now(UTC))

    @property
    def pokmas_email(self) -> str:
        return f"pokmas-{self.tag}@pokmas.example"

    @property
    def office_email(self) -> str:
        return bapas_office(self.bapas_code).email

    @property
    def register_number(self) -> str:
        return f"PB {self.tag[:6]}/2026"

    @property
    def mou_number(self) -> str:
        return f"PKS/{self.tag[:6]}/2026"

    def pokmas_registered(self) -> PokmasRegistered:
        return PokmasRegistered(
            pokmas_id=self.pokmas_id,
            name=f"Pokmas Maju Bersama {self.tag[:4]}",
            kind=PokmasKind.ORGANISATION,
            contact=Contact(name="Ibu Sari", phone="+62 812 5555 0101", email=self.pokmas_email),
            address="Jl. Jenderal Sudirman 1, Balikpapan",
            skills=("ac_repair", "welding"),
        )

    def mou_signed(self) -> MoUSigned:
        return MoUSigned(
            mou_id=self.mou_id,
            pokmas_id=self.pokmas_id,
            number=self.mou_number,
            signed_on=self.today,
            valid_from=self.today,
            valid_until=self.mou_valid_until or self.today + timedelta(days=365),
            scope=("ac_repair", "welding"),
        )

    def programme_opened(self) -> ProgrammeOpened:
        return ProgrammeOpened(
            programme_id=self.programme_id,
            pokmas_id=self.pokmas_id,
            mou_id=self.mou_id,
            skill="ac_repair",
            title="Servis AC Dasar",
            capacity=10,
            starts_on=self.today,
            ends_on=self.today + timedelta(days=60),
            sessions_planned=12,
            location="Balai Latihan Kerja Balikpapan",
        )

    def client_released(self) -> ClientReleased:
        return ClientReleased(
            client_id=self.client_id,
            register_number=self.register_number,
            integration_type=IntegrationType.PB,
            released_on=self.today,
            supervision_ends_on=self.supervision_ends_on or self.today + timedelta(days=365),
            pk_officer=PkOfficer(
                id=f"NIP-{self.tag}",
                name="Bapak Budi Santoso",
                email=self.officer_email,
                phone=self.officer_phone,
            ),
        )

    def client_enrolled(self) -> ClientEnrolled:
        return ClientEnrolled(
            enrolment_id=self.enrolment_id,
            client_id=self.client_id,
            programme_id=self.programme_id,
            pokmas_id=self.pokmas_id,
            enrolled_on=self.today,
        )

    def training_completed(self) -> TrainingCompleted:
        return TrainingCompleted(
            enrolment_id=self.enrolment_id,
            client_id=self.client_id,
            programme_id=self.programme_id,
            completed_on=self.today,
            assessment=Assessment.COMPETENT,
            certificate_number=f"SERT-{self.tag[:6]}",
        )

    def training_withdrawn(self) -> TrainingWithdrawn:
        return TrainingWithdrawn(
            enrolment_id=self.enrolment_id,
            client_id=self.client_id,
            programme_id=self.programme_id,
            withdrawn_on=self.today,
            reason_code=WithdrawalReason.EMPLOYED,
        )

    def enrolment_suspended(self) -> EnrolmentSuspended:
        return EnrolmentSuspended(
            enrolment_id=self.enrolment_id,
            programme_id=self.programme_id,
            mou_id=self.mou_id,
            reason="MoUTerminated",
        )

    def mou_terminated(self) -> MoUTerminated:
        return MoUTerminated(
            mou_id=self.mou_id, effective_on=self.today, reason="Pokmas membubarkan diri"
        )

    def mou_expired(self) -> MoUExpired:
        return MoUExpired(mou_id=self.mou_id, expired_on=self.today)

    def setup(self) -> list[EventPayload]:
        """The events that make the world: Pokmas, MoU, programme, klien, enrolment."""
        return [
            self.pokmas_registered(),
            self.mou_signed(),
            self.programme_opened(),
            self.client_released(),
            self.client_enrolled(),
        ]

    async def publish(self, publisher: EventPublisher, payload: EventPayload) -> Event:
        return await publisher.publish(payload, bapas_code=self.bapas_code)

    async def publish_setup(self, publisher: EventPublisher, *, until: str | None = None) -> Event:
        """Publish the world's events, stopping after the one of type ``until``; the last
        one published is returned."""
        published: Event | None = None
        for payload in self.setup():
            published = await self.publish(publisher, payload)
            if payload.event_type == until:
                break
        assert published is not None
        return published
