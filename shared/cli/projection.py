"""``bapas projection``: operate a service's projections, e.g. rebuild one from the log.

The command finds projections by convention, without importing every service:
``services.<service>.projections.PROJECTIONS`` maps names to projections, and the
database is the one ``services.<service>.settings.<Service>Settings`` reads from the
environment (``<SERVICE>_DATABASE_URL``; Kafka from ``KAFKA_BOOTSTRAP_SERVERS``).
"""

from __future__ import annotations

import asyncio
import importlib
import pkgutil
import re
from collections.abc import Mapping
from typing import cast

import asyncpg
import typer
from aiokafka.errors import KafkaError
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from shared.cli.console import console, fail
from shared.kafka.topics import DEAD_LETTERS
from shared.projections import Projection, RebuildProgress, rebuild_projection
from shared.settings import ServiceSettings

projection_app = typer.Typer(
    help="Projections: the read models services compute from events.", no_args_is_help=True
)


@projection_app.callback()
def projection_commands() -> None:
    """Projections: the read models services compute from events."""


_SERVICE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def known_services() -> list[str]:
    services = importlib.import_module("services")
    return sorted(module.name for module in pkgutil.iter_modules(services.__path__))


def projections_of(service: str) -> Mapping[str, Projection]:
    """``services.<service>.projections.PROJECTIONS``, or a clear error."""
    if not _SERVICE_NAME.match(service) or service not in known_services():
        raise fail(f"unknown service {service!r}; known: {', '.join(known_services())}")
    module_name = f"services.{service}.projections"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name != module_name:
            raise
        raise fail(f"the {service} service has no projections ({module_name} is missing)") from None
    projections = getattr(module, "PROJECTIONS", None)
    if not isinstance(projections, Mapping):
        raise fail(f"{module_name} has no PROJECTIONS mapping of names to projections")
    return cast(Mapping[str, Projection], projections)


def settings_of(service: str) -> ServiceSettings:
    """The service's settings class, read from the environment."""
    module = importlib.import_module(f"services.{service}.settings")
    settings_class = getattr(module, f"{service.capitalize()}Settings", None)
    if not (isinstance(settings_class, type) and issubclass(settings_class, ServiceSettings)):
        raise fail(f"services.{service}.settings has no {service.capitalize()}Settings class")
    return settings_class()


@projection_app.command("rebuild")
def rebuild(
    service: str = typer.Argument(..., help="The service owning the projection, e.g. enrolment."),
    projection: str = typer.Argument(..., help="The projection's name in PROJECTIONS."),
    dead_letter_topic: str = typer.Option(
        DEAD_LETTERS, help="Where messages that cannot be processed go."
    ),
) -> None:
    """Empty PROJECTION of SERVICE and replay its topics from the beginning.

    The service's live consumers of that projection wait until the rebuild ends; its
    queries see the projection refill meanwhile.
    """
    projections = projections_of(service)
    chosen = projections.get(projection)
    if chosen is None:
        known = ", ".join(sorted(projections)) or "none"
        raise fail(f"the {service} service has no projection {projection!r}; known: {known}")
    settings = settings_of(service)
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:>8,.0f} events/s"),
        TextColumn("{task.fields[applied]:,} applied"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as bar:
        task: TaskID = bar.add_task(f"{service}.{projection}", total=None, rate=0.0, applied=0)

        def show(progress: RebuildProgress) -> None:
            bar.update(
                task,
                total=progress.total,
                completed=progress.processed,
                rate=progress.events_per_second,
                applied=progress.applied,
            )

        try:
            result = asyncio.run(
                rebuild_projection(
                    chosen,
                    kafka=settings.kafka,
                    database_url=settings.database_url,
                    dead_letter_topic=dead_letter_topic,
                    on_progress=show,
                )
            )
        except (KafkaError, OSError, asyncpg.PostgresError) as error:
            raise fail(f"the rebuild of {service}.{projection} failed: {error}") from None
    console.print(
        f"[green]✓[/] rebuilt {service}.{projection}: {result.applied:,} events applied from "
        f"{result.processed:,} messages in {result.elapsed:.1f} s "
        f"({result.events_per_second:,.0f} events/s)"
    )
