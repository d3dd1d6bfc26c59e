"""The one place a service's FastAPI app gets the conventions all services share.

Each service's composition root calls :func:`create_service_app` and then includes
its own routers, so problem documents (the application's refusals among them), request
limits, bearer authentication, health, readiness and metrics are the same everywhere
and no service can forget one of them.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import FastAPI
from starlette.types import Lifespan

from shared.http.auth import install_auth
from shared.http.health import ReadinessCheck, health_router
from shared.http.limits import RequestLimitMiddleware, RequestLimits
from shared.http.metrics import metrics_router
from shared.http.problems import install_problem_handlers
from shared.http.refusals import install_refusal_handlers
from shared.http.request_log import RequestLogMiddleware
from shared.settings import AuthSettings


def create_service_app(
    *,
    title: str,
    version: str,
    auth: AuthSettings,
    bapas_provinces: Mapping[str, str],
    readiness_checks: Mapping[str, ReadinessCheck],
    lifespan: Lifespan[FastAPI] | None = None,
    description: str = "",
    session_cookie: str | None = None,
) -> FastAPI:
    """A FastAPI app with problem handlers (the application's refusals among them), auth,
    health, readiness, metrics and a log line per request (with its correlation id)
    installed.

    ``bapas_provinces`` maps each Bapas code to its province code (from the reference
    data) for the ``regional`` role's scope. ``readiness_checks`` name the
    dependencies ``/health/ready`` checks, e.g. ``{"database": ..., "kafka": ...}``.
    """
    app = FastAPI(title=title, version=version, description=description, lifespan=lifespan)
    install_problem_handlers(app)
    install_refusal_handlers(app)
    app.add_middleware(RequestLimitMiddleware, max_body_bytes=RequestLimits().max_body_bytes)
    # Outermost, so every line logged while a request is served carries its correlation id,
    # and (added after the problem handlers' middleware) its metric counts the 500s.
    app.add_middleware(RequestLogMiddleware)
    install_auth(app, auth, bapas_provinces=bapas_provinces, session_cookie=session_cookie)
    app.include_router(health_router(readiness_checks))
    app.include_router(metrics_router())
    return app
