"""The employment service's HTTP API: employers, vacancies and their candidates,
placements and their retention checks, an employer's track record.

Routes translate: a request body is a command of :mod:`services.employment.commands`,
handed as it is to the application service, and a query goes to
:mod:`services.employment.queries`. Who may do what follows the scope table of the API
contract: the officers of a Bapas write everything of it and alone see a vacancy's
candidates; the ministry and the services read everything, a regional office its
province; employment is no Pokmas partner's business, so a partner's lists are empty
and its reads of single items 404. Writes outside the caller's scope answer 403.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response

from services.employment import commands, queries
from services.employment.application import NO_CLIENT, EmploymentApplication
from services.employment.domain import PlacementStatus, VacancyStatus
from services.employment.export import EmploymentExport, export_of, klien_here
from services.employment.queries import (
    Candidate,
    EmployerRecord,
    EmployerView,
    PlacementView,
    VacancyView,
)
from services.employment.records import postgres_records
from shared.access_log import export_route, record_export
from shared.eventstore.refusals import NotPermitted
from shared.eventstore.store import Events
from shared.http import (
    COMMAND_RESPONSES,
    COMMON_RESPONSES,
    READ_RESPONSES,
    Caller,
    ListScope,
    Page,
    PageRequest,
    Principal,
    page_request,
)
from shared.http.commands import CommandAccepted, Context, accepted
from shared.http.problems import problem_responses
from shared.reference import KnownBapasCode, SkillCode
from shared.reference.kbli import KbliSection
from shared.runtime import Runtime

router = APIRouter(prefix="/api/v1", responses=COMMON_RESPONSES)

Paging = Annotated[PageRequest, Depends(page_request)]
BapasFilter = Annotated[KnownBapasCode | None, Query(description="Only this Bapas")]
SkillFilter = Annotated[SkillCode | None, Query(description="Only this skill")]

NO_EMPLOYER = "no employer with this id"
NO_VACANCY = "no vacancy with this id"
NO_PLACEMENT = "no placement with this id"


async def employment_application(
    caller: Caller, context: Context, runtime: Runtime
) -> EmploymentApplication:
    return EmploymentApplication(
        store=runtime.event_store, records=postgres_records, caller=caller, context=context
    )


Application = Annotated[EmploymentApplication, Depends(employment_application)]


def list_scope(caller: Principal) -> ListScope:
    """What the caller's lists may show: nothing for a Pokmas partner."""
    scope = caller.list_scope()
    return ListScope(frozenset()) if scope.pokmas_id is not None else scope


def _accepted(response: Response, events: Events, collection: str) -> CommandAccepted:
    return accepted(response, events, location=f"/api/v1/{collection}/{events[-1].aggregate_id}")


# -- employers ------------------------------------------------------------------------


@router.post("/employers", responses=COMMAND_RESPONSES, status_code=201, tags=["employers"])
async def register_employer(
    body: commands.RegisterEmployer, application: Application, response: Response
) -> CommandAccepted:
    """Register an employer engaged by a Bapas (EmployerRegistered).

    Who: an officer (`bapas_officer`) of the body's `bapas_code`. Anyone else: 403.
    """
    return _accepted(response, await application.register_employer(body), "employers")


@router.post(
    "/employers/{employer_id}/pledge",
    responses=COMMAND_RESPONSES,
    status_code=201,
    tags=["employers"],
)
async def pledge(
    employer_id: UUID, body: commands.SignPledge, application: Application, response: Response
) -> CommandAccepted:
    """Record the employer's fair-chance pledge (EmployerPledged), once.

    Who: an officer (`bapas_officer`) of the item's Bapas. Anyone else: 403; an unknown
    id: 404.
    """
    return _accepted(response, await application.pledge(employer_id, body), "employers")


@router.get("/employers", tags=["employers"])
async def list_employers(
    caller: Caller,
    runtime: Runtime,
    paging: Paging,
    bapas_code: BapasFilter = None,
    sector: Annotated[KbliSection | None, Query(description="Only this KBLI section")] = None,
    skill: SkillFilter = None,
) -> Page[EmployerView]:
    """The employers in the caller's scope, by name.

    Who: any role; the list holds only what the caller may read (everything for
    `ministry` and `service`, the province's Bapas for `regional`, its Bapas for
    `bapas_officer`, nothing for `pokmas_partner`).
    """
    scope = list_scope(caller).narrowed(bapas_code=bapas_code)
    return await queries.list_employers(runtime.pool, scope, paging, sector=sector, skill=skill)


