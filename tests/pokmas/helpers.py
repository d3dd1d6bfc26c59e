"""What the pokmas tests share: callers, valid request bodies, shortcuts that register a
Pokmas, sign an MoU or open a programme through the API, and the events on Kafka."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
from aiokafka import AIOKafkaConsumer

from shared.events.envelope import Envelope, EventPayload
from shared.events.registry import parse_event
from shared.http import Role
from shared.kafka.connection import KafkaConnection
from shared.kafka.topics import POKMAS_EVENTS
from shared.reference import today_in
from tests.support.service_app import bearer

BAPAS = "balikpapan"
OFFICER = bearer(Role.BAPAS_OFFICER, bapas=BAPAS, sub="pk-balikpapan")

Event = Envelope[EventPayload]


def today(bapas_code: str = BAPAS) -> date:
    """Today at the office, the day every date rule of the service counts from."""
    return today_in(bapas_code, datetime.now(UTC))


def days(count: int, bapas_code: str = BAPAS) -> str:
    """The ISO date ``count`` days from today at the office."""
    return (today(bapas_code) + timedelta(days=count)).isoformat()


def pokmas_body(bapas_code: str = BAPAS, **changes: Any) -> dict[str, Any]:
    return {
        "bapas_code": bapas_code,
        "name": "Pokmas Maju Bersama",
        "kind": "organisation",
        "registration_number": "AHU-0012345.AH.01.07.2023",
        "contact": {"name": "Ibu Sari", "phone": "+62 812 5555 0101", "email": "sari@maju.example"},
        "address": "Jl. Jenderal Sudirman 1, Balikpapan",
        "skills": ["ac_repair", "car_upholstery", "wallpaper_installation"],
        **changes,
    }


def mou_body(**changes: Any) -> dict[str, Any]:
    return {
        "number": "PKS/BPP/001/2025",
        "signed_on": days(0),
        "valid_from": days(0),
        "valid_until": days(365),
        "scope": ["ac_repair", "car_upholstery"],
        **changes,
    }


def programme_body(mou_id: UUID, **changes: Any) -> dict[str, Any]:
    return {
        "mou_id": str(mou_id),
        "skill": "ac_repair",
        "title": "Servis AC split untuk pemula",
        "capacity": 12,
        "starts_on": days(7),
        "ends_on": days(60),
        "sessions_planned": 16,
        "location": "Bengkel Maju, Jl. MT Haryono 5, Balikpapan",
        **changes,
    }


def created_id(response: httpx.Response) -> UUID:
    assert response.status_code == 201, response.text
    return UUID(response.json()["id"])


async def register_pokmas(
    client: httpx.AsyncClient, bapas_code: str = BAPAS, **changes: Any
) -> UUID:
    headers = bearer(Role.BAPAS_OFFICER, bapas=bapas_code)
    body = pokmas_body(bapas_code, **changes)
    return created_id(await client.post("/api/v1/pokmas", json=body, headers=headers))


async def sign_mou(
    client: httpx.AsyncClient, pokmas_id: UUID, bapas_code: str = BAPAS, **changes: Any
) -> UUID:
    headers = bearer(Role.BAPAS_OFFICER, bapas=bapas_code)
    response = await client.post(
        f"/api/v1/pokmas/{pokmas_id}/mous", json=mou_body(**changes), headers=headers
    )
    return created_id(response)


async def open_programme(
    client: httpx.AsyncClient,
    pokmas_id: UUID,
    mou_id: UUID,
    headers: dict[str, str] = OFFICER,
    **changes: Any,
) -> UUID:
    response = await client.post(
        f"/api/v1/pokmas/{pokmas_id}/programmes",
        json=programme_body(mou_id, **changes),
        headers=headers,
    )
    return created_id(response)


async def partner_with_mou(
    client: httpx.AsyncClient, bapas_code: str = BAPAS, **mou_changes: Any
) -> tuple[UUID, UUID]:
    """A registered Pokmas and an active MoU with it: (pokmas_id, mou_id)."""
    pokmas_id = await register_pokmas(client, bapas_code)
    return pokmas_id, await sign_mou(client, pokmas_id, bapas_code, **mou_changes)


async def published_events(
    kafka: str | KafkaConnection,
    aggregate_ids: Collection[UUID],
    count: int,
    *,
    topic: str = POKMAS_EVENTS,
) -> list[tuple[bytes | None, Event]]:
    """(key, event) of every event of these aggregates on the topic, in partition order,
    once at least ``count`` are there: read up to the end of each partition, so an
    event published twice shows twice. ``kafka`` is a bootstrap list, or a connection
    (with its security settings)."""
    connection = kafka if isinstance(kafka, KafkaConnection) else KafkaConnection.to(kafka)
    consumer = AIOKafkaConsumer(
        topic,
        **connection.client_options(),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    found: list[tuple[bytes | None, Event]] = []

    async def read(timeout_ms: int) -> None:
        for records in (await consumer.getmany(timeout_ms=timeout_ms)).values():
            for record in records:
                event = parse_event(record.value or b"")
                if event.aggregate_id in aggregate_ids:
                    found.append((record.key, event))

    try:
        async with asyncio.timeout(30):
            while len(found) < count:
                await read(500)
            ends = await consumer.end_offsets(list(consumer.assignment()))
            for partition, end in ends.items():
                while await consumer.position(partition) < end:
                    await read(200)
    finally:
        await consumer.stop()
    return found
