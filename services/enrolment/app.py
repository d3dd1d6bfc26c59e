"""The enrolment service's composition root: its settings, the profile vault, the
certificate codes, the pokmas projection (with the MoU reactions), the periodic jobs
(the check of missed wajib lapor due dates, retention of profiles), the data migrations
done at each start before serving (the digests of NIKs and names made again under a
changed look-up key, notes once kept in clear sealed) and the routers (the API, and the
public verification of certificates), wired by the shared runtime into one ASGI app
(run by uvicorn with ``--factory``)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from datetime import UTC, datetime

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from services.enrolment import verification
from services.enrolment.api import router
from services.enrolment.application import check_reports, erase_profiles_past_retention
from services.enrolment.certificates import CertificateCodes
from services.enrolment.key_rotation import rekey_lookup_digests
from services.enrolment.notes_in_clear import seal_notes_kept_in_clear
from services.enrolment.profiles import ProfileUnreadable, ProfileVault
from services.enrolment.projections import PROJECTIONS
from services.enrolment.read_models import OWN_READ_MODELS
from services.enrolment.settings import EnrolmentSettings
from shared.events.enrolment import IntegrationType
from shared.http.problems import ServiceUnavailable
from shared.runtime import PeriodicJob, ServiceRuntime, build_service_app

log = logging.getLogger(__name__)


async def check_reports_now(
    runtime: ServiceRuntime, *, every_days: Mapping[IntegrationType, int]
) -> None:
    await check_reports(runtime.event_store, datetime.now(UTC), every_days=every_days)


async def rekey_lookup_digests_now(runtime: ServiceRuntime, *, vault: ProfileVault) -> None:
    """A NIK registered twice would go unnoticed, and a name would not match, if digests
    made with another look-up key stayed."""
    async with runtime.pool.acquire() as connection:
        await rekey_lookup_digests(connection, vault)


async def seal_notes_kept_in_clear_now(runtime: ServiceRuntime, *, vault: ProfileVault) -> None:
    async with runtime.pool.acquire() as connection:
        await seal_notes_kept_in_clear(connection, vault)


async def keys_missing(request: Request, error: Exception) -> JSONResponse:
    """A klien's data that this instance's keys do not open: most likely an instance not
    yet given the new master key during a rotation, which another instance may answer."""
    log.error("answering 503 to %s %s: %s", request.method, request.url.path, error)
    return ServiceUnavailable(
        "this instance cannot read the klien's data with the keys it is given; the error "
        "is logged, and another instance may answer"
    ).to_response(request.url.path)


async def erase_profiles_past_retention_now(runtime: ServiceRuntime, *, years: int) -> None:
    await erase_profiles_past_retention(runtime.event_store, datetime.now(UTC), years=years)


def create_app() -> FastAPI:
    settings = EnrolmentSettings()
    vault = ProfileVault(settings.master_keys(), lookup_key=settings.lookup_key())

    app = build_service_app(
        settings,
        title="Bapas enrolment service",
        description="Klien released into community integration, their encrypted profiles, "
        "their enrolments in Pokmas training (attendance, completion, withdrawal) and "
        "their outcomes (employment, re-offence, end of supervision), and the training "
        "certificates they earn, verifiable by anyone at `/verify/{code}`. Every change is "
        "an event on `enrolment.events.v1`, which never carries a klien's personal data. "
        "Bearer JWT; what each role may do is said per operation: reads outside the "
        "caller's scope answer 404, writes 403.",
        routers=[router, verification.router],
        read_models=OWN_READ_MODELS,
        projections=list(PROJECTIONS.values()),
        startup_checks=[settings.require_trusted_keys],
        data_migrations=[
            functools.partial(rekey_lookup_digests_now, vault=vault),
            functools.partial(seal_notes_kept_in_clear_now, vault=vault),
        ],
        periodic_jobs=[
            PeriodicJob(
                name="enrolment.report_check",
                every_seconds=settings.report_check_every_seconds,
                run=functools.partial(check_reports_now, every_days=settings.reporting_every_days),
            ),
            PeriodicJob(
                name="enrolment.retention",
                every_seconds=settings.retention_check_every_seconds,
                run=functools.partial(
                    erase_profiles_past_retention_now, years=settings.profile_retention_years
                ),
            ),
        ],
    )
    app.add_exception_handler(ProfileUnreadable, keys_missing)
    app.state.reporting_every_days = settings.reporting_every_days
    app.state.profile_vault = vault
    app.state.certificate_codes = CertificateCodes(
        settings.certificate_code_key(), settings.public_base_url
    )
    return app
