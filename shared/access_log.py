"""The record of who looked at a klien's personal data (UU 27/2022: the record of
processing a data subject may ask for).

Every read that shows a klien's profile, or part of it (the trainee's name a Pokmas
partner sees, a certificate bearing the name), or an export of what is held about the
klien, adds one entry: the klien, when, the caller's role and subject, the route and
the request's correlation id, which its log line carries too. The table is
append-only: its triggers refuse to change, delete or empty it, and no route tries.
The Bapas's officers and the ministry read a klien's entries, the latest first.

An export is recorded here before it is answered (:func:`record_export`, which also
refuses anyone but the klien's officers), and every service declares its export route
alike (:func:`export_route`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from shared.eventstore.refusals import NotPermitted
from shared.http.pagination import CursorCodec, Page, PageRequest
from shared.http.problems import READ_RESPONSES, problem_responses
from shared.http.request_log import request_correlation_id
from shared.postgres.pool import Connection
from shared.scope import Principal

Seq = Annotated[int, Field(ge=0, lt=2**63)]
_CURSOR: CursorCodec[int] = CursorCodec(Seq)

Route = TypeVar("Route", bound=Callable[..., Any])


def export_route(router: APIRouter) -> Callable[[Route], Route]:
    """Declares a service's subject-access export, ``GET /clients/{client_id}/export``,
    alike in every service that holds something of a klien (403 for a role that may
    read the klien but not export it)."""
    return router.get(
        "/clients/{client_id}/export",
        responses=READ_RESPONSES | problem_responses(403),
        tags=["klien"],
        summary="Everything this service holds of the klien (subject access)",
    )


class AccessEntry(BaseModel):
    """One read of a klien's personal data."""

    accessed_at: datetime
    role: str
    sub: str
    method: str
    route: str = Field(description="The route's path template, e.g. `/api/v1/clients/{client_id}`.")
    correlation_id: UUID


async def record_access(
    connection: Connection | asyncpg.Pool, request: Request, caller: Principal, client_id: UUID
) -> None:
    """Add the entry of this request's read of ``client_id``'s personal data."""
    route = request.scope.get("route")
    await connection.execute(
        "INSERT INTO client_access_log (client_id, role, sub, method, route, correlation_id)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        client_id,
        caller.role.value,
        caller.sub,
        request.method,
        getattr(route, "path", request.url.path),
        request_correlation_id(request),
    )


async def record_export(
    pool: asyncpg.Pool, request: Request, caller: Principal, client_id: UUID, bapas_code: str
) -> None:
    """Before a klien's export: refuse it unless the caller is an officer of the klien's
    Bapas (``bapas_code``), then record it."""
    if not caller.can_see_client_profile(bapas_code):
        raise NotPermitted("a klien's export holds its data: for the officers of its Bapas only")
    await record_access(pool, request, caller, client_id)


async def accesses_of(pool: asyncpg.Pool, client_id: UUID, page: PageRequest) -> Page[AccessEntry]:
    """The klien's entries, the latest first."""
    rows = await pool.fetch(
        "SELECT seq, accessed_at, role, sub, method, route, correlation_id FROM client_access_log"
        " WHERE client_id = $1 AND ($2::bigint IS NULL OR seq < $2) ORDER BY seq DESC LIMIT $3",
        client_id,
        page.after(_CURSOR),
        page.fetch_limit,
    )
    shown = page.page(rows, _CURSOR, key=lambda row: row["seq"])
    return Page(
        items=[AccessEntry.model_validate(dict(row)) for row in shown.items],
        next_cursor=shown.next_cursor,
    )


async def all_accesses_of(pool: asyncpg.Pool, client_id: UUID) -> list[AccessEntry]:
    """Every entry of the klien, the oldest first (for its export)."""
    rows = await pool.fetch(
        "SELECT accessed_at, role, sub, method, route, correlation_id FROM client_access_log"
        " WHERE client_id = $1 ORDER BY seq",
        client_id,
    )
    return [AccessEntry.model_validate(dict(row)) for row in rows]
