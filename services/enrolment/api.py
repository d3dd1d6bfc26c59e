"""The enrolment service's HTTP API (its part of the API contract): klien, their
enrolments, attendance, completion, withdrawal and outcomes.

Routes translate: a body in, one command or query out. Who may do what follows the
scope table of the API contract: a Bapas officer reads and writes everything of its Bapas,
profiles included; a Pokmas partner reads the enrolments in its own programmes and
records their attendance, completion and withdrawal, and sees the trainee's full
name (``trainee_name`` on the enrolment detail) but never a NIK, nor a klien
record; ministry and regional roles read without profiles. An enrolment completed
competent shows its certificate's code, and its certificate prints as a PDF for the
officers of its Bapas and the partner of its Pokmas (it bears the klien's name).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from services.enrolment import commands
from services.enrolment.application import NO_CLIENT, NO_ENROLMENT, EnrolmentApplication
from services.enrolment.certificate_pdf import certificate_pdf
from services.enrolment.certificate_wording import wording_of
from services.enrolment.certificates import certificate_refusal
from services.enrolment.dependencies import Codes, ReportingDefaults, Vault
from services.enrolment.domain import ClientStatus, EnrolmentStatus
from services.enrolment.export import EnrolmentExport, export_of
from services.enrolment.notes import CLIENT_NOTES, ENROLMENT_NOTES, REPORT_NOTES, notes_of
from services.enrolment.profiles import read_profile
from services.enrolment.queries import (
    ClientDetail,
    ClientSummary,
    DueDate,
    EnrolmentDetail,
    EnrolmentSummary,
    certificate_of,
    client_detail,
    due_dates_of,
    enrolment_detail,
    list_clients,
    list_enrolments,
)
from services.enrolment.records import postgres_records
from shared.access_log import AccessEntry, accesses_of, export_route, record_access, record_export
from shared.eventstore.store import Events
from shared.http import (
    COMMAND_RESPONSES,
    COMMON_RESPONSES,
    READ_RESPONSES,
    Caller,
    Conflict,
    Forbidden,
    NotFound,
    Page,
    PageRequest,
    page_request,
)
from shared.http.commands import CommandAccepted, Context, accepted
from shared.http.problems import problem_responses
from shared.reference import KnownBapasCode
from shared.runtime import Runtime
from shared.scope import Principal

router = APIRouter(prefix="/api/v1", responses=COMMON_RESPONSES, tags=["enrolment"])

Paging = Annotated[PageRequest, Depends(page_request)]

PDF_MEDIA_TYPE = "application/pdf"


async def enrolment_application(
    runtime: Runtime,
    vault: Vault,
    reporting_every_days: ReportingDefaults,
    caller: Caller,
    context: Context,
) -> EnrolmentApplication:
    return EnrolmentApplication(
        store=runtime.event_store,
        records=postgres_records(vault),
        caller=caller,
        context=context,
        reporting_every_days=reporting_every_days,
    )


Application = Annotated[EnrolmentApplication, Depends(enrolment_application)]


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
    body: commands.ReleaseClient, application: Application, response: Response
) -> CommandAccepted:
    """Who: an officer (`bapas_officer`) of the body's `bapas_code`. Anyone else: 403; an
    unknown id, or one the caller may not read: 404.
    """
    events = await application.release_client(body)
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
    client_id: UUID, caller: Caller, runtime: Runtime, vault: Vault, request: Request
) -> ClientDetail:
    """Who: `ministry`, `service`, `regional` of the province and officers of the Bapas;
    404 outside that scope (a Pokmas partner sees its trainees through the enrolments).
    The profile (name, NIK, contact) is shown to the Bapas's own officers only, and
    each time it is, the klien's access log records who read it.
    """
    client = caller.require_found(await client_detail(runtime.pool, client_id), NO_CLIENT)
    if caller.can_see_client_profile(client.bapas_code):
        async with runtime.pool.acquire() as connection:
            client.profile = await read_profile(connection, vault, client_id)
            if client.profile is not None:
                await record_access(connection, request, caller, client_id)
            notes = await notes_of(connection, vault, [client_id], kinds=CLIENT_NOTES)
        notes.fill_client(client)
    return client


@router.delete(
    "/clients/{client_id}/profile",
    responses=COMMAND_RESPONSES,
    status_code=204,
    summary="Erase a klien's profile; the event history stays",
    response_class=Response,
)
async def erase_client_profile(client_id: UUID, application: Application) -> Response:
    """ClientProfileErased; answers 204 with no body.

    Who: an officer (`bapas_officer`) of the item's Bapas. Anyone else: 403; an unknown
    id, or one the caller may not read: 404.
    """
    await application.erase_profile(client_id)
    return Response(status_code=204)


@router.post(
    "/clients/{client_id}/employment",
    responses=COMMAND_RESPONSES,
    status_code=201,
    summary="Record employment",
)
async def record_employment(
    client_id: UUID, body: commands.RecordEmployment, application: Application, response: Response
) -> CommandAccepted:
    """Who: an officer (`bapas_officer`) of the item's Bapas. Anyone else: 403; an unknown
    id, or one the caller may not read: 404.
    """
    events = await application.record_employment(client_id, body)
    return _client_accepted(response, events)


@router.post(
    "/clients/{client_id}/reoffence",
    responses=COMMAND_RESPONSES,
    status_code=201,
    summary="Record a re-offence",
)
async def record_reoffence(
    client_id: UUID, body: commands.RecordReoffence, application: Application, response: Response
) -> CommandAccepted:
    """Who: an officer (`bapas_officer`) of the item's Bapas. Anyone else: 403; an unknown
    id, or one the caller may not read: 404.
    """
    events = await application.record_reoffence(client_id, body)
    return _client_accepted(response, events)


@router.post(
    "/clients/{client_id}/supervision-end",
    responses=COMMAND_RESPONSES,
    status_code=201,
    summary="End the supervision",
)
async def end_supervision(
    client_id: UUID, body: commands.EndSupervision, application: Application, response: Response
) -> CommandAccepted:
    """Who: an officer (`bapas_officer`) of the item's Bapas. Anyone else: 403; an unknown
    id, or one the caller may not read: 404.
    """
    events = await application.end_supervision(client_id, body)
    return _client_accepted(response, events)


# -- wajib lapor and transfer -----------------------------------------------------------


@router.post(
    "/clients/{client_id}/reporting-schedule",
    responses=COMMAND_RESPONSES,
    status_code=201,
    summary="Set the klien's reporting schedule (wajib lapor)",
)
async def schedule_reporting(
    client_id: UUID, body: commands.ScheduleReporting, application: Application, response: Response
) -> CommandAccepted:
    """ReportingScheduled: due dates from `first_due_on`, every `every_days` days; it
    replaces the schedule after `first_due_on`. A first due date in the past counts the
    past due dates, as missed unless reported (history being entered).

    Who: an officer (`bapas_officer`) of the item's Bapas. Anyone else: 403; an unknown
    id, or one the caller may not read: 404.
    """
    events = await application.schedule_reporting(client_id, body)
    return _client_accepted(response, events)


@router.post(
    "/clients/{client_id}/reports",
    responses=COMMAND_RESPONSES,
    status_code=201,
    summary="Record a report for one due date",
)
async def record_report(
    client_id: UUID, body: commands.RecordReport, application: Application, response: Response
) -> CommandAccepted:
    """ReportRecorded for a due date of the schedule (a past one, also one already
    recorded as missed, or the next one); it ends a streak of misses and a
    recommendation to revoke. `reported` is on or before the due date, `late` after it.

    Who: an officer (`bapas_officer`) of the item's Bapas. Anyone else: 403; an unknown
    id, or one the caller may not read: 404.
    """
    events = await application.record_report(client_id, body)
    return _client_accepted(response, events)


@router.get(
    "/clients/{client_id}/reports",
    responses=READ_RESPONSES,
    summary="The klien's due dates answered or missed, the latest first",
)
async def get_reports(
    client_id: UUID, caller: Caller, runtime: Runtime, vault: Vault
) -> list[DueDate]:
    """Who: as for the klien (`GET /clients/{client_id}`); 404 outside that scope. A
    report's `note` is shown to the officers of the klien's Bapas only."""
    client = caller.require_found(await client_detail(runtime.pool, client_id), NO_CLIENT)
    due_dates = await due_dates_of(runtime.pool, client_id)
    if caller.can_see_client_profile(client.bapas_code):
        async with runtime.pool.acquire() as connection:
            notes = await notes_of(connection, vault, [client_id], kinds=REPORT_NOTES)
        notes.fill_due_dates(client_id, due_dates)
    return due_dates


@router.get(
    "/clients/{client_id}/access-log",
    responses=READ_RESPONSES,
    summary="Who read the klien's personal data, the latest first",
)
async def get_access_log(
    client_id: UUID, caller: Caller, runtime: Runtime, page: Paging
) -> Page[AccessEntry]:
    """Each read of the klien's profile, or of what shows part of it (the trainee's name
    on an enrolment, a printed certificate): when, the caller's role and subject, the
    route and the request's correlation id. Append-only: no route changes or deletes an
    entry.

    Who: the officers (`bapas_officer`) of the klien's Bapas, and `ministry`; 404 for
    anyone else, as for an unknown id.
    """
    client = await client_detail(runtime.pool, client_id)
    if client is None or not caller.can_see_who_looked(client.bapas_code):
        raise NotFound(NO_CLIENT)
    return await accesses_of(runtime.pool, client_id, page)


@export_route(router)
async def export_client(
    client_id: UUID,
    caller: Caller,
    runtime: Runtime,
    vault: Vault,
    codes: Codes,
    request: Request,
) -> EnrolmentExport:
    """The klien with its profile, its due dates, its enrolments at any office (with
    attendance and certificate codes) and who read its personal data, in one document,
    for the klien's right of access. The export is recorded in the access log.

    Who: an officer (`bapas_officer`) of the klien's Bapas. Other roles that may read
    the klien: 403; an unknown id, or one the caller may not read: 404.
    """
    klien = caller.require_found(await client_detail(runtime.pool, client_id), NO_CLIENT)
    await record_export(runtime.pool, request, caller, client_id, klien.bapas_code)
    return await export_of(runtime.pool, vault, codes, klien, exported_at=datetime.now(UTC))


@router.post(
    "/clients/{client_id}/transfer",
    responses=COMMAND_RESPONSES,
    status_code=201,
    summary="Transfer the klien to another Bapas",
)
async def transfer_client(
    client_id: UUID, body: commands.TransferClient, application: Application, response: Response
) -> CommandAccepted:
    """ClientTransferredOut, then ClientTransferredIn under `to_bapas_code`: from then on
    the new office's officers read and write the klien and its profile, the old office's
    no longer do, and the klien's PK officer is `pk_officer` (none if it names none).
    Open enrolments at the old office end (TrainingWithdrawn, reason `moved`); completed
    ones stay the klien's. 409 if the new office has registered the
    klien's NIK already.

    Who: an officer (`bapas_officer`) of the klien's current Bapas. Anyone else: 403; an
    unknown id, or one the caller may not read: 404.
    """
    events = await application.transfer(client_id, body)
    return _client_accepted(response, events)


# -- enrolments -----------------------------------------------------------------------


@router.post(
    "/clients/{client_id}/enrolments",
    responses=COMMAND_RESPONSES,
    status_code=201,
    summary="Enrol a klien in a programme",
)
async def enrol_client(
    client_id: UUID, body: commands.EnrolClient, application: Application, response: Response
) -> CommandAccepted:
    """Who: an officer (`bapas_officer`) of the klien's Bapas. Anyone else: 403; an unknown
    id, or one the caller may not read: 404.
    """
    events = await application.enrol(client_id, body)
    return _enrolment_accepted(response, events)


@router.get("/enrolments", summary="List enrolments")
async def get_enrolments(
    caller: Caller,
    runtime: Runtime,
    vault: Vault,
    page: Paging,
    bapas_code: KnownBapasCode | None = None,
    client_id: UUID | None = None,
    programme_id: UUID | None = None,
    status: EnrolmentStatus | None = None,
) -> Page[EnrolmentSummary]:
    """Who: any role; the list holds only what the caller may read (everything for
    `ministry` and `service`, the province's Bapas for `regional`, its Bapas for
    `bapas_officer`, its own Pokmas for `pokmas_partner`). A `withdrawal_note` is shown
    to the officers of the enrolment's Bapas and the partner of its Pokmas only.
    """
    enrolments = await list_enrolments(
        runtime.pool,
        caller.list_scope().narrowed(bapas_code=bapas_code),
        client_id=client_id,
        programme_id=programme_id,
        status=status,
        page=page,
    )
    entitled = [e for e in enrolments.items if _may_read_notes(caller, e)]
    if entitled:
        async with runtime.pool.acquire() as connection:
            notes = await notes_of(
                connection, vault, [e.client_id for e in entitled], kinds=ENROLMENT_NOTES
            )
        for enrolment in entitled:
            notes.fill_enrolment(enrolment)
    return enrolments


def _may_read_notes(caller: Principal, enrolment: EnrolmentSummary) -> bool:
    """The notes of an enrolment (withdrawal, attendance concerns) are shown to those who
    see its trainee's name: the officers of its Bapas and the partner of its Pokmas."""
    return caller.can_see_client_profile(enrolment.bapas_code) or caller.acts_for_pokmas(
        enrolment.pokmas_id
    )


