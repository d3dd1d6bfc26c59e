"""The notifications service's composition root: its settings and routers, the projection
that records deliveries, the worker that sends them and the daily reminders, wired by
the shared runtime into one ASGI app (run by uvicorn with ``--factory``).

It also builds what the webhooks need once per app: the vault of the subscriptions'
secrets (from ``NOTIFICATIONS_SECRETS_MASTER_KEY``), the target guard (the policy of
``BAPAS_ENVIRONMENT`` and a resolver, which tests replace with a stub) and the webhook
sender. Building the app opens nothing; starting it refuses the development master key
outside an explicit development environment, with a message that says what to set.
"""

from __future__ import annotations

from fastapi import FastAPI

from services.notifications.api import router
from services.notifications.domain import Clock, system_clock
from services.notifications.projections import DeliveriesProjection
from services.notifications.reminders import ReminderCheck
from services.notifications.settings import NotificationsSettings
from services.notifications.targets import Resolver, TargetGuard, TargetPolicy, system_resolver
from services.notifications.vault import SecretVault
from services.notifications.webhooks import WebhookSender
from services.notifications.worker import DeliveryWorker
from shared.runtime import PeriodicJob, build_service_app


class DevelopmentKeyRefused(RuntimeError):
    """The service was started with the development master key outside development."""


def create_app(*, clock: Clock = system_clock, resolver: Resolver = system_resolver) -> FastAPI:
    """The app; ``clock`` gives the date of the reminders and the age of events, and
    ``resolver`` resolves webhook hosts (tests pass their own of both)."""
    settings = NotificationsSettings()

    def refuse_the_development_key() -> None:
        refusal = settings.development_key_refusal()
        if refusal is not None:
            raise DevelopmentKeyRefused(refusal)

    vault = SecretVault(settings.master_key())
    guard = TargetGuard(TargetPolicy.for_environment(development=settings.is_development), resolver)
    webhook = WebhookSender(
        guard=guard,
        vault=vault,
        deadline_seconds=settings.webhook_timeout_seconds,
        answer_limit_bytes=settings.webhook_answer_limit_bytes,
    )
    app = build_service_app(
        settings,
        title="Bapas notifications service",
        description="Who is told what: e-mail, SMS and signed webhooks for the platform's "
        "events, in Bahasa Indonesia, each delivered once, with retries and a delivery "
        "history; webhook subscriptions for other systems. Bearer JWT; what each role "
        "may do is said per operation.",
        routers=[router],
        projections=[DeliveriesProjection(settings, clock=clock)],
        startup_checks=[refuse_the_development_key],
        periodic_jobs=[
            PeriodicJob(
                "notifications.delivery_worker",
                settings.delivery_poll_seconds,
                DeliveryWorker(settings, webhook=webhook, vault=vault).run,
            ),
            PeriodicJob(
                "notifications.reminders",
                settings.reminder_check_seconds,
                ReminderCheck(settings, clock=clock).run,
            ),
        ],
    )
    app.state.secret_vault = vault
    app.state.target_guard = guard
    app.state.secret_grace_seconds = settings.webhook_secret_grace_hours * 3600
    return app