@router.get("/employers/{employer_id}", responses=READ_RESPONSES, tags=["employers"])
async def get_employer(employer_id: UUID, caller: Caller, runtime: Runtime) -> EmployerView:
    """Who: `ministry` and `service` read every item; `regional` those of its province's
    Bapas; `bapas_officer` those of its Bapas. Outside that scope (a `pokmas_partner`
    always) the answer is 404, as for an unknown id.
    """
    found = await queries.employer_by_id(runtime.pool, employer_id)
    return caller.require_found(found, NO_EMPLOYER)


@router.get("/employers/{employer_id}/record", responses=READ_RESPONSES, tags=["employers"])
async def get_employer_record(
    employer_id: UUID, caller: Caller, runtime: Runtime
) -> EmployerRecord:
    """The employer's track record: hires, klien still employed at the 6-week and
    6-month checks, placements ended by reason.

    Who: as for the employer itself; outside that scope the answer is 404.
    """
    employer = caller.require_found(
        await queries.employer_by_id(runtime.pool, employer_id), NO_EMPLOYER
    )
    return await queries.employer_record(runtime.pool, employer)


# -- vacancies ------------------------------------------------------------------------


@router.post(
    "/employers/{employer_id}/vacancies",
    responses=COMMAND_RESPONSES,
    status_code=201,
    tags=["vacancies"],
)
async def post_vacancy(
    employer_id: UUID, body: commands.PostVacancy, application: Application, response: Response
) -> CommandAccepted:
    """Post a vacancy of the employer (VacancyPosted).

    Who: an officer (`bapas_officer`) of the employer's Bapas. Anyone else: 403; an
    unknown id: 404.
    """
    return _accepted(response, await application.post_vacancy(employer_id, body), "vacancies")


@router.post(
    "/vacancies/{vacancy_id}/closure",
    responses=COMMAND_RESPONSES,
    status_code=201,
    tags=["vacancies"],
)
async def close_vacancy(
    vacancy_id: UUID, body: commands.CloseVacancy, application: Application, response: Response
) -> CommandAccepted:
    """Close a vacancy (VacancyClosed): it takes no more placements.

    Who: an officer (`bapas_officer`) of the item's Bapas. Anyone else: 403; an unknown
    id: 404.
    """
    return _accepted(response, await application.close_vacancy(vacancy_id, body), "vacancies")


@router.get("/vacancies", tags=["vacancies"])
async def list_vacancies(
    caller: Caller,
    runtime: Runtime,
    paging: Paging,
    bapas_code: BapasFilter = None,
    skill: SkillFilter = None,
    status: VacancyStatus | None = None,
) -> Page[VacancyView]:
    """The vacancies in the caller's scope, by the day they open.

    Who: any role; the list holds only what the caller may read (everything for
    `ministry` and `service`, the province's Bapas for `regional`, its Bapas for
    `bapas_officer`, nothing for `pokmas_partner`).
    """
    scope = list_scope(caller).narrowed(bapas_code=bapas_code)
    return await queries.list_vacancies(runtime.pool, scope, paging, skill=skill, status=status)


@router.get("/vacancies/{vacancy_id}", responses=READ_RESPONSES, tags=["vacancies"])
async def get_vacancy(vacancy_id: UUID, caller: Caller, runtime: Runtime) -> VacancyView:
    """A vacancy with its `positions` and the placements it has taken (`placed`).

    Who: `ministry` and `service` read every item; `regional` those of its province's
    Bapas; `bapas_officer` those of its Bapas. Outside that scope (a `pokmas_partner`
    always) the answer is 404, as for an unknown id.
    """
    return caller.require_found(await queries.vacancy_by_id(runtime.pool, vacancy_id), NO_VACANCY)


@router.get(
    "/vacancies/{vacancy_id}/candidates", responses=problem_responses(403, 404), tags=["vacancies"]
)
async def get_candidates(
    vacancy_id: UUID, caller: Caller, runtime: Runtime, paging: Paging
) -> Page[Candidate]:
    """The klien who fit the vacancy: of its Bapas, under supervision, with a completed
    training in its skill assessed `competent`, and no open placement; by register
    number, as `client_id` and `register_number` (names stay in the enrolment service).

    Who: the officers (`bapas_officer`) of the vacancy's Bapas. Others who may read the
    vacancy: 403; anyone else, or an unknown id: 404.
    """
    vacancy = caller.require_found(
        await queries.vacancy_by_id(runtime.pool, vacancy_id), NO_VACANCY
    )
    if not caller.can_write(vacancy.bapas_code):
        raise NotPermitted("only the officers of the vacancy's Bapas see its candidates")
    return await queries.candidates(runtime.pool, vacancy, paging)


