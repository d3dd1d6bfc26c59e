"""A klien's subject-access export from the notifications service: what it learnt of the
klien and every message sent about the klien (to its PK officer, its office, the Pokmas
of its training, a webhook subscription, and the reminders), each as the delivery
history shows it and with its body as sent; nothing of another klien, even one whose
register number contains the klien's; only the klien's own officers get it, and the
export is recorded in the access log.

A delivery recorded before deliveries named their klien is given it, and nothing else
changes, when the service is upgraded (if the service knows the klien of its cause
exactly), when its cause is replayed (a rebuild) or when its reminder is due again.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest

from services.notifications.directory import update_directory
from services.notifications.projections import DeliveriesProjection
from services.notifications.settings import NotificationsSettings
from shared.events.enrolment import ClientReleased
from shared.http import Role
from shared.postgres.migrations import apply_migrations, migrations_of
from tests.notifications.conftest import RECENT_EVENTS_ONLY, Notifications, running_notifications
from tests.notifications.employers import Employer
from tests.notifications.receivers import eventually
from tests.notifications.supervision import Supervision, recorded
from tests.notifications.webhook_support import subscribe
from tests.notifications.world import Event, World
from tests.support.infrastructure import Infrastructure
from tests.support.service_app import bearer

EXPORT_ROUTE = "/api/v1/clients/{client_id}/export"


@pytest.fixture(scope="module")
async def notifications(
    infra: Infrastructure, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Notifications]:
    """The module's service, checking the daily reminders every half second."""
    async with running_notifications(
        infra,
        kafka_bootstrap,
        tmp_path_factory.mktemp("mail"),
        environment={**RECENT_EVENTS_ONLY, "NOTIFICATIONS_REMINDER_CHECK_SECONDS": "0.5"},
    ) as service:
        await service.caught_up()
        yield service


@pytest.fixture(scope="module")
async def subscription(notifications: Notifications) -> dict[str, Any]:
    """A webhook subscription to the enrolments of Balikpapan and their suspensions."""
    return await subscribe(
        notifications,
        url=notifications.http.url(f"/hooks/{uuid4().hex}"),
        event_types=["ClientEnrolled", "EnrolmentSuspended"],
        secret="the-subscriber-secret-0123456789",
        bapas_codes=["balikpapan"],
    )


def officer(bapas_code: str) -> dict[str, str]:
    return bearer(Role.BAPAS_OFFICER, bapas=bapas_code, sub=f"pk-{bapas_code}")


async def export(notifications: Notifications, world: World) -> dict[str, Any]:
    response = await notifications.client.get(
        f"/api/v1/clients/{world.client_id}/export", headers=officer(world.bapas_code)
    )
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


