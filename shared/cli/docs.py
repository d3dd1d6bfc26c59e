"""``bapas docs``: writes the published contracts generated from the code.

``export`` regenerates ``docs/events.md``, ``docs/openapi/`` and ``docs/asyncapi/``
(the JSON Schema files of ``docs/events/`` are ``bapas contracts export``'s); with
``--check`` it writes nothing and fails when a committed document is stale, for CI.
"""

from __future__ import annotations

from typing import Annotated

import typer

from shared.cli.console import console, fail
from shared.docs import EXPORT_COMMAND, REPOSITORY_ROOT, export_documents, stale_documents

docs_app = typer.Typer(help="The published documentation: event catalogue, OpenAPI, AsyncAPI.")


@docs_app.command("export")
def export(
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; fail if a document is stale.")
    ] = False,
) -> None:
    """Regenerate docs/events.md, docs/openapi/<service>.json and docs/asyncapi/<service>.json."""
    if check:
        stale = stale_documents()
        if stale:
            for document in stale:
                console.print(f"  {document.path}: {document.problem}")
            raise fail(f"{len(stale)} published documents are stale; run `{EXPORT_COMMAND}`")
        console.print("the published documents are up to date")
        return
    written = export_documents()
    for path in written:
        console.print(f"wrote {path.relative_to(REPOSITORY_ROOT)}")