# -- placements -----------------------------------------------------------------------


@router.post("/placements", responses=COMMAND_RESPONSES, status_code=201, tags=["placements"])
async def place_client(
    body: commands.PlaceClient, application: Application, response: Response
) -> CommandAccepted:
    """A klien starts work with an employer, from one of its vacancies or not
    (ClientPlaced). The klien must be under supervision at the employer's Bapas, with
    no other open placement; a vacancy must be open and not yet filled (409 otherwise).

    Who: an officer (`bapas_officer`) of the employer's Bapas. Anyone else: 403.
    """
    return _accepted(response, await application.place(body), "placements")


@router.post(
    "/placements/{placement_id}/checks",
    responses=COMMAND_RESPONSES,
    status_code=201,
    tags=["placements"],
)
async def check_placement(
    placement_id: UUID,
    body: commands.CheckPlacement,
    application: Application,
    response: Response,
) -> CommandAccepted:
    """A retention check (PlacementChecked): from day 42 after the start the 6-week
    check, from day 183 the 6-month one, each once; earlier is a 409. A klien no longer
    employed ends the placement (PlacementEnded, on the day of the check).

    Who: an officer (`bapas_officer`) of the item's Bapas. Anyone else: 403; an unknown
    id: 404.
    """
    events = await application.check_placement(placement_id, body)
    return _accepted(response, events, "placements")


@router.post(
    "/placements/{placement_id}/end",
    responses=COMMAND_RESPONSES,
    status_code=201,
    tags=["placements"],
)
async def end_placement(
    placement_id: UUID,
    body: commands.EndPlacement,
    application: Application,
    response: Response,
) -> CommandAccepted:
    """End an open placement (PlacementEnded).

    Who: an officer (`bapas_officer`) of the item's Bapas. Anyone else: 403; an unknown
    id: 404.
    """
    events = await application.end_placement(placement_id, body)
    return _accepted(response, events, "placements")


@router.get("/placements", tags=["placements"])
async def list_placements(
    caller: Caller,
    runtime: Runtime,
    paging: Paging,
    bapas_code: BapasFilter = None,
    employer_id: Annotated[UUID | None, Query(description="Only this employer")] = None,
    client_id: Annotated[UUID | None, Query(description="Only this klien")] = None,
    status: PlacementStatus | None = None,
) -> Page[PlacementView]:
    """The placements in the caller's scope, by their first day of work.

    Who: any role; the list holds only what the caller may read (everything for
    `ministry` and `service`, the province's Bapas for `regional`, its Bapas for
    `bapas_officer`, nothing for `pokmas_partner`).
    """
    scope = list_scope(caller).narrowed(bapas_code=bapas_code)
    return await queries.list_placements(
        runtime.pool, scope, paging, employer_id=employer_id, client_id=client_id, status=status
    )


@router.get("/placements/{placement_id}", responses=READ_RESPONSES, tags=["placements"])
async def get_placement(placement_id: UUID, caller: Caller, runtime: Runtime) -> PlacementView:
    """A placement with its retention checks.

    Who: `ministry` and `service` read every item; `regional` those of its province's
    Bapas; `bapas_officer` those of its Bapas. Outside that scope (a `pokmas_partner`
    always) the answer is 404, as for an unknown id.
    """
    found = await queries.placement_by_id(runtime.pool, placement_id)
    return caller.require_found(found, NO_PLACEMENT)


@export_route(router)
async def export_client(
    client_id: UUID, caller: Caller, runtime: Runtime, request: Request
) -> EmploymentExport:
    """The klien as this service knows it, its competent trainings and its placements
    with their retention checks, and who read its data here, for the klien's right of
    access. The export is recorded in the access log.

    Who: an officer (`bapas_officer`) of the klien's Bapas. Other roles that may read
    the klien: 403; an unknown id, or one the caller may not read: 404.
    """
    klien = caller.require_found(await klien_here(runtime.pool, client_id), NO_CLIENT)
    await record_export(runtime.pool, request, caller, client_id, klien.bapas_code)
    return await export_of(runtime.pool, klien, exported_at=datetime.now(UTC))
