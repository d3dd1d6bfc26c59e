"""What the enrolment tests share: callers, dates at the office, klien bodies, a feed
that publishes pokmas events as the pokmas service would, shortcuts through the API,
and the service's events on Kafka."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from shared.events.envelope import Actor, Envelope, EventPayload, new_envelope
from shared.events.pokmas import (
    Contact,
    MoUExpired,
    MoURenewed,
    MoUSigned,
    MoUTerminated,
    PokmasKind,
    PokmasRegistered,
    ProgrammeClosed,
    ProgrammeOpened,
)
from shared.events.registry import InvalidEvent, UnknownEventType, kafka_headers, parse_event
from shared.http import Role
from shared.kafka.topics import ENROLMENT_EVENTS, POKMAS_EVENTS
from shared.reference import today_in
from tests.support.service_app import bearer

BAPAS = "balikpapan"
WAIT_SECONDS = 30.0
Event = Envelope[EventPayload]


def officer(bapas_code: str = BAPAS) -> dict[str, str]:
    return bearer(Role.BAPAS_OFFICER, bapas=bapas_code, sub=f"pk-{bapas_code}")


OFFICER = officer()


def today(bapas_code: str = BAPAS) -> date:
    """Today at the office, the day every date rule of the service counts from."""
    return today_in(bapas_code, datetime.now(UTC))


def days(count: int, bapas_code: str = BAPAS) -> date:
    """The date ``count`` days from today at the office."""
    return today(bapas_code) + timedelta(days=count)


def new_nik() -> str:
    return "64" + "".join(secrets.choice("0123456789") for _ in range(14))


def new_name() -> str:
    return f"Budi Santoso {secrets.token_hex(4)}"


def client_body(bapas_code: str = BAPAS, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "bapas_code": bapas_code,
        "register_number": f"BPP/{secrets.token_hex(3)}/2025",
        "integration_type": "PB",
        "released_on": days(-30, bapas_code).isoformat(),
        "supervision_ends_on": days(300, bapas_code).isoformat(),
        "pk_officer": {
            "id": "198501012010011001",
            "name": "Andi Wijaya",
            "email": "andi@bapas.example",
        },
        "profile": {
            "full_name": new_name(),
            "nik": new_nik(),
            "phone": "+62 812 7777 1234",
            "address": "Jl. Ahmad Yani 7, Balikpapan",
        },
    }
    body.update(changes)
    return body


@dataclass(frozen=True)
class Programme:
    """A programme the feed opened, with the ids and terms the tests need."""

    bapas_code: str
    pokmas_id: UUID
    mou_id: UUID
    programme_id: UUID
    starts_on: date
    ends_on: date
    capacity: int
    sessions_planned: int

    @property
    def partner(self) -> dict[str, str]:
        """The headers of this programme's Pokmas partner."""
        return bearer(
            Role.POKMAS_PARTNER,
            bapas=self.bapas_code,
            pokmas_id=self.pokmas_id,
            sub=f"partner-{self.pokmas_id}",
        )


_ACTOR = Actor(role="bapas_officer", sub="pokmas-test-feed")
_CONTACT = Contact(name="Ibu Sari", phone="+62 812 5555 0101", email="sari@pokmas.example")


