"""The notifications service's composition root: its settings and routers, wired by the
shared runtime into one ASGI app (run by uvicorn with ``--factory``)."""

from __future__ import annotations

from fastapi import FastAPI

from services.notifications.settings import NotificationsSettings
from shared.runtime import build_service_app


def create_app() -> FastAPI:
    return build_service_app(
        NotificationsSettings(), title="Bapas notifications service", description=__doc__ or ""
    )
