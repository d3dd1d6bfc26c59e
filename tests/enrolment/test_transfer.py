"""A klien's transfer to another Bapas: access moves with the klien (the old office's
officers get 404 on reads and 403 on writes, the new office's read and write the klien
and its profile), open enrolments at the old office end with reason ``moved``, and the
move is published under the old office's key, what follows under the new one's."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import httpx
from aiokafka import AIOKafkaConsumer
from aiokafka.partitioner import DefaultPartitioner

from shared.events.registry import parse_event
from shared.http import Role
from shared.kafka.topics import ENROLMENT_EVENTS
from tests.enrolment.helpers import (
    WAIT_SECONDS,
    PokmasFeed,
    client_body,
    days,
    enrolled_klien,
    officer,
    release_client,
    wait_for_status,
)
from tests.support.service_app import bearer

OLD, NEW = "balikpapan", "makassar"
PARTITIONS = 12


def transfer_body(**changes: Any) -> dict[str, Any]:
    return {
        "to_bapas_code": NEW,
        "transferred_on": days(0).isoformat(),
        "reason": "Found work at a shipyard in Makassar.",
        "pk_officer": {"id": "199001012015011001", "name": "Siti Rahma"},
    } | changes


async def transfer(api: httpx.AsyncClient, client_id: UUID, **changes: Any) -> httpx.Response:
    return await api.post(
        f"/api/v1/clients/{client_id}/transfer", json=transfer_body(**changes), headers=officer()
    )


async def test_after_a_transfer_the_klien_is_the_new_office_s(api: httpx.AsyncClient) -> None:
    client_id = await release_client(api)

    moved = await transfer(api, client_id)

    assert moved.status_code == 201, moved.text
    for path in ("", "/reports"):
        old_read = await api.get(f"/api/v1/clients/{client_id}{path}", headers=officer(OLD))
        assert old_read.status_code == 404
        new_read = await api.get(f"/api/v1/clients/{client_id}{path}", headers=officer(NEW))
        assert new_read.status_code == 200
    shown = (await api.get(f"/api/v1/clients/{client_id}", headers=officer(NEW))).json()
    assert shown["bapas_code"] == NEW
    assert shown["profile"]["nik"]  # the new office's officers see the profile
    assert shown["pk_officer"]["name"] == "Siti Rahma"
    report = {
        "due_on": shown["reporting"]["next_due_on"],
        "reported_on": days(0, NEW).isoformat(),
        "status": "reported",
        "channel": "in_person",
    }
    old_write = await api.post(
        f"/api/v1/clients/{client_id}/reports", json=report, headers=officer(OLD)
    )
    new_write = await api.post(
        f"/api/v1/clients/{client_id}/reports", json=report, headers=officer(NEW)
    )
    assert old_write.status_code == 403
    assert new_write.status_code == 201, new_write.text
    old_list = await api.get("/api/v1/clients", headers=officer(OLD), params={"limit": 200})
    assert str(client_id) not in {item["client_id"] for item in old_list.json()["items"]}


async def test_regional_scope_follows_the_klien_to_the_new_province(
    api: httpx.AsyncClient,
) -> None:
    client_id = await release_client(api)
    await transfer(api, client_id)

    east_kalimantan = bearer(Role.REGIONAL, province="kalimantan-timur")
    south_sulawesi = bearer(Role.REGIONAL, province="sulawesi-selatan")

    old = await api.get(f"/api/v1/clients/{client_id}", headers=east_kalimantan)
    new = await api.get(f"/api/v1/clients/{client_id}", headers=south_sulawesi)
    assert old.status_code == 404
    assert new.status_code == 200
    assert new.json()["profile"] is None


async def test_open_enrolments_at_the_old_office_end_with_reason_moved(
    api: httpx.AsyncClient, feed: PokmasFeed
) -> None:
    programme = await feed.open_programme()
    client_id, enrolment_id = await enrolled_klien(api, programme)

    assert (await transfer(api, client_id)).status_code == 201

    withdrawn = await wait_for_status(api, enrolment_id, "withdrawn")
    assert withdrawn["withdrawal_reason"] == "moved"
    assert withdrawn["bapas_code"] == OLD  # the old office keeps its record of the training


async def test_only_an_officer_of_the_current_office_transfers_and_not_twice_to_one_office(
    api: httpx.AsyncClient,
) -> None:
    client_id = await release_client(api)

    by_another_office = await api.post(
        f"/api/v1/clients/{client_id}/transfer", json=transfer_body(), headers=officer(NEW)
    )
    to_itself = await transfer(api, client_id, to_bapas_code=OLD)
    unknown_office = await transfer(api, client_id, to_bapas_code="atlantis")
    in_the_future = await transfer(api, client_id, transferred_on=days(2).isoformat())

    assert by_another_office.status_code == 403
    for refused, field in (
        (to_itself, "body.to_bapas_code"),
        (unknown_office, "body.to_bapas_code"),
        (in_the_future, "body.transferred_on"),
    ):
        assert refused.status_code == 422
        assert [e["field"] for e in refused.json()["errors"]] == [field]


async def test_a_transfer_to_an_office_that_registered_the_nik_is_refused_and_changes_nothing(
    api: httpx.AsyncClient,
) -> None:
    body = client_body()
    client_id = await release_client(api, profile=body["profile"])
    await release_client(api, NEW, profile=body["profile"])  # the same person, at Makassar

    refused = await transfer(api, client_id)

    assert refused.status_code == 409
    assert "already registered at Bapas makassar" in refused.json()["detail"]
    still = await api.get(f"/api/v1/clients/{client_id}", headers=officer(OLD))
    assert still.json()["bapas_code"] == OLD


async def keyed_messages(bootstrap: str, client_id: UUID, count: int) -> list[tuple[str, int, str]]:
    """(key, partition, event type) of the klien's events on the enrolment topic."""
    consumer = AIOKafkaConsumer(
        ENROLMENT_EVENTS, bootstrap_servers=bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    found: list[tuple[str, int, str]] = []
    try:
        async with asyncio.timeout(WAIT_SECONDS):
            while len(found) < count:
                for messages in (await consumer.getmany(timeout_ms=500)).values():
                    for message in messages:
                        if str(client_id).encode() not in message.value:
                            continue
                        event = parse_event(message.value)
                        if event.aggregate_id == client_id:
                            found.append(
                                (message.key.decode(), message.partition, event.event_type)
                            )
    finally:
        await consumer.stop()
    return found


async def test_the_move_is_keyed_by_the_old_office_and_what_follows_by_the_new(
    api: httpx.AsyncClient, kafka_bootstrap: str
) -> None:
    client_id = await release_client(api)
    await transfer(api, client_id)

    published = await keyed_messages(kafka_bootstrap, client_id, count=4)

    partition_of = DefaultPartitioner()
    old_partition = partition_of(OLD.encode(), list(range(PARTITIONS)), list(range(PARTITIONS)))
    new_partition = partition_of(NEW.encode(), list(range(PARTITIONS)), list(range(PARTITIONS)))
    assert old_partition != new_partition
    # Each partition in order; the two partitions may be read in either order.
    assert [p for p in published if p[0] == OLD] == [
        (OLD, old_partition, "ClientReleased"),
        (OLD, old_partition, "ReportingScheduled"),
        (OLD, old_partition, "ClientTransferredOut"),
    ]
    assert [p for p in published if p[0] == NEW] == [(NEW, new_partition, "ClientTransferredIn")]


async def test_a_transfer_naming_no_officer_leaves_the_klien_without_one(
    api: httpx.AsyncClient,
) -> None:
    client_id = await release_client(api)

    moved = await transfer(api, client_id, pk_officer=None)

    assert moved.status_code == 201, moved.text
    shown = (await api.get(f"/api/v1/clients/{client_id}", headers=officer(NEW))).json()
    assert shown["pk_officer"] is None  # the old office's officer supervises no more