async def shown_to_the_officer(
    notifications: Notifications, world: World, cause: Event
) -> list[dict[str, Any]]:
    response = await notifications.client.get(
        "/api/v1/notifications",
        params={"cause_event_id": str(cause.event_id)},
        headers=officer(world.bapas_code),
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def ending_soon() -> World:
    """A world whose klien's supervision ends in 10 days: its PK officer is reminded."""
    world = World()
    world.supervision_ends_on = world.today + timedelta(days=10)
    return world


async def supervised(
    notifications: Notifications, world: World, *, register_number: str | None = None
) -> list[Event]:
    """The world's klien released, enrolled, its enrolment suspended (the event names the
    enrolment only) and its revocation recommended, once their deliveries are settled:
    the release told and reminded to the PK officer, the enrolment and its suspension to
    the officer, the Pokmas and the subscription, the recommendation to the officer and
    the office."""
    publisher = notifications.publisher
    await world.publish_setup(publisher, until="ProgrammeOpened")
    release: ClientReleased = world.client_released()
    if register_number is not None:
        release = release.model_copy(update={"register_number": register_number})
    causes = [
        await world.publish(publisher, release),
        await world.publish(publisher, world.client_enrolled()),
        await world.publish(publisher, world.enrolment_suspended()),
        await world.publish(publisher, Supervision(world).revocation_recommended()),
    ]
    for cause, count in zip(causes, [2, 3, 3, 2], strict=True):
        await notifications.settled(cause.event_id, count)
    return causes


async def test_the_export_holds_every_message_about_the_klien_as_sent_and_nothing_of_another(
    notifications: Notifications, subscription: dict[str, Any]
) -> None:
    world, someone_else = ending_soon(), ending_soon()
    causes = await supervised(notifications, world)
    # The old search by register number in the text could not tell these two apart.
    their_causes = await supervised(
        notifications, someone_else, register_number=f"{world.register_number}-2"
    )

    document = await export(notifications, world)

    assert document["service"] == "notifications"
    assert document["klien"]["register_number"] == world.register_number
    assert document["klien"]["pk_officer"]["email"] == world.officer_email
    assert [e["enrolment_id"] for e in document["enrolments"]] == [str(world.enrolment_id)]
    assert document["enrolments"][0]["programme_title"] == "Servis AC Dasar"
    messages = document["messages"]
    shown = [
        item for cause in causes for item in await shown_to_the_officer(notifications, world, cause)
    ]
    assert sorted(
        ({k: v for k, v in m.items() if k != "body"} for m in messages),
        key=lambda m: m["notification_id"],
    ) == sorted(shown, key=lambda m: m["notification_id"])
    assert sorted(
        (m["cause_event_type"], m["reminder"] or "", m["recipient_kind"], m["address"] or "")
        for m in messages
    ) == sorted(
        [
            ("ClientReleased", "", "pk_officer", world.officer_email),
            ("ClientReleased", "supervision_ending_14", "pk_officer", world.officer_email),
            ("ClientEnrolled", "", "pk_officer", world.officer_email),
            ("ClientEnrolled", "", "pokmas", world.pokmas_email),
            ("ClientEnrolled", "", "subscriber", ""),
            ("EnrolmentSuspended", "", "pk_officer", world.officer_email),
            ("EnrolmentSuspended", "", "pokmas", world.pokmas_email),
            ("EnrolmentSuspended", "", "subscriber", ""),
            ("RevocationRecommended", "", "pk_officer", world.officer_email),
            ("RevocationRecommended", "", "bapas", world.office_email),
        ]
    )
    webhooks = {m["cause_event_type"]: m for m in messages if m["channel"] == "webhook"}
    assert {m["subscription_id"] for m in webhooks.values()} == {subscription["id"]}
    suspension = json.loads(webhooks["EnrolmentSuspended"]["body"])["payload"]
    assert suspension["enrolment_id"] == str(world.enrolment_id)
    [to_the_pokmas] = [
        m
        for m in messages
        if (m["cause_event_type"], m["recipient_kind"]) == ("EnrolmentSuspended", "pokmas")
    ]
    assert world.register_number not in to_the_pokmas["body"]
    text = json.dumps(document)
    for foreign in (
        str(someone_else.client_id),
        str(someone_else.enrolment_id),
        f"{world.register_number}-2",
        str(someone_else.officer_email),
        someone_else.pokmas_email,
        *(str(cause.event_id) for cause in their_causes),
    ):
        assert foreign not in text
    assert [e["route"] for e in document["access_log"]] == [EXPORT_ROUTE]


async def deliveries_of(connection: asyncpg.Connection, causes: Sequence[UUID]) -> list[Any]:
    """(notification id, status, attempts, settlement, klien) of the causes' deliveries."""
    rows = await connection.fetch(
        "SELECT notification_id, status, attempts, settled_at, client_id FROM deliveries"
        " WHERE cause_event_id = ANY($1) ORDER BY notification_id",
        causes,
    )
    return [tuple(row) for row in rows]


async def test_a_delivery_recorded_without_its_klien_is_given_it_when_its_cause_comes_again(
    notifications: Notifications, subscription: dict[str, Any]
) -> None:
    world = ending_soon()
    released = await world.publish_setup(notifications.publisher, until="ClientReleased")
    enrolled = await world.publish(notifications.publisher, world.client_enrolled())
    await notifications.settled(released.event_id, 2)
    await notifications.settled(enrolled.event_id, 3)
    causes = [released.event_id, enrolled.event_id]
    connection = await asyncpg.connect(notifications.database_url)
    try:
        before = await deliveries_of(connection, causes)
        unnamed = "UPDATE deliveries SET client_id = NULL WHERE cause_event_id = ANY($1)"

        # The reminder, due again at the next check.
        await connection.execute(unnamed + " AND reminder <> ''", causes)

        async def reminded_again() -> bool:
            return await deliveries_of(connection, causes) == before

        assert await eventually(reminded_again)

        # All of them, then both causes replayed as a rebuild does, too late to be told again.
        await connection.execute(unnamed, causes)
        replay = DeliveriesProjection(
            NotificationsSettings(), clock=lambda: datetime.now(UTC) + timedelta(days=30)
        )
        async with connection.transaction():
            await replay.apply(connection, [released, enrolled])
        after = await deliveries_of(connection, causes)
    finally:
        await connection.close()

    assert after == before
    assert {row[4] for row in after} == {world.client_id}
    document = await export(notifications, world)
    assert sorted(UUID(m["notification_id"]) for m in document["messages"]) == [
        row[0] for row in before
    ]


async def test_an_upgrade_gives_the_klien_to_the_deliveries_whose_cause_it_knows_exactly(
    database_url: str,
) -> None:
    world = World()
    code = world.bapas_code
    released = recorded(world.client_released(), bapas_code=code)
    enrolled = recorded(world.client_enrolled(), bapas_code=code)
    placed = recorded(Employer(world).client_placed(world.today), bapas_code=code)
    suspended = recorded(world.enrolment_suspended(), bapas_code=code)
    completed = recorded(world.training_completed(), bapas_code=code)
    signed = recorded(world.mou_signed(), bapas_code=code)
    connection = await asyncpg.connect(database_url)
    try:
        migrations = migrations_of("shared", "services.notifications")
        await apply_migrations(
            connection, [m for m in migrations if not m.version.endswith("_deliveries_client.sql")]
        )
        await update_directory(connection, [released, enrolled, placed, signed])
        for cause, kind, reminder, template, body in (
            (released, "pk_officer", "", "client_released.pk_officer", "Klien dibebaskan"),
            (released, "pk_officer", "supervision_ending_14", "supervision_ending", "Berakhir"),
            (placed, "pk_officer", "", "client_placed.pk_officer", "Klien bekerja"),
            (suspended, "subscriber", "", "event_envelope", suspended.model_dump_json()),
            (suspended, "pokmas", "", "enrolment_suspended.pokmas", "Pelatihan ditangguhkan"),
            (completed, "pk_officer", "", "training_completed.pk_officer", "Pelatihan selesai"),
            (signed, "bapas", "", "mou_signed.bapas", "MoU ditandatangani"),
        ):
            await connection.execute(
                "INSERT INTO deliveries (notification_id, cause_event_id, cause_event_type,"
                " reminder, correlation_id, bapas_code, recipient_kind, recipient_key, channel,"
                " address, template, body) VALUES ($1, $2, $3, $4, $5, $6, $7, 'someone',"
                " CASE WHEN $7 = 'subscriber' THEN 'webhook' ELSE 'email' END,"
                " 'someone@example.org', $8, $9)",
                uuid4(),
                cause.event_id,
                cause.event_type,
                reminder,
                cause.correlation_id,
                code,
                kind,
                template,
                body,
            )

        await apply_migrations(connection, migrations)
        rows = await connection.fetch(
            "SELECT cause_event_type, recipient_kind, reminder, client_id FROM deliveries"
        )
    finally:
        await connection.close()

    assert sorted(
        (row["cause_event_type"], row["recipient_kind"], row["reminder"], row["client_id"])
        for row in rows
    ) == [
        ("ClientPlaced", "pk_officer", "", world.client_id),
        ("ClientReleased", "pk_officer", "", world.client_id),
        ("ClientReleased", "pk_officer", "supervision_ending_14", world.client_id),
        ("EnrolmentSuspended", "pokmas", "", world.client_id),
        ("EnrolmentSuspended", "subscriber", "", world.client_id),
        ("MoUSigned", "bapas", "", None),
        ("TrainingCompleted", "pk_officer", "", None),
    ]


async def test_only_the_klien_s_officers_export(notifications: Notifications) -> None:
    world = World(bapas_code="samarinda")
    released = await world.publish_setup(notifications.publisher, until="ClientReleased")
    await notifications.settled(released.event_id, 1)
    path = f"/api/v1/clients/{world.client_id}/export"

    ministry = await notifications.client.get(path, headers=bearer(Role.MINISTRY))
    regional = await notifications.client.get(
        path, headers=bearer(Role.REGIONAL, province="kalimantan-timur")
    )
    another_office = await notifications.client.get(path, headers=officer("balikpapan"))
    partner = await notifications.client.get(
        path,
        headers=bearer(Role.POKMAS_PARTNER, bapas="samarinda", pokmas_id=world.pokmas_id),
    )
    unknown = await notifications.client.get(
        f"/api/v1/clients/{uuid4()}/export", headers=officer("samarinda")
    )
    own = await notifications.client.get(path, headers=officer("samarinda"))

    assert [r.status_code for r in (ministry, regional)] == [403, 403]
    assert ministry.headers["content-type"] == "application/problem+json"
    assert [r.status_code for r in (another_office, partner, unknown)] == [404, 404, 404]
    assert [e["role"] for e in own.json()["access_log"]] == ["bapas_officer"]