@router.get(
    "/enrolments/{enrolment_id}",
    responses=READ_RESPONSES,
    summary="One enrolment with its attendance",
)
async def get_enrolment(
    enrolment_id: UUID,
    caller: Caller,
    runtime: Runtime,
    vault: Vault,
    codes: Codes,
    request: Request,
) -> EnrolmentDetail:
    """Who: `ministry` and `service` read every item; `regional` those of its province's
    Bapas; `bapas_officer` those of its Bapas; `pokmas_partner` those of its own Pokmas.
    Outside that scope the answer is 404, as for an unknown id. `certificate_code` is
    the code of the training certificate once completed `competent`, else null.
    """
    enrolment = caller.require_found(
        await enrolment_detail(runtime.pool, enrolment_id), NO_ENROLMENT
    )
    if _may_read_notes(caller, enrolment):
        async with runtime.pool.acquire() as connection:
            profile = await read_profile(connection, vault, enrolment.client_id)
            if profile is not None:
                await record_access(connection, request, caller, enrolment.client_id)
            notes = await notes_of(connection, vault, [enrolment.client_id], kinds=ENROLMENT_NOTES)
        notes.fill_enrolment_detail(enrolment)
        enrolment.trainee_name = None if profile is None else profile.full_name
    if certificate_refusal(enrolment.status, enrolment.assessment) is None:
        enrolment.certificate_code = codes.code_of(enrolment_id)
    return enrolment


