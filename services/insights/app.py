"""The insights service's composition root: the figures projection over the other
services' topics, the figures API and the dashboard, wired by the shared runtime into
one ASGI app (run by uvicorn with ``--factory``).

The service writes no events of its own; it only reads (see :mod:`.projections`).
"""

from __future__ import annotations

from fastapi import FastAPI

from services.insights.api import router
from services.insights.dashboard import SESSION_COOKIE, dashboard_router
from services.insights.projections import figures_projection
from services.insights.queries import AnswerCache
from services.insights.settings import InsightsSettings
from shared.runtime import build_service_app


def create_app() -> FastAPI:
    settings = InsightsSettings()
    app = build_service_app(
        settings,
        title="Bapas insights service",
        description="The programme's figures — klien released, trained, employed and "
        "re-offending — for the ministry, regional offices, Bapas and Pokmas, fresh "
        "within a second of the events, with a dashboard at `/dashboard`.",
        routers=[router, dashboard_router],
        projections=[figures_projection(settings.topic_names)],
        session_cookie=SESSION_COOKIE,
    )
    app.state.figures_cache = AnswerCache()
    return app
