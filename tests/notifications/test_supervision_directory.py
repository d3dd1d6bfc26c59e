"""The recipient directory follows a klien across a transfer: the deliveries projection
against a real PostgreSQL (no Kafka), fed a klien's story as the platform's consumer
hands it over (in order, however it is cut into batches).

Before the transfer the klien's news goes to the old office's PK officer (the
withdrawal from training that the move brings, and ClientTransferredOut itself); from
ClientTransferredIn on, to the new office and the officer it names, or to no PK officer
when it names none: never again to the old one. The same holds whether the transfer's
two events come in one batch or in two, and after a rebuild. (A redelivery never
reaches the projection: the consumer drops it; the service's tests redeliver through
Kafka.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence

import asyncpg
import pytest

from services.notifications.projections import DeliveriesProjection
from services.notifications.settings import NotificationsSettings
from shared.postgres.migrations import apply_migrations, migrations_of
from tests.notifications.supervision import Event, Supervision, recorded
from tests.notifications.world import World

Told = list[tuple[str, str, str]]
"""(cause event type, template, address) of each delivery recorded."""


@pytest.fixture
async def connection(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection to a fresh database with the service's tables."""
    connection = await asyncpg.connect(database_url)
    try:
        await apply_migrations(connection, migrations_of("shared", "services.notifications"))
        yield connection
    finally:
        await connection.close()


PROJECTION = DeliveriesProjection(NotificationsSettings())


async def apply(connection: asyncpg.Connection, *batches: Sequence[Event]) -> None:
    """Apply each batch in a transaction of its own, as the consumer does."""
    for batch in batches:
        async with connection.transaction():
            await PROJECTION.apply(connection, batch)


async def told(connection: asyncpg.Connection) -> Told:
    rows = await connection.fetch("SELECT cause_event_type, template, address FROM deliveries")
    return sorted((row["cause_event_type"], row["template"], row["address"]) for row in rows)


def told_of_the_story(supervision: Supervision) -> Told:
    """Who hears of :meth:`Supervision.story` when the new office names a PK officer."""
    world = supervision.world
    assert world.officer_email is not None
    assert supervision.new_officer_email is not None
    old_officer, new_officer = world.officer_email, supervision.new_officer_email
    return sorted(
        [
            ("ClientReleased", "client_released.pk_officer", old_officer),
            ("TrainingWithdrawn", "training_withdrawn.pk_officer", old_officer),
            ("ClientTransferredOut", "client_transferred_out.bapas", world.office_email),
            ("ClientTransferredOut", "client_transferred_out.pk_officer", old_officer),
            ("ClientTransferredIn", "client_transferred_in.bapas", supervision.new_office_email),
            ("ClientTransferredIn", "client_transferred_in.pk_officer", new_officer),
            (
                "RevocationRecommended",
                "revocation_recommended.bapas",
                supervision.new_office_email,
            ),
            ("RevocationRecommended", "revocation_recommended.pk_officer", new_officer),
        ]
    )


Batching = Callable[[list[Event]], list[list[Event]]]

BATCHINGS: dict[str, Batching] = {
    "all in one batch": lambda story: [story],
    "one event per batch": lambda story: [[event] for event in story],
    "the transfer's two events together": lambda story: [story[:2], story[2:4], story[4:]],
    "the transfer's two events apart": lambda story: [story[:3], story[3:]],
}


@pytest.mark.parametrize("batching", BATCHINGS.values(), ids=BATCHINGS.keys())
async def test_news_of_the_klien_goes_to_the_old_officer_until_the_transfer_and_the_new_one_after(
    connection: asyncpg.Connection, batching: Batching
) -> None:
    supervision = Supervision(World())

    await apply(connection, *batching(supervision.story()))

    assert await told(connection) == told_of_the_story(supervision)


async def test_a_transfer_naming_no_pk_officer_leaves_the_klien_s_news_to_the_new_office(
    connection: asyncpg.Connection,
) -> None:
    supervision = Supervision(World())
    story = supervision.story(officer_named=False)

    await apply(connection, story)
    after_the_transfer = [
        entry
        for entry in await told(connection)
        if entry[0] in {"ClientTransferredIn", "RevocationRecommended"}
    ]

    assert after_the_transfer == [
        ("ClientTransferredIn", "client_transferred_in.bapas", supervision.new_office_email),
        ("RevocationRecommended", "revocation_recommended.bapas", supervision.new_office_email),
    ]


async def test_after_a_rebuild_the_directory_still_follows_the_klien(
    connection: asyncpg.Connection,
) -> None:
    supervision = Supervision(World())
    assert supervision.new_officer_email is not None
    story = supervision.story()
    await apply(connection, story)

    async with connection.transaction():
        await PROJECTION.reset(connection)
    await apply(connection, story)
    missed = recorded(supervision.report_missed(in_a_row=1), bapas_code=supervision.new_bapas_code)
    await apply(connection, [missed])

    assert await told(connection) == sorted(
        [
            *told_of_the_story(supervision),
            ("ReportMissed", "report_missed.pk_officer", supervision.new_officer_email),
        ]
    )