@dataclass
class PokmasFeed:
    """Publishes pokmas events to ``pokmas.events.v1`` as the pokmas service's relay does
    (key, headers, per-aggregate versions), for the enrolment service's projection."""

    producer: AIOKafkaProducer
    api: httpx.AsyncClient
    _versions: dict[UUID, int] = field(default_factory=dict)

    async def publish(self, bapas_code: str, payload: EventPayload) -> Event:
        version = self._versions.get(payload.aggregate_id, 0) + 1
        self._versions[payload.aggregate_id] = version
        event = new_envelope(
            payload,
            bapas_code=bapas_code,
            aggregate_version=version,
            correlation_id=uuid4(),
            actor=_ACTOR,
            occurred_at=datetime.now(UTC),
        )
        await self.deliver(event)
        return event

    async def deliver(self, event: Event) -> None:
        """Send ``event`` (again, for a redelivery) and wait for Kafka's acknowledgement."""
        await self.producer.send_and_wait(
            POKMAS_EVENTS,
            key=event.bapas_code.encode(),
            value=event.model_dump_json().encode(),
            headers=kafka_headers(
                event_id=event.event_id,
                event_type=event.event_type,
                schema_version=event.schema_version,
            ),
        )

    async def open_programme(
        self,
        bapas_code: str = BAPAS,
        *,
        capacity: int = 10,
        starts_in: int = -10,
        lasts: int = 60,
        sessions_planned: int = 8,
        under: Programme | None = None,
        mou_valid_from: int = -60,
        mou_valid_until: int = 365,
    ) -> Programme:
        """Register a Pokmas, sign an MoU and open a programme in it; ``under`` another
        programme, open it with that one's Pokmas and MoU instead."""
        if under is None:
            pokmas_id, mou_id = uuid4(), uuid4()
            await self.publish(
                bapas_code,
                PokmasRegistered(
                    pokmas_id=pokmas_id,
                    name="Pokmas Maju Bersama",
                    kind=PokmasKind.ORGANISATION,
                    contact=_CONTACT,
                    address="Jl. Jenderal Sudirman 1",
                    skills=("ac_repair",),
                ),
            )
            await self.publish(
                bapas_code,
                MoUSigned(
                    mou_id=mou_id,
                    pokmas_id=pokmas_id,
                    number=f"PKS/{secrets.token_hex(3)}",
                    signed_on=days(mou_valid_from, bapas_code),
                    valid_from=days(mou_valid_from, bapas_code),
                    valid_until=days(mou_valid_until, bapas_code),
                    scope=("ac_repair", "car_upholstery"),
                ),
            )
        else:
            pokmas_id, mou_id = under.pokmas_id, under.mou_id
        programme = Programme(
            bapas_code=bapas_code,
            pokmas_id=pokmas_id,
            mou_id=mou_id,
            programme_id=uuid4(),
            starts_on=days(starts_in, bapas_code),
            ends_on=days(starts_in + lasts, bapas_code),
            capacity=capacity,
            sessions_planned=sessions_planned,
        )
        await self.publish(
            bapas_code,
            ProgrammeOpened(
                programme_id=programme.programme_id,
                pokmas_id=pokmas_id,
                mou_id=mou_id,
                skill="ac_repair",
                title="Servis AC dasar",
                capacity=capacity,
                starts_on=programme.starts_on,
                ends_on=programme.ends_on,
                sessions_planned=sessions_planned,
                location="Bengkel Pokmas, Balikpapan",
            ),
        )
        return programme

    async def terminate_mou(self, programme: Programme) -> Event:
        return await self.publish(
            programme.bapas_code,
            MoUTerminated(
                mou_id=programme.mou_id,
                effective_on=today(programme.bapas_code),
                reason="Pokmas tidak lagi aktif",
            ),
        )

    async def expire_mou(self, programme: Programme) -> Event:
        return await self.publish(
            programme.bapas_code,
            MoUExpired(mou_id=programme.mou_id, expired_on=today(programme.bapas_code)),
        )

    async def renew_mou(self, programme: Programme) -> Event:
        return await self.publish(
            programme.bapas_code,
            MoURenewed(
                mou_id=programme.mou_id,
                valid_until=days(730, programme.bapas_code),
                renewed_on=today(programme.bapas_code),
            ),
        )

    async def close_programme(self, programme: Programme) -> Event:
        return await self.publish(
            programme.bapas_code,
            ProgrammeClosed(
                programme_id=programme.programme_id,
                closed_on=today(programme.bapas_code),
                reason="Pelatihan dihentikan",
            ),
        )

    async def until_applied(self, bapas_code: str = BAPAS) -> None:
        """Wait until the service has applied every event published so far for this Bapas.

        Events of one Bapas share a partition and are applied in order: once a sentinel
        programme published now is known (a klien can be enrolled in it), so is
        everything published before it.
        """
        sentinel = await self.open_programme(bapas_code)
        client_id = await release_client(self.api, bapas_code)
        response = await enrol(self.api, client_id, sentinel)
        assert response.status_code == 201, response.text


