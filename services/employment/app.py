"""The employment service's composition root: its settings, routers, its own read models
and the projection of klien and trainings, wired by the shared runtime into one ASGI
app (run by uvicorn with ``--factory``)."""

from __future__ import annotations

from fastapi import FastAPI

from services.employment.api import router
from services.employment.projections import PROJECTIONS
from services.employment.read_models import OWN_READ_MODELS
from services.employment.settings import EmploymentSettings
from shared.runtime import build_service_app


def create_app() -> FastAPI:
    return build_service_app(
        EmploymentSettings(),
        title="Bapas employment service",
        description="The employers each Bapas engages to give klien a second chance, their "
        "fair-chance pledges and vacancies, the trained klien who fit each vacancy, and "
        "the placements of klien in work with their retention checks at 6 weeks and 6 "
        "months. Every change is an event on `employment.events.v1`, which never carries "
        "a klien's personal data. Bearer JWT; what each role may do is said per "
        "operation: reads outside the caller's scope answer 404, writes 403.",
        routers=[router],
        read_models=OWN_READ_MODELS,
        projections=list(PROJECTIONS.values()),
    )
