"""The insights HTTP API: the figures at four levels, the offices, how fresh they are,
and a klien's subject-access export (:mod:`services.insights.export`, for the officers
of the klien's Bapas only, recorded in the klien's access log).

Scope as everywhere on the platform: the ministry (and services) see the nation, a
regional office its province, an officer its Bapas, a Pokmas partner its own Pokmas;
anything else answers 404, so a caller cannot probe which provinces, offices or Pokmas
exist. Every figures path answers JSON, or CSV for spreadsheets with
``Accept: text/csv``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import BaseModel, Field

from services.insights import queries
from services.insights.export import InsightsExport, export_of, office_of
from services.insights.figures import BREAKDOWNS, Breakdown, Level, to_csv
from services.insights.queries import AnswerCache, KeptAnswer, Period, Scope
from shared.access_log import export_route, record_export
from shared.http import (
    COMMON_RESPONSES,
    READ_RESPONSES,
    Caller,
    FieldError,
    NotAcceptable,
    NotFound,
    Principal,
    Role,
    Unprocessable,
)
from shared.http.negotiation import quality
from shared.reference import BapasClass, bapas_office, bapas_offices, is_known_bapas
from shared.reference.offices import offices_in_province
from shared.runtime import Runtime, ServiceRuntime

router = APIRouter(prefix="/api/v1", tags=["figures"], responses=COMMON_RESPONSES)

JSON = "application/json"
CSV = "text/csv"
_READ_EVERYTHING = frozenset({Role.MINISTRY, Role.SERVICE})
NO_CLIENT = "no klien with this id is known here"

From = Annotated[
    date | None, Query(alias="from", description="First business date counted (inclusive).")
]
To = Annotated[
    date | None, Query(alias="to", description="Last business date counted (inclusive).")
]
By = Annotated[
    Breakdown | None,
    Query(description="With `Accept: text/csv`: the breakdown whose rows the CSV holds."),
]
AcceptHeader = Annotated[str | None, Header(alias="Accept", include_in_schema=False)]


def _period(start: date | None, end: date | None) -> Period:
    if start is not None and end is not None and start > end:
        raise Unprocessable(
            "the period ends before it starts",
            errors=[FieldError("query.to", "must not be before `from`")],
        )
    return Period(start, end)


def wants_csv(accept: str | None) -> bool:
    """JSON or CSV, as the ``Accept`` header prefers; JSON on a tie; 406 if neither."""
    if not accept or not accept.strip():
        return False
    json_q, csv_q = quality(accept, JSON), quality(accept, CSV)
    if json_q == 0 and csv_q == 0:
        raise NotAcceptable(f"this path answers {JSON} or {CSV}")
    return csv_q > json_q


@dataclass(frozen=True)
class FiguresRequest:
    """What every figures path is asked: by whom, for which period, in which form."""

    caller: Principal
    runtime: ServiceRuntime
    cache: AnswerCache
    period: Period
    by: Breakdown | None
    csv: bool

    async def answer(self, scope: Scope) -> Response:
        """The figures of ``scope`` (the caller may read it), as JSON or CSV."""
        if self.by is not None and self.by not in BREAKDOWNS[scope.level]:
            offered = ", ".join(b.value for b in BREAKDOWNS[scope.level])
            raise Unprocessable(
                f"the {scope.level.value} level breaks down by {offered}",
                errors=[FieldError("query.by", f"must be one of {offered}")],
            )
        now = datetime.now(UTC)
        key = (scope.level, scope.code, self.period, now.replace(minute=0, second=0, microsecond=0))
        pool = self.runtime.pool
        async with pool.acquire() as connection:
            version = (await queries.figures_state(connection)).version

        async def compute() -> KeptAnswer:
            async with pool.acquire() as connection:
                return KeptAnswer.of(await queries.answer(connection, scope, self.period, now))

        kept = await self.cache.get(key, version, compute)
        if not self.csv:
            return Response(kept.json, media_type=JSON)
        chosen = self.by or BREAKDOWNS[scope.level][0]
        name = "-".join(
            part for part in ("figures", scope.level.value, scope.code, chosen.value) if part
        )
        return Response(
            to_csv(kept.figures[f"by_{chosen.value}"]),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )


async def figures_request(
    request: Request,
    runtime: Runtime,
    caller: Caller,
    start: From = None,
    end: To = None,
    by: By = None,
    accept: AcceptHeader = None,
) -> FiguresRequest:
    return FiguresRequest(
        caller=caller,
        runtime=runtime,
        cache=request.app.state.figures_cache,
        period=_period(start, end),
        by=by,
        csv=wants_csv(accept),
    )


Figures = Annotated[FiguresRequest, Depends(figures_request)]


_CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The figures; with `Accept: text/csv`, the rows of one breakdown as CSV.",
        "content": {CSV: {"schema": {"type": "string"}}},
    },
    406: {"description": "The Accept header allows neither JSON nor CSV."},
    **READ_RESPONSES,
}


@router.get("/figures", responses=_CSV_RESPONSE)
async def national_figures(figures: Figures) -> Any:
    """National totals with `by_province`, `by_skill` and `by_month`. Ministry and services."""
    if figures.caller.role not in _READ_EVERYTHING:
        raise NotFound("no figures here for this caller")
    return await figures.answer(Scope(Level.NATIONAL, None, None, bapas_offices()))


@router.get("/figures/provinces/{province}", responses=_CSV_RESPONSE)
async def province_figures(province: str, figures: Figures) -> Any:
    """A province's totals with `by_bapas`, `by_skill` and `by_month`. Ministry, services,
    and the regional office of that province."""
    offices = offices_in_province(province)
    caller = figures.caller
    allowed = caller.role in _READ_EVERYTHING or (
        caller.role is Role.REGIONAL and caller.province == province
    )
    if not offices or not allowed:
        raise NotFound(f"no province {province!r}")
    return await figures.answer(Scope(Level.PROVINCE, province, None, offices))


@router.get("/figures/bapas/{bapas_code}", responses=_CSV_RESPONSE)
async def office_figures(bapas_code: str, figures: Figures) -> Any:
    """An office's totals with `by_pokmas`, `by_skill` and `by_month`. Ministry, services,
    the regional office of its province, and the office's own officers."""
    if not is_known_bapas(bapas_code) or not _reads_office(figures.caller, bapas_code):
        raise NotFound(f"no Bapas {bapas_code!r}")
    office = bapas_office(bapas_code)
    return await figures.answer(Scope(Level.BAPAS, bapas_code, office.name, (office,)))


