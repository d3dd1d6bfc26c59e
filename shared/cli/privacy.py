"""``bapas privacy``. ``export CLIENT_ID``: a klien's subject-access export, gathered from
every service that holds something of the klien into one JSON file.

Each such service answers ``GET /api/v1/clients/{id}/export`` for the officers of the
klien's Bapas (and records the export in its access log); this command asks each with
the officer's token and writes one document: the klien's id, when, and each service's
export under its name. A service that holds nothing of the klien (404) is named with
``null``; a refusal (the token is not an officer of the klien's Bapas) stops the
command, and nothing is written. With ``--pdf`` it also writes the document as a
summary the klien can read, in Bahasa Indonesia (:mod:`shared.cli.privacy_summary`).

Beside it, the commands on the keys that protect the klien's data, run where the
enrolment service's settings are (:mod:`shared.cli.privacy_keys`): ``rotate-key`` and
``certificate-key``.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import httpx
import typer

from shared.cli.console import console, fail
from shared.cli.privacy_keys import certificate_key, rotate_key
from shared.cli.privacy_summary import summary_pdf
from shared.demo.client import ServiceUrls

EXPORTING_SERVICES = ("enrolment", "employment", "notifications", "insights")
"""The services that hold something of a klien and answer its export."""

TOKEN_VARIABLE = "BAPAS_TOKEN"

privacy_app = typer.Typer(help="A klien's rights over its personal data.", no_args_is_help=True)


@privacy_app.callback()
def privacy_commands() -> None:
    """A klien's rights over its personal data, and the keys that protect it."""


class ExportRefused(RuntimeError):
    """A service refused the export: the message says which and why."""


async def gather_export(
    services: Mapping[str, httpx.AsyncClient], client_id: UUID, token: str
) -> dict[str, Any]:
    """Each service's export of ``client_id`` (``None`` where it holds nothing)."""
    exports: dict[str, Any] = {}
    for service, http in services.items():
        response = await http.get(
            f"/api/v1/clients/{client_id}/export", headers={"Authorization": f"Bearer {token}"}
        )
        if response.status_code == 404:
            exports[service] = None
        elif response.status_code == 200:
            exports[service] = response.json()
        else:
            detail = response.json().get("detail", response.text) if response.content else ""
            raise ExportRefused(f"the {service} service answered {response.status_code}: {detail}")
    return {
        "client_id": str(client_id),
        "gathered_at": datetime.now(UTC).isoformat(),
        "services": exports,
    }


async def _gather(urls: ServiceUrls, client_id: UUID, token: str) -> dict[str, Any]:
    clients = {
        s: httpx.AsyncClient(base_url=getattr(urls, s), timeout=30) for s in EXPORTING_SERVICES
    }
    try:
        return await gather_export(clients, client_id, token)
    finally:
        for http in clients.values():
            await http.aclose()


@privacy_app.command("export")
def export(
    client_id: Annotated[UUID, typer.Argument(help="The klien's id.")],
    out: Annotated[
        Path | None, typer.Option("--out", help="The file to write; klien-<id>.json by default.")
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token", help=f"An officer's token of the klien's Bapas (or {TOKEN_VARIABLE})."
        ),
    ] = None,
    pdf: Annotated[
        Path | None,
        typer.Option("--pdf", help="Also write a readable summary in Bahasa Indonesia here."),
    ] = None,
) -> None:
    """Gather everything the platform holds of a klien into one JSON file (and a PDF
    summary in Bahasa Indonesia with --pdf)."""
    bearer = token or os.environ.get(TOKEN_VARIABLE)
    if not bearer:
        raise fail(f"give an officer's token with --token or {TOKEN_VARIABLE}")
    try:
        document = asyncio.run(_gather(ServiceUrls(), client_id, bearer))
    except ExportRefused as refused:
        raise fail(str(refused)) from None
    except httpx.HTTPError as error:
        raise fail(f"a service does not answer: {error}") from None
    path = out or Path(f"klien-{client_id}.json")
    _write_privately(path, json.dumps(document, indent=2, ensure_ascii=False).encode())
    held = [s for s, e in document["services"].items() if e is not None]
    console.print(f"[green]✓[/] {path}: the exports of {', '.join(held) or 'no service'}")
    if pdf is not None:
        _write_privately(pdf, summary_pdf(document))
        console.print(f"[green]✓[/] {pdf}: the summary in Bahasa Indonesia")


def _write_privately(path: Path, content: bytes) -> None:
    """Write a file only its owner may read (it holds a klien's NIK and notes), also
    over an existing file that others could read."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(content)


privacy_app.command("rotate-key")(rotate_key)
privacy_app.command("certificate-key")(certificate_key)
