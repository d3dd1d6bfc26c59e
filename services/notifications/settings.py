"""The notifications service's settings: ``NOTIFICATIONS_``-prefixed variables, plus Kafka's.

Beside the settings every service has, they say where e-mail goes (an SMTP server;
the default is the development server, :mod:`services.notifications.dev_smtp`), whether
SMS can be sent (only when a gateway URL is set), how often and how long a failing
delivery is retried, and how often the daily reminders are checked.
"""

from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", extra="ignore")

    service_name: str = "notifications"
    port: int = 8003

    smtp_host: str = Field(default="127.0.0.1", description="SMTP server for e-mail")
    smtp_port: int = Field(default=8025, ge=1, le=65535)
    smtp_sender: str = Field(
        default="Notifikasi Bapas <notifikasi@bapas.example>", description="The From: header"
    )
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_start_tls: bool | None = Field(
        default=None, description="None: STARTTLS when the server offers it"
    )
    smtp_timeout_seconds: float = Field(default=30.0, gt=0)

    sms_gateway_url: str | None = Field(
        default=None, description="HTTP gateway that sends SMS; unset: no SMS is sent"
    )
    sms_gateway_key: str | None = Field(
        default=None, description="Sent to the gateway as Authorization: Bearer <key>"
    )
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)

    delivery_poll_seconds: float = Field(
        default=1.0, gt=0, description="How often the worker looks for due deliveries"
    )
    delivery_batch_size: int = Field(default=20, ge=1, description="Deliveries sent at once")
    delivery_lease_seconds: float = Field(
        default=120.0,
        gt=0,
        description="How long a claimed delivery is left to its worker before another "
        "instance may try it (longer than any send timeout)",
    )
    max_attempts: int = Field(
        default=8, ge=1, description="Attempts before a delivery ends as NotificationFailed"
    )
    retry_base_seconds: float = Field(
        default=30.0, gt=0, description="Delay before the 2nd attempt; doubles each time"
    )
    retry_max_seconds: float = Field(default=3600.0, gt=0, description="Longest retry delay")

    reminder_check_seconds: float = Field(
        default=3600.0,
        gt=0,
        description="How often the daily reminders are checked; each is sent once",
    )
    max_event_age_hours: float = Field(
        default=168.0,
        gt=0,
        description="Events recorded longer ago are not announced (a projection that "
        "replays the history must not notify people of old news)",
    )

    @model_validator(mode="after")
    def _lease_outlasts_sending(self) -> NotificationsSettings:
        slowest = max(self.smtp_timeout_seconds, self.webhook_timeout_seconds)
        if self.delivery_lease_seconds <= slowest:
            raise ValueError(
                "NOTIFICATIONS_DELIVERY_LEASE_SECONDS must exceed the SMTP and webhook timeouts"
            )
        return self

    @property
    def sms_enabled(self) -> bool:
        return bool(self.sms_gateway_url)
