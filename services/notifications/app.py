"""The notifications service's composition root: its settings and routers, the projection
that records deliveries, the worker that sends them and the daily reminders, wired by
the shared runtime into one ASGI app (run by uvicorn with ``--factory``)."""

from __future__ import annotations

from fastapi import FastAPI

from services.notifications.api import router
from services.notifications.domain import Clock, system_clock
from services.notifications.projections import DeliveriesProjection
from services.notifications.reminders import ReminderCheck
from services.notifications.settings import NotificationsSettings
from services.notifications.worker import DeliveryWorker
from shared.runtime import PeriodicJob, build_service_app


def create_app(*, clock: Clock = system_clock) -> FastAPI:
    """The app; ``clock`` gives the date of the reminders and the age of events (tests
    pass their own)."""
    settings = NotificationsSettings()
    return build_service_app(
        settings,
        title="Bapas notifications service",
        description=__doc__ or "",
        routers=[router],
        projections=[DeliveriesProjection(settings, clock=clock)],
        periodic_jobs=[
            PeriodicJob(
                "notifications.delivery_worker",
                settings.delivery_poll_seconds,
                DeliveryWorker(settings).run,
            ),
            PeriodicJob(
                "notifications.reminders",
                settings.reminder_check_seconds,
                ReminderCheck(settings, clock=clock).run,
            ),
        ],
    )
