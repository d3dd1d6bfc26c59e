"""``bapas supervision check-reports``: the check of wajib lapor, run by hand.

The enrolment service runs the check when it starts and on a timer; after an outage an
operator runs it at once, or for a chosen instant (``--at``) to see what a day's check
records. It records each missed due date once, whoever else runs it at the same time,
and prints what it recorded. The database is the one the enrolment service's settings
read from the environment.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime
from typing import Annotated

import asyncpg
import typer

from services.enrolment.application import check_reports
from services.enrolment.read_models import OWN_READ_MODELS
from services.enrolment.settings import EnrolmentSettings
from shared.cli.console import console, fail
from shared.events.envelope import Envelope, EventPayload
from shared.eventstore.store import EventStore
from shared.kafka.topics import TOPIC_OF_SERVICE
from shared.postgres.pool import create_pool

supervision_app = typer.Typer(
    help="Supervision: wajib lapor and what it records.", no_args_is_help=True
)


@supervision_app.callback()
def supervision_commands() -> None:
    """Supervision: wajib lapor and what it records."""


async def check_reports_at(
    settings: EnrolmentSettings, at: datetime
) -> list[Envelope[EventPayload]]:
    """The check on the database of the enrolment service's ``settings``, as at ``at``."""
    pool = await create_pool(settings.database_url, size=2)
    try:
        store = EventStore(pool, topic=TOPIC_OF_SERVICE["enrolment"], read_models=OWN_READ_MODELS)
        return await check_reports(store, at, every_days=settings.reporting_every_days)
    finally:
        await pool.close()


@supervision_app.command("check-reports")
def check_reports_command(
    at: Annotated[
        datetime | None,
        typer.Option(
            "--at",
            help="Check as at this instant (ISO 8601, UTC unless it names an offset); "
            "now by default.",
        ),
    ] = None,
) -> None:
    """Record the due dates that passed unanswered, and the recommendations they make."""
    instant = datetime.now(UTC) if at is None else at
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    try:
        recorded = asyncio.run(check_reports_at(EnrolmentSettings(), instant))
    except (OSError, asyncpg.PostgresError) as error:
        raise fail(f"the enrolment database does not answer: {error}") from None
    counts = Counter(event.event_type for event in recorded)
    console.print(
        f"[green]✓[/] checked as at {instant.isoformat()}: "
        f"{counts['ReportMissed']} due dates missed, "
        f"{counts['RevocationRecommended']} revocations recommended, "
        f"{counts['ReportingScheduled']} default schedules given"
    )
    for event in recorded:
        console.print(f"  {event.event_type} klien {event.aggregate_id} ({event.bapas_code})")
