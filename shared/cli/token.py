"""``bapas token``: mints a development token for a role, signed with the secret the
services verify (``BAPAS_JWT_SECRET``, the development secret by default).

A development tool: with ``BAPAS_ENVIRONMENT`` unset it mints as for development,
since the services of ``make up`` run with ``BAPAS_ENVIRONMENT=development`` and the
token it prints must work with them without anything exported. With an environment
named explicitly, it refuses the development secret exactly as a service there would.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from uuid import UUID

import typer
from pydantic import ValidationError

from shared.cli.console import console, fail, reports_stack_errors
from shared.http import Role, issue_token
from shared.reference import is_known_bapas
from shared.settings import development_tool_auth_settings
from shared.stack.services import local_service


@reports_stack_errors
def token(
    role: Annotated[Role, typer.Option(help="The caller's role.")],
    bapas: Annotated[str | None, typer.Option(help="Bapas code (officer, partner).")] = None,
    pokmas_id: Annotated[UUID | None, typer.Option(help="The partner's Pokmas.")] = None,
    province: Annotated[str | None, typer.Option(help="Province code (regional).")] = None,
    sub: Annotated[str, typer.Option(help="Who the token speaks for.")] = "developer",
    hours: Annotated[
        float,
        typer.Option(
            min=0.01, help="Hours until it expires (at most BAPAS_JWT_MAX_LIFETIME_HOURS)."
        ),
    ] = 12.0,
    dashboard: Annotated[
        bool, typer.Option(help="Print the dashboard's development sign-in link instead.")
    ] = False,
) -> None:
    """Print a signed development token (paste it as ``Authorization: Bearer …``), or with
    ``--dashboard`` a link that signs a browser in to the insights dashboard with it (on
    the local stack's insights port, ``INSIGHTS_PORT``)."""
    if bapas is not None and not is_known_bapas(bapas):
        raise fail(f"unknown Bapas code {bapas!r}")
    try:
        settings = development_tool_auth_settings()
        settings.require_usable_secret()
        minted = issue_token(
            settings,
            role=role,
            sub=sub,
            bapas=bapas,
            pokmas_id=pokmas_id,
            province=province,
            ttl=timedelta(hours=hours),
        )
    except (ValueError, ValidationError) as error:
        raise fail(str(error)) from None
    if dashboard:
        insights = local_service("insights").url
        console.print(f"{insights}/dashboard/sign-in?token={minted}", soft_wrap=True)
    else:
        console.print(minted, soft_wrap=True)
