"""The enrolment service's HTTP API (its part of the API contract): klien, their
enrolments, attendance, completion, withdrawal and outcomes.

Routes translate: a body in, one command or query out. Who may do what follows the
scope table of the API contract: a Bapas officer reads and writes everything of its Bapas,
profiles included; a Pokmas partner reads the enrolments in its own programmes and
records their attendance, completion and withdrawal, and sees the trainee's full
name (``trainee_name`` on the enrolment detail) but never a NIK, nor a klien
record; ministry and regional roles read without profiles.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response
from pydantic import Field

from services.enrolment.commands import EnrolmentCommands
from services.enrolment.domain import ClientStatus, EnrolmentStatus
from services.enrolment.profiles import ClientProfile, ProfileVault, read_profile
from services.enrolment.queries import (
    ClientDetail,
    ClientSummary,
    EnrolmentDetail,
    EnrolmentSummary,
    client_detail,
    enrolment_detail,
    list_clients,
    list_enrolments,
)
from shared.events.enrolment import (
    Assessment,
    AttendanceStatus,
    EmploymentKind,
    IntegrationType,
    PkOfficer,
    SupervisionOutcome,
    WithdrawalReason,
)
from shared.events.envelope import ShortText, Text
from shared.eventstore.store import Events
from shared.http import (
    COMMAND_RESPONSES,
    COMMON_RESPONSES,
    READ_RESPONSES,
    Caller,
    NotFound,
    Page,
    PageRequest,
    page_request,
)
from shared.http.commands import CommandAccepted, Context, RequestBody, accepted
from shared.http.guards import PlausibleDate, SupervisionEndDate
from shared.reference import KnownBapasCode, SkillCode
from shared.runtime import Runtime

router = APIRouter(prefix="/api/v1", responses=COMMON_RESPONSES, tags=["enrolment"])

NO_CLIENT = "no klien with this id"
NO_ENROLMENT = "no enrolment with this id"

Paging = Annotated[PageRequest, Depends(page_request)]


async def profile_vault(request: Request) -> ProfileVault:
    vault: ProfileVault = request.app.state.profile_vault
    return vault


Vault = Annotated[ProfileVault, Depends(profile_vault)]


async def enrolment_commands(
    runtime: Runtime, vault: Vault, caller: Caller, context: Context
) -> EnrolmentCommands:
    return EnrolmentCommands(store=runtime.event_store, vault=vault, caller=caller, context=context)


Commands = Annotated[EnrolmentCommands, Depends(enrolment_commands)]


# -- bodies ---------------------------------------------------------------------------


class ReleaseClient(RequestBody):
    bapas_code: KnownBapasCode
    register_number: ShortText
    integration_type: IntegrationType
    released_on: PlausibleDate
    supervision_ends_on: SupervisionEndDate
    pk_officer: PkOfficer
    profile: ClientProfile


class EnrolClient(RequestBody):
    programme_id: UUID
    enrolled_on: PlausibleDate


class RecordAttendance(RequestBody):
    session_no: Annotated[int, Field(ge=1, le=10_000)]
    session_date: PlausibleDate
    status: AttendanceStatus
    concern: Text | None = None


class CompleteTraining(RequestBody):
    completed_on: PlausibleDate
    assessment: Assessment
    certificate_number: ShortText | None = None


class WithdrawFromTraining(RequestBody):
    withdrawn_on: PlausibleDate
    reason_code: WithdrawalReason
    note: Text | None = None


class RecordEmployment(RequestBody):
    employment_kind: EmploymentKind
    employer_name: ShortText | None = None
    started_on: PlausibleDate
    skill: SkillCode | None = None


class RecordReoffence(RequestBody):
    recorded_on: PlausibleDate
    note: Text | None = None


class EndSupervision(RequestBody):
    ended_on: PlausibleDate
    outcome: SupervisionOutcome


def _client_accepted(response: Response, events: Events) -> CommandAccepted:
    return accepted(response, events, location=f"/api/v1/clients/{events[-1].aggregate_id}")


def _enrolment_accepted(response: Response, events: Events) -> CommandAccepted:
    return accepted(response, events, location=f"/api/v1/enrolments/{events[-1].aggregate_id}")


# -- klien ----------------------------------------------------------------------------


@router.post(
    "/clients",
    responses=COMMAND_RESPONSES,
    status_code=201,
    summary="Record a klien released into integration",
)
async def release_client(
    body: ReleaseClient, commands: Commands, response: Response
) -> CommandAccepted:
    """Who: an officer (`bapas_officer`) of the body's `bapas_code`. Anyone else: 403; an
    unknown id, or one the caller may not read: 404.
    """
    events = await commands.release_client(
        bapas_code=body.bapas_code,
        register_number=body.register_number,
        integration_type=body.integration_type,
        released_on=body.released_on,
        supervision_ends_on=body.supervision_ends_on,
        pk_officer=body.pk_officer,
        profile=body.profile,
    )
    return _client_accepted(response, events)


@router.get("/clients", summary="List klien (never with profiles)")
async def get_clients(
    caller: Caller,
    runtime: Runtime,
    page: Paging,
    bapas_code: KnownBapasCode | None = None,
    status: ClientStatus | None = None,
) -> Page[ClientSummary]:
    """Who: any role; the list holds only what the caller may read (everything for
    `ministry` and `service`, the province's Bapas for `regional`, its Bapas for
    `bapas_officer`; an empty list for `pokmas_partner`, which sees its trainees through
    the enrolments). Never with profiles.
    """
    scope = caller.list_scope()
    if scope.pokmas_id is not None:
        # A Pokmas partner sees trainees through the enrolments, not klien records.
        return Page(items=[], next_cursor=None)
    return await list_clients(
        runtime.pool, scope.narrowed(bapas_code=bapas_code), status=status, page=page
    )


@router.get(
    "/clients/{client_id}",
    responses=READ_RESPONSES,
    summary="One klien; the profile only for its Bapas's officers",
)
async def get_client(
    client_id: UUID, caller: Caller, runtime: Runtime, vault: Vault
) -> ClientDetail:
    """Who: `ministry`, `service`, `regional` of the province and officers of the Bapas;
    404 outside that scope (a Pokmas partner sees its trainees through the enrolments).
    The profile (name, NIK, contact) is shown to the Bapas's own officers only.
    """
    client = await client_detail(runtime.pool, client_id)
    if client is None:
        raise NotFound(NO_CLIENT)
    caller.require_read(client.bapas_code, detail=NO_CLIENT)
    if caller.can_see_client_profile(client.bapas_code):
        async with runtime.pool.acquire() as connection:
            client.profile = await read_profile(connection, vault, client_id)
    return client


@router.delete(
    "/clients/{client_id}/profile",
    responses=COMMAND_RESPONSES,
    status_code=204,
    summary="Erase a klien's profile; the event history stays",
    response_class=Response,
)
async def erase_client_profile(client_id: UUID, commands: Commands) -> Response:
    """ClientProfileErased; answers 204 with no body.

    Who: an officer (`bapas_officer`) of the item's Bapas. Anyone else: 403; an unknown
    id, or one the caller may not read: 404.
    """
    await commands.erase_profile(client_id)
    return Response(status_code=204)


@router.post(
    "/clients/{client_id}/employment",
    responses=COMMAND_RESPONSES,
    status_code=201,
    summary="Record employment",
)
async def record_employment(
    client_id: UUID, body: RecordEmployment, commands: Commands, response: Response
) -> CommandAccepted:
    """Who: an officer (`bapas_officer`) of the item's Bapas. Anyone else: 403; an unknown
    id, or one the caller may not read: 404.
    """
    events = await commands.change_client(
        client_id,
        lambda client: client.record_employment(
            employment_kind=body.employment_kind,
            employer_name=body.employer_name,
            started_on=body.started_on,
            skill=body.skill,
        ),
    )
    return _client_accepted(response, events)


@router.post(
    "/clients/{client_id}/reoffence",
    responses=COMMAND_RESPONSES,
    status_code=201,
    summary="Record a re-offence",
)
async def record_reoffence(
    client_id: UUID, body: RecordReoffence, commands: Commands, response: Response
) -> CommandAccepted:
    """Who: an officer (`bapas_officer`) of the item's Bapas. Anyone else: 403; an unknown
    id, or one the caller may not read: 404.
    """
    events = await commands.change_client(
        client_id,
        lambda client: client.record_reoffence(recorded_on=body.recorded_on, note=body.note),
    )
    return _client_accepted(response, events)


@router.post(
    "/clients/{client_id}/supervision-end",
    responses=COMMAND_RESPONSES,
    status_code=201,
    summary="End the supervision",
)
async def end_supervision(
    client_id: UUID, body: EndSupervision, commands: Commands, response: Response
) -> CommandAccepted:
    """Who: an officer (`bapas_officer`) of the item's Bapas. Anyone else: 403; an unknown
    id, or one the caller may not read: 404.
    """
    events = await commands.change_client(
        client_id,
        lambda client: client.end_supervision(ended_on=body.ended_on, outcome=body.outcome),
    )
    return _client_accepted(response, events)


# -- enrolments -----------------------------------------------------------------------


@router.post(
    "/clients/{client_id}/enrolments",
    responses=COMMAND_RESPONSES,
    status_code=201,
    summary="Enrol a klien in a programme",
)
async def enrol_client(
    client_id: UUID, body: EnrolClient, commands: Commands, response: Response
) -> CommandAccepted:
    """Who: an officer (`bapas_officer`) of the klien's Bapas. Anyone else: 403; an unknown
    id, or one the caller may not read: 404.
    """
    events = await commands.enrol(
        client_id, programme_id=body.programme_id, enrolled_on=body.enrolled_on
    )
    return _enrolment_accepted(response, events)


@router.get("/enrolments", summary="List enrolments")
async def get_enrolments(
    caller: Caller,
    runtime: Runtime,
    page: Paging,
    bapas_code: KnownBapasCode | None = None,
    client_id: UUID | None = None,
    programme_id: UUID | None = None,
    status: EnrolmentStatus | None = None,
) -> Page[EnrolmentSummary]:
    """Who: any role; the list holds only what the caller may read (everything for
    `ministry` and `service`, the province's Bapas for `regional`, its Bapas for
    `bapas_officer`, its own Pokmas for `pokmas_partner`).
    """
    return await list_enrolments(
        runtime.pool,
        caller.list_scope().narrowed(bapas_code=bapas_code),
        client_id=client_id,
        programme_id=programme_id,
        status=status,
        page=page,
    )


@router.get(
    "/enrolments/{enrolment_id}",
    responses=READ_RESPONSES,
    summary="One enrolment with its attendance",
)
async def get_enrolment(
    enrolment_id: UUID, caller: Caller, runtime: Runtime, vault: Vault
) -> EnrolmentDetail:
    """Who: `ministry` and `service` read every item; `regional` those of its province's
    Bapas; `bapas_officer` those of its Bapas; `pokmas_partner` those of its own Pokmas.
    Outside that scope the answer is 404, as for an unknown id.
    """
    enrolment = await enrolment_detail(runtime.pool, enrolment_id)
    if enrolment is None:
        raise NotFound(NO_ENROLMENT)
    caller.require_read(enrolment.bapas_code, pokmas_id=enrolment.pokmas_id, detail=NO_ENROLMENT)
    if caller.can_see_client_profile(enrolment.bapas_code) or caller.acts_for_pokmas(
        enrolment.pokmas_id
    ):
        async with runtime.pool.acquire() as connection:
            profile = await read_profile(connection, vault, enrolment.client_id)
        enrolment.trainee_name = None if profile is None else profile.full_name
    return enrolment


@router.post(
    "/enrolments/{enrolment_id}/attendance",
    responses=COMMAND_RESPONSES,
    status_code=201,
    summary="Record one session",
)
async def record_attendance(
    enrolment_id: UUID, body: RecordAttendance, commands: Commands, response: Response
) -> CommandAccepted:
    """Who: an officer of the Bapas, or the partner (`pokmas_partner`) of the Pokmas
    training the klien. Anyone else: 403; an unknown id, or one the caller may not read:
    404.
    """
    events = await commands.change_enrolment(
        enrolment_id,
        lambda enrolment, terms: enrolment.record_attendance(
            terms,
            session_no=body.session_no,
            session_date=body.session_date,
            status=body.status,
            concern=body.concern,
        ),
    )
    return _enrolment_accepted(response, events)


@router.post(
    "/enrolments/{enrolment_id}/completion",
    responses=COMMAND_RESPONSES,
    status_code=201,
    summary="Complete the training",
)
async def complete_training(
    enrolment_id: UUID, body: CompleteTraining, commands: Commands, response: Response
) -> CommandAccepted:
    """Who: an officer of the Bapas, or the partner (`pokmas_partner`) of the Pokmas
    training the klien. Anyone else: 403; an unknown id, or one the caller may not read:
    404.
    """
    events = await commands.change_enrolment(
        enrolment_id,
        lambda enrolment, terms: enrolment.complete(
            terms,
            completed_on=body.completed_on,
            assessment=body.assessment,
            certificate_number=body.certificate_number,
        ),
    )
    return _enrolment_accepted(response, events)


@router.post(
    "/enrolments/{enrolment_id}/withdrawal",
    responses=COMMAND_RESPONSES,
    status_code=201,
    summary="Withdraw from training",
)
async def withdraw_from_training(
    enrolment_id: UUID, body: WithdrawFromTraining, commands: Commands, response: Response
) -> CommandAccepted:
    """Who: an officer of the Bapas, or the partner (`pokmas_partner`) of the Pokmas
    training the klien. Anyone else: 403; an unknown id, or one the caller may not read:
    404.
    """
    events = await commands.change_enrolment(
        enrolment_id,
        lambda enrolment, _: enrolment.withdraw(
            withdrawn_on=body.withdrawn_on, reason_code=body.reason_code, note=body.note
        ),
    )
    return _enrolment_accepted(response, events)