@router.get(
    "/enrolments/{enrolment_id}/certificate.pdf",
    response_class=Response,
    responses={
        200: {
            "description": "The training certificate, one A4 page in Bahasa Indonesia.",
            "content": {PDF_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        },
        **problem_responses(403, 404, 409),
    },
    summary="The printable training certificate (PDF)",
)
async def get_certificate_pdf(
    enrolment_id: UUID,
    caller: Caller,
    runtime: Runtime,
    vault: Vault,
    codes: Codes,
    request: Request,
) -> Response:
    """Who: an officer (`bapas_officer`) of the enrolment's Bapas, or the partner
    (`pokmas_partner`) of its programme's Pokmas: it bears the klien's name. Other roles
    that may read the enrolment: 403; an unknown id, or one the caller may not read: 404.
    409 when the training is not completed with the assessment `competent`, or once
    the klien's profile is erased (the certificate still verifies, but can no longer
    be printed with the name).
    """
    certificate = caller.require_found(
        await certificate_of(runtime.pool, enrolment_id), NO_ENROLMENT
    )
    if not (
        caller.can_see_client_profile(certificate.bapas_code)
        or caller.acts_for_pokmas(certificate.pokmas_id)
    ):
        raise Forbidden(
            f"role {caller.role} may not print a certificate: it bears the klien's name, "
            "for the officers of the Bapas and the partner of the programme's Pokmas only"
        )
    refusal = certificate_refusal(certificate.status, certificate.assessment)
    if refusal is not None:
        raise Conflict(f"no certificate: {refusal}")
    async with runtime.pool.acquire() as connection:
        profile = await read_profile(connection, vault, certificate.client_id)
        if profile is not None:
            await record_access(connection, request, caller, certificate.client_id)
    if profile is None:
        raise Conflict(
            "the klien's profile was erased: the certificate can no longer be printed with "
            "the name (its code still verifies)"
        )
    code = codes.code_of(enrolment_id)
    pdf = await run_in_threadpool(
        certificate_pdf,
        wording_of(certificate),
        trainee_name=profile.full_name,
        code=code,
        verification_url=codes.verification_url(code),
    )
    return Response(
        pdf,
        media_type=PDF_MEDIA_TYPE,
        headers={
            "Content-Disposition": f'inline; filename="sertifikat-{code}.pdf"',
            "Cache-Control": "no-store",
        },
    )


@router.post(
    "/enrolments/{enrolment_id}/attendance",
    responses=COMMAND_RESPONSES,
    status_code=201,
    summary="Record one session",
)
async def record_attendance(
    enrolment_id: UUID,
    body: commands.RecordAttendance,
    application: Application,
    response: Response,
) -> CommandAccepted:
    """Who: an officer of the Bapas, or the partner (`pokmas_partner`) of the Pokmas
    training the klien. Anyone else: 403; an unknown id, or one the caller may not read:
    404.
    """
    events = await application.record_attendance(enrolment_id, body)
    return _enrolment_accepted(response, events)


@router.post(
    "/enrolments/{enrolment_id}/completion",
    responses=COMMAND_RESPONSES,
    status_code=201,
    summary="Complete the training",
)
async def complete_training(
    enrolment_id: UUID,
    body: commands.CompleteTraining,
    application: Application,
    response: Response,
) -> CommandAccepted:
    """Who: an officer of the Bapas, or the partner (`pokmas_partner`) of the Pokmas
    training the klien. Anyone else: 403; an unknown id, or one the caller may not read:
    404.
    """
    events = await application.complete_training(enrolment_id, body)
    return _enrolment_accepted(response, events)


@router.post(
    "/enrolments/{enrolment_id}/withdrawal",
    responses=COMMAND_RESPONSES,
    status_code=201,
    summary="Withdraw from training",
)
async def withdraw_from_training(
    enrolment_id: UUID,
    body: commands.WithdrawFromTraining,
    application: Application,
    response: Response,
) -> CommandAccepted:
    """Who: an officer of the Bapas, or the partner (`pokmas_partner`) of the Pokmas
    training the klien. Anyone else: 403; an unknown id, or one the caller may not read:
    404.
    """
    events = await application.withdraw(enrolment_id, body)
    return _enrolment_accepted(response, events)