@router.get("/figures/pokmas/{pokmas_id}", responses=_CSV_RESPONSE)
async def pokmas_figures(pokmas_id: UUID, figures: Figures) -> Any:
    """A Pokmas's programmes: enrolments, completions, withdrawals, suspensions and the
    employment of its graduates, with `by_skill` and `by_month`. Those who see its
    office, and the Pokmas's own partner."""
    async with figures.runtime.pool.acquire() as connection:
        found = await queries.pokmas_office(connection, pokmas_id)
    if found is None:
        raise NotFound(f"no Pokmas {pokmas_id}")
    bapas_code, name = found
    caller = figures.caller
    readable = _reads_office(caller, bapas_code) or caller.can_read(bapas_code, pokmas_id=pokmas_id)
    if not is_known_bapas(bapas_code) or not readable:
        raise NotFound(f"no Pokmas {pokmas_id}")
    office = bapas_office(bapas_code)
    return await figures.answer(Scope(Level.POKMAS, str(pokmas_id), name, (office,), pokmas_id))


def _reads_office(caller: Principal, bapas_code: str) -> bool:
    """Officers, regional offices and readers of everything; not a Pokmas partner."""
    return caller.role is not Role.POKMAS_PARTNER and caller.can_read(bapas_code)


class Office(BaseModel):
    code: str
    name: str
    office_class: BapasClass = Field(serialization_alias="class")
    province: str
    time_zone: str


class Offices(BaseModel):
    items: list[Office]


@router.get("/offices")
async def offices(caller: Caller) -> Offices:
    """Every Bapas office the platform knows: code, name, class, province and time zone
    (an IANA name), so that a subscriber can place an event's `bapas_code` in its
    province and its dates in the office's own day."""
    return Offices(
        items=[
            Office(
                code=office.code,
                name=office.name,
                office_class=office.office_class,
                province=office.province,
                time_zone=office.time_zone,
            )
            for office in sorted(bapas_offices(), key=lambda office: office.code)
        ]
    )


class Freshness(BaseModel):
    as_of: datetime | None
    events_applied: int


@router.get("/as-of")
async def as_of(runtime: Runtime, caller: Caller) -> Freshness:
    """How far the figures are: the time the newest event applied was recorded, and a
    count of events applied that moves whenever any figure may have moved (cheap: for
    pages that poll)."""
    async with runtime.pool.acquire() as connection:
        state = await queries.figures_state(connection)
    return Freshness(as_of=state.as_of, events_applied=state.events_applied)


@export_route(router)
async def export_client(
    client_id: UUID, caller: Caller, runtime: Runtime, request: Request
) -> InsightsExport:
    """The facts the figures keep of the klien by its pseudonymous id (its row, its
    enrolments, its employments, placements, re-offences, completions, withdrawals for
    work and recommendations for revocation) and who read them, for the klien's right
    of access. The export is recorded in the access log.

    Who: an officer (`bapas_officer`) of the klien's Bapas. Other roles that may read
    the klien's office: 403; an id the service keeps nothing of, or one the caller may
    not read: 404.
    """
    office = caller.require_found(await office_of(runtime.pool, client_id), NO_CLIENT)
    await record_export(runtime.pool, request, caller, client_id, office.bapas_code)
    return await export_of(runtime.pool, client_id, exported_at=datetime.now(UTC))
