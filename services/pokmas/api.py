"""The pokmas HTTP API (its part of the API contract): commands in, read models out.

Routes translate: a request body is a command of :mod:`services.pokmas.commands`,
handed as it is to the application service (:mod:`services.pokmas.application`), and
a query goes to :mod:`services.pokmas.queries` (the domain's refusals become problems
through the shared conventions). Who may do what is the scope table of
the API contract: writes outside the caller's scope answer 403, single-item reads 404, and
lists show only what is inside it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response

from services.pokmas import commands, queries
from services.pokmas.application import PokmasApplication
from services.pokmas.domain import MoUStatus, ProgrammeStatus
from services.pokmas.queries import MoUView, PokmasView, ProgrammeView
from shared.http import (
    COMMAND_RESPONSES,
    COMMON_RESPONSES,
    READ_RESPONSES,
    Caller,
    Page,
    PageRequest,
    page_request,
)
from shared.http.commands import CommandAccepted, Context, accepted
from shared.reference import KnownBapasCode, SkillCode
from shared.runtime import Runtime


async def request_instant() -> datetime:
    """The instant the request is handled at; each office's "today" derives from it."""
    return datetime.now(UTC)


Now = Annotated[datetime, Depends(request_instant)]
Paging = Annotated[PageRequest, Depends(page_request)]


async def pokmas_application(
    runtime: Runtime, caller: Caller, context: Context
) -> PokmasApplication:
    return PokmasApplication(store=runtime.event_store, caller=caller, context=context)


Application = Annotated[PokmasApplication, Depends(pokmas_application)]


router = APIRouter(prefix="/api/v1", responses=COMMON_RESPONSES)

BapasFilter = Annotated[KnownBapasCode | None, Query(description="Only this Bapas")]
PokmasFilter = Annotated[UUID | None, Query(description="Only this Pokmas")]


# -- Pokmas ---------------------------------------------------------------------------


@router.post("/pokmas", responses=COMMAND_RESPONSES, status_code=201, tags=["pokmas"])
async def register_pokmas(
    body: commands.RegisterPokmas, application: Application, response: Response
) -> CommandAccepted:
    """Register a Pokmas with a Bapas (PokmasRegistered). Its Bapas's officers only.

    Who: an officer (`bapas_officer`) of the body's `bapas_code`. Anyone else: 403; an
    unknown id, or one the caller may not read: 404.
    """
    events = await application.register_pokmas(body)
    return accepted(response, events, location=f"/api/v1/pokmas/{events[-1].aggregate_id}")


@router.get("/pokmas", tags=["pokmas"])
async def list_pokmas(
    caller: Caller, runtime: Runtime, paging: Paging, bapas_code: BapasFilter = None
) -> Page[PokmasView]:
    """The Pokmas in the caller's scope, by name.

    Who: any role; the list holds only what the caller may read (everything for
    `ministry` and `service`, the province's Bapas for `regional`, its Bapas for
    `bapas_officer`, its own Pokmas for `pokmas_partner`).
    """
    scope = caller.list_scope().narrowed(bapas_code=bapas_code)
    return await queries.list_pokmas(runtime.pool, scope, paging)


@router.get("/pokmas/{pokmas_id}", responses=READ_RESPONSES, tags=["pokmas"])
async def get_pokmas(pokmas_id: UUID, caller: Caller, runtime: Runtime) -> PokmasView:
    """Who: `ministry` and `service` read every item; `regional` those of its province's
    Bapas; `bapas_officer` those of its Bapas; `pokmas_partner` those of its own Pokmas.
    Outside that scope the answer is 404, as for an unknown id.
    """
    found = await queries.pokmas_by_id(runtime.pool, pokmas_id)
    return caller.require_found(found, f"no pokmas {pokmas_id}")


@router.put(
    "/pokmas/{pokmas_id}/contact", responses=COMMAND_RESPONSES, status_code=200, tags=["pokmas"]
)
async def change_contact(
    pokmas_id: UUID,
    body: commands.ChangeContact,
    application: Application,
    response: Response,
) -> CommandAccepted:
    """Replace the Pokmas's contact person (PokmasContactChanged).

    Who: an officer (`bapas_officer`) of the item's Bapas. Anyone else: 403; an unknown
    id, or one the caller may not read: 404.
    """
    events = await application.change_contact(pokmas_id, body)
    return accepted(response, events, location=f"/api/v1/pokmas/{pokmas_id}", status_code=200)


# -- MoUs -----------------------------------------------------------------------------


@router.post(
    "/pokmas/{pokmas_id}/mous", responses=COMMAND_RESPONSES, status_code=201, tags=["mous"]
)
async def sign_mou(
    pokmas_id: UUID,
    body: commands.SignMoU,
    application: Application,
    response: Response,
) -> CommandAccepted:
    """Record an MoU signed with the Pokmas (MoUSigned).

    Who: an officer (`bapas_officer`) of the item's Bapas. Anyone else: 403; an unknown
    id, or one the caller may not read: 404.
    """
    events = await application.sign_mou(pokmas_id, body)
    return accepted(response, events, location=f"/api/v1/mous/{events[-1].aggregate_id}")


