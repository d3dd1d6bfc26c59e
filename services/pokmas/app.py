"""The pokmas service's composition root: its settings and routers, wired by the
shared runtime into one ASGI app (run by uvicorn with ``--factory``)."""

from __future__ import annotations

from fastapi import FastAPI

from services.pokmas.settings import PokmasSettings
from shared.runtime import build_service_app


def create_app() -> FastAPI:
    return build_service_app(
        PokmasSettings(), title="Bapas pokmas service", description=__doc__ or ""
    )
