"""``bapas projection``: operate a service's projections, e.g. rebuild one from the log,
or everything the service shows.

The command finds what to rebuild by convention, without importing every service:
``services.<service>.projections.PROJECTIONS`` maps names to projections,
``services.<service>.read_models.OWN_READ_MODELS`` (where the service keeps read models
of its own events) says how those are written, and the database is the one
``services.<service>.settings.<Service>Settings`` reads from the environment
(``<SERVICE>_DATABASE_URL``; Kafka from ``KAFKA_BOOTSTRAP_SERVERS``).
"""

from __future__ import annotations

import asyncio
import importlib
import pkgutil
import re
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import cast

import asyncpg
import typer
from aiokafka.errors import KafkaError
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

from shared.cli.console import console, fail
from shared.eventstore.read_models import OwnReadModels
from shared.eventstore.rebuild import ReadModelsProgress, RebuildFailed, rebuild_own_read_models
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


def _service_module(service: str, name: str) -> ModuleType | None:
    """``services.<service>.<name>`` of a known service, or ``None`` if it has none."""
    if not _SERVICE_NAME.match(service) or service not in known_services():
        raise fail(f"unknown service {service!r}; known: {', '.join(known_services())}")
    module_name = f"services.{service}.{name}"
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name != module_name:
            raise
        return None


def projections_of(service: str, *, missing_ok: bool = False) -> Mapping[str, Projection]:
    """``services.<service>.projections.PROJECTIONS``, or a clear error; with
    ``missing_ok``, none for a service without that module."""
    module = _service_module(service, "projections")
    module_name = f"services.{service}.projections"
    if module is None:
        if missing_ok:
            return {}
        raise fail(f"the {service} service has no projections ({module_name} is missing)")
    projections = getattr(module, "PROJECTIONS", None)
    if not isinstance(projections, Mapping):
        raise fail(f"{module_name} has no PROJECTIONS mapping of names to projections")
    return cast(Mapping[str, Projection], projections)


def own_read_models_of(service: str) -> OwnReadModels | None:
    """``services.<service>.read_models.OWN_READ_MODELS``; ``None`` for a service that
    keeps no read models of its own events."""
    module = _service_module(service, "read_models")
    read_models = None if module is None else getattr(module, "OWN_READ_MODELS", None)
    if read_models is not None and not isinstance(read_models, OwnReadModels):
        raise fail(f"services.{service}.read_models.OWN_READ_MODELS is not an OwnReadModels")
    return read_models


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
    projection: str | None = typer.Argument(
        None, help="The projection's name in PROJECTIONS; or give --all instead."
    ),
    everything: bool = typer.Option(
        False,
        "--all",
        help="Every projection of SERVICE, one after the other, then the read models it "
        "keeps of its own events: everything the service shows.",
    ),
    dead_letter_topic: str = typer.Option(
        DEAD_LETTERS, help="Where messages that cannot be processed go."
    ),
) -> None:
    """Empty PROJECTION of SERVICE and replay its topics from the beginning; with --all,
    every projection of SERVICE and then its own read models from its event store.

    The service's live consumers of a projection wait until its rebuild ends; its
    queries see the projection refill meanwhile. While the own read models are rebuilt
    (one transaction), the service's commands and its queries of those tables wait.
    """
    if projection is not None and everything:
        raise fail("give one PROJECTION or --all, not both")
    if projection is None and not everything:
        raise fail(
            f"name the PROJECTION of {service} to rebuild, or give --all to rebuild "
            "everything the service shows"
        )
    if projection is not None:
        chosen = _projection_named(service, projection)
        _rebuild_projection(
            f"{service}.{projection}", chosen, settings_of(service), dead_letter_topic
        )
        return
    projections = projections_of(service, missing_ok=True)
    read_models = own_read_models_of(service)
    settings = settings_of(service)
    for name, each in projections.items():
        _rebuild_projection(f"{service}.{name}", each, settings, dead_letter_topic)
    if read_models is None:
        console.print(f"[dim]–[/] {service} keeps no read models of its own events")
    else:
        _rebuild_own_read_models(service, read_models, settings.database_url)


def _projection_named(service: str, name: str) -> Projection:
    projections = projections_of(service)
    chosen = projections.get(name)
    if chosen is None:
        known = ", ".join(sorted(projections)) or "none"
        raise fail(f"the {service} service has no projection {name!r}; known: {known}")
    return chosen


def _progress_bar(*columns: ProgressColumn) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:>8,.0f} events/s"),
        *columns,
        TimeElapsedColumn(),
        console=console,
    )


def _rebuild_projection(
    label: str, projection: Projection, settings: ServiceSettings, dead_letter_topic: str
) -> None:
    with _progress_bar(TextColumn("{task.fields[applied]:,} applied")) as bar:
        task = bar.add_task(label, total=None, rate=0.0, applied=0)

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
                    projection,
                    kafka=settings.kafka,
                    database_url=settings.database_url,
                    dead_letter_topic=dead_letter_topic,
                    on_progress=show,
                )
            )
        except (KafkaError, OSError, asyncpg.PostgresError) as error:
            raise fail(f"the rebuild of {label} failed: {error}") from None
    console.print(
        f"[green]✓[/] rebuilt {label}: {result.applied:,} events applied from "
        f"{result.processed:,} messages in {result.elapsed:.1f} s "
        f"({result.events_per_second:,.0f} events/s)"
    )


def _rebuild_own_read_models(service: str, read_models: OwnReadModels, database_url: str) -> None:
    label = f"{service} ({', '.join(read_models.tables)})"
    with _progress_bar() as bar:
        task = bar.add_task(label, total=None, rate=0.0)

        def show(progress: ReadModelsProgress) -> None:
            bar.update(
                task,
                total=progress.total,
                completed=progress.replayed,
                rate=progress.events_per_second,
            )

        try:
            result = asyncio.run(_replay_event_store(database_url, read_models, show))
        except (RebuildFailed, OSError, asyncpg.PostgresError) as error:
            raise fail(f"the rebuild of the read models of {label} failed: {error}") from None
    console.print(
        f"[green]✓[/] rebuilt the read models of {label} from its event store: "
        f"{result.replayed:,} events replayed in {result.elapsed:.1f} s "
        f"({result.events_per_second:,.0f} events/s)"
    )


async def _replay_event_store(
    database_url: str,
    read_models: OwnReadModels,
    on_progress: Callable[[ReadModelsProgress], None],
) -> ReadModelsProgress:
    connection = await asyncpg.connect(database_url)
    try:
        return await rebuild_own_read_models(connection, read_models, on_progress=on_progress)
    finally:
        await connection.close()