@router.get("/mous", tags=["mous"])
async def list_mous(
    caller: Caller,
    runtime: Runtime,
    paging: Paging,
    now: Now,
    bapas_code: BapasFilter = None,
    pokmas_id: PokmasFilter = None,
    status: MoUStatus | None = None,
    expiring_within_days: Annotated[
        int | None,
        Query(
            ge=0,
            le=3650,
            description="Only active MoUs whose validity ends within this many days "
            "(counted in each Bapas's time zone)",
        ),
    ] = None,
) -> Page[MoUView]:
    """The MoUs in the caller's scope, by the last day of their validity.

    Who: any role; the list holds only what the caller may read (everything for
    `ministry` and `service`, the province's Bapas for `regional`, its Bapas for
    `bapas_officer`, its own Pokmas for `pokmas_partner`).
    """
    scope = caller.list_scope().narrowed(bapas_code=bapas_code, pokmas_id=pokmas_id)
    return await queries.list_mous(
        runtime.pool,
        scope,
        paging,
        status=status,
        expiring_within_days=expiring_within_days,
        now=now,
    )


@router.get("/mous/{mou_id}", responses=READ_RESPONSES, tags=["mous"])
async def get_mou(mou_id: UUID, caller: Caller, runtime: Runtime) -> MoUView:
    """Who: `ministry` and `service` read every item; `regional` those of its province's
    Bapas; `bapas_officer` those of its Bapas; `pokmas_partner` those of its own Pokmas.
    Outside that scope the answer is 404, as for an unknown id.
    """
    found = await queries.mou_by_id(runtime.pool, mou_id)
    return caller.require_found(found, f"no MoU {mou_id}")


@router.post("/mous/{mou_id}/renewal", responses=COMMAND_RESPONSES, status_code=201, tags=["mous"])
async def renew_mou(
    mou_id: UUID,
    body: commands.RenewMoU,
    application: Application,
    response: Response,
) -> CommandAccepted:
    """Extend an active MoU to a later ``valid_until`` (MoURenewed).

    Who: an officer (`bapas_officer`) of the item's Bapas. Anyone else: 403; an unknown
    id, or one the caller may not read: 404.
    """
    events = await application.renew_mou(mou_id, body)
    return accepted(response, events, location=f"/api/v1/mous/{mou_id}")


@router.post(
    "/mous/{mou_id}/termination", responses=COMMAND_RESPONSES, status_code=201, tags=["mous"]
)
async def terminate_mou(
    mou_id: UUID,
    body: commands.TerminateMoU,
    application: Application,
    response: Response,
) -> CommandAccepted:
    """End an active MoU before its term (MoUTerminated).

    Who: an officer (`bapas_officer`) of the item's Bapas. Anyone else: 403; an unknown
    id, or one the caller may not read: 404.
    """
    events = await application.terminate_mou(mou_id, body)
    return accepted(response, events, location=f"/api/v1/mous/{mou_id}")


# -- Programmes -----------------------------------------------------------------------


@router.post(
    "/pokmas/{pokmas_id}/programmes",
    responses=COMMAND_RESPONSES,
    status_code=201,
    tags=["programmes"],
)
async def open_programme(
    pokmas_id: UUID,
    body: commands.OpenProgramme,
    application: Application,
    response: Response,
) -> CommandAccepted:
    """Open a training programme under one of the Pokmas's active MoUs (ProgrammeOpened).

    The Bapas's officers and the Pokmas's own partner may. Rule 1: the MoU must be
    active, cover the skill, and its validity must contain the programme's dates.

    Who: an officer of the Bapas, or the partner (`pokmas_partner`) of the Pokmas, under
    its own active MoU. Anyone else: 403; an unknown id, or one the caller may not read:
    404.
    """
    events = await application.open_programme(pokmas_id, body)
    return accepted(response, events, location=f"/api/v1/programmes/{events[-1].aggregate_id}")


@router.get("/programmes", tags=["programmes"])
async def list_programmes(
    caller: Caller,
    runtime: Runtime,
    paging: Paging,
    bapas_code: BapasFilter = None,
    pokmas_id: PokmasFilter = None,
    skill: Annotated[SkillCode | None, Query(description="Only this skill")] = None,
    status: ProgrammeStatus | None = None,
) -> Page[ProgrammeView]:
    """The programmes in the caller's scope, by their first day.

    Who: any role; the list holds only what the caller may read (everything for
    `ministry` and `service`, the province's Bapas for `regional`, its Bapas for
    `bapas_officer`, its own Pokmas for `pokmas_partner`).
    """
    scope = caller.list_scope().narrowed(bapas_code=bapas_code, pokmas_id=pokmas_id)
    return await queries.list_programmes(runtime.pool, scope, paging, skill=skill, status=status)


@router.get("/programmes/{programme_id}", responses=READ_RESPONSES, tags=["programmes"])
async def get_programme(programme_id: UUID, caller: Caller, runtime: Runtime) -> ProgrammeView:
    """A programme with its ``capacity`` and ``enrolled``, the seats taken (rule 2).

    Who: `ministry` and `service` read every item; `regional` those of its province's
    Bapas; `bapas_officer` those of its Bapas; `pokmas_partner` those of its own Pokmas.
    Outside that scope the answer is 404, as for an unknown id.
    """
    found = await queries.programme_by_id(runtime.pool, programme_id)
    return caller.require_found(found, f"no programme {programme_id}")


@router.post(
    "/programmes/{programme_id}/closure",
    responses=COMMAND_RESPONSES,
    status_code=201,
    tags=["programmes"],
)
async def close_programme(
    programme_id: UUID,
    body: commands.CloseProgramme,
    application: Application,
    response: Response,
) -> CommandAccepted:
    """Close an open programme (ProgrammeClosed).

    Who: an officer (`bapas_officer`) of the programme's Bapas; its Pokmas's partner
    opens programmes but does not close them. Anyone else: 403; an unknown id, or one
    the caller may not read: 404.
    """
    events = await application.close_programme(programme_id, body)
    return accepted(response, events, location=f"/api/v1/programmes/{programme_id}")
