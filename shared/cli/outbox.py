"""``bapas outbox``: the way out when a service's topic lost the events published to it.

``bapas outbox republish SERVICE`` queues the service's whole event store for its topic
again; the service's relay (it stopped publishing when it noticed the topic was not the
one it published to) then records the topic's new identity and publishes everything.
The database is the one the service's settings read from the environment.
"""

from __future__ import annotations

import asyncio

import asyncpg
import typer

from shared.cli.console import console, fail
from shared.cli.projection import known_services, settings_of
from shared.eventstore.republish import republish_events
from shared.kafka.topics import TOPIC_OF_SERVICE

outbox_app = typer.Typer(
    help="The outbox: what a service publishes to its topic.", no_args_is_help=True
)


@outbox_app.callback()
def outbox_commands() -> None:
    """The outbox: what a service publishes to its topic."""


async def _republish(database_url: str, topic: str) -> int:
    connection = await asyncpg.connect(database_url)
    try:
        return await republish_events(connection, topic)
    finally:
        await connection.close()


@outbox_app.command("republish")
def republish(
    service: str = typer.Argument(..., help="The service whose events to publish again."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Publish every event SERVICE stored again, into its topic as it is now."""
    topic = TOPIC_OF_SERVICE.get(service)
    if topic is None:
        services = ", ".join(s for s in known_services() if s in TOPIC_OF_SERVICE)
        raise fail(f"the service {service!r} publishes no topic; those that do: {services}")
    settings = settings_of(service)
    if not yes:
        typer.confirm(
            f"Publish every event of the {service} service into {topic} again?", abort=True
        )
    try:
        queued = asyncio.run(_republish(settings.database_url, topic))
    except (OSError, asyncpg.PostgresError) as error:
        raise fail(f"the {service} database does not answer: {error}") from None
    console.print(
        f"[green]✓[/] {queued:,} events of {service} queued for {topic}; its relay "
        "publishes them once it has recorded the topic as it is now"
    )
