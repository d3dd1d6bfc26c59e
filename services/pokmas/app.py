"""The pokmas service's composition root: its settings, routers, the projection of
enrolments into programme seats and the daily MoU expiry, wired by the shared
runtime into one ASGI app (run by uvicorn with ``--factory``)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from fastapi import FastAPI

from services.pokmas.api import router
from services.pokmas.application import expire_lapsed_mous
from services.pokmas.projections import PROJECTIONS
from services.pokmas.read_models import OWN_READ_MODELS
from services.pokmas.settings import PokmasSettings
from shared.runtime import PeriodicJob, ServiceRuntime, build_service_app


async def expire_lapsed_mous_now(runtime: ServiceRuntime) -> list[UUID]:
    return await expire_lapsed_mous(runtime.event_store, datetime.now(UTC))


def create_app() -> FastAPI:
    settings = PokmasSettings()
    return build_service_app(
        settings,
        title="Bapas pokmas service",
        description="The Pokmas (community partners) of each Bapas, the MoUs they sign "
        "with it, and the training programmes they open under them. Every change is an "
        "event on `pokmas.events.v1`. Bearer JWT; what each role may do is said per "
        "operation: reads outside the caller's scope answer 404, writes 403.",
        routers=[router],
        read_models=OWN_READ_MODELS,
        projections=list(PROJECTIONS.values()),
        periodic_jobs=[
            PeriodicJob(
                name="pokmas.mou_expiry",
                every_seconds=settings.mou_expiry_every_seconds,
                run=expire_lapsed_mous_now,
            )
        ],
    )