async def release_client(api: httpx.AsyncClient, bapas_code: str = BAPAS, **changes: Any) -> UUID:
    response = await api.post(
        "/api/v1/clients", json=client_body(bapas_code, **changes), headers=officer(bapas_code)
    )
    assert response.status_code == 201, response.text
    return UUID(response.json()["id"])


def _programme_unknown(response: httpx.Response) -> bool:
    return response.status_code == 422 and any(
        error["field"] == "body.programme_id" for error in response.json().get("errors", [])
    )


async def enrol(
    api: httpx.AsyncClient,
    client_id: UUID,
    programme: Programme,
    *,
    enrolled_on: date | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """Enrol the klien, waiting (bounded) until the service has learnt of the programme."""
    body = {
        "programme_id": str(programme.programme_id),
        "enrolled_on": (enrolled_on or today(programme.bapas_code)).isoformat(),
    }
    async with asyncio.timeout(WAIT_SECONDS):
        while True:
            response = await api.post(
                f"/api/v1/clients/{client_id}/enrolments",
                json=body,
                headers=headers or officer(programme.bapas_code),
            )
            if not _programme_unknown(response):
                return response
            await asyncio.sleep(0.1)


async def enrolled_klien(api: httpx.AsyncClient, programme: Programme) -> tuple[UUID, UUID]:
    """A new klien enrolled in ``programme``: (client_id, enrolment_id)."""
    client_id = await release_client(api, programme.bapas_code)
    response = await enrol(api, client_id, programme)
    assert response.status_code == 201, response.text
    return client_id, UUID(response.json()["id"])


async def enrolment(
    api: httpx.AsyncClient, enrolment_id: UUID, headers: dict[str, str] = OFFICER
) -> dict[str, Any]:
    response = await api.get(f"/api/v1/enrolments/{enrolment_id}", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def wait_for_status(
    api: httpx.AsyncClient, enrolment_id: UUID, status: str, headers: dict[str, str] = OFFICER
) -> dict[str, Any]:
    """The enrolment once it reads ``status`` (bounded wait)."""
    async with asyncio.timeout(WAIT_SECONDS):
        while True:
            found = await enrolment(api, enrolment_id, headers)
            if found["status"] == status:
                return found
            await asyncio.sleep(0.1)


def attendance_body(
    session_no: int, programme: Programme, status: str = "present"
) -> dict[str, Any]:
    return {
        "session_no": session_no,
        "session_date": programme.starts_on.isoformat(),
        "status": status,
    }


async def attend(
    api: httpx.AsyncClient,
    enrolment_id: UUID,
    programme: Programme,
    sessions: Collection[int],
    status: str = "present",
) -> None:
    for session_no in sessions:
        response = await api.post(
            f"/api/v1/enrolments/{enrolment_id}/attendance",
            json=attendance_body(session_no, programme, status),
            headers=OFFICER,
        )
        assert response.status_code == 201, response.text


async def _reached(consumer: AIOKafkaConsumer, ends: dict[Any, int]) -> bool:
    for partition, end in ends.items():
        if await consumer.position(partition) < end:
            return False
    return True


async def enrolment_topic_messages(
    bootstrap: str, aggregate_ids: Collection[UUID], count: int
) -> list[tuple[bytes, Event]]:
    """The events of ``aggregate_ids`` on ``enrolment.events.v1`` (raw value and parsed),
    in order: read from the start until ``count`` of them have arrived, then to the end
    of the topic as it is then, so that an event too many is seen too."""
    wanted = set(aggregate_ids)
    consumer = AIOKafkaConsumer(
        ENROLMENT_EVENTS,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    found: list[tuple[bytes, Event]] = []
    ends: dict[Any, int] | None = None
    try:
        async with asyncio.timeout(WAIT_SECONDS):
            while ends is None or not await _reached(consumer, ends):
                batches = await consumer.getmany(timeout_ms=500)
                for messages in batches.values():
                    for message in messages:
                        try:
                            event = parse_event(message.value)
                        except (InvalidEvent, UnknownEventType):
                            continue  # another suite's test message
                        if event.aggregate_id in wanted:
                            found.append((message.value, event))
                if ends is None and len(found) >= count:
                    ends = await consumer.end_offsets(list(consumer.assignment()))
    finally:
        await consumer.stop()
    return found
