"""``bapas contracts``: writes the published event contracts generated from the code."""

from __future__ import annotations

import typer

from shared.cli.console import console
from shared.events.schemas import SCHEMA_DIRECTORY, export_schemas

contracts_app = typer.Typer(help="The published event contracts.")


@contracts_app.command("export")
def export() -> None:
    """Regenerate the JSON Schema of every event version into docs/events/."""
    written = export_schemas()
    console.print(f"wrote {len(written)} event schemas to {SCHEMA_DIRECTORY}")
