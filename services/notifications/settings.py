"""The notifications service's settings: ``NOTIFICATIONS_``-prefixed variables, plus Kafka's.

Beside the settings every service has, they say where e-mail goes (an SMTP server;
the default is the development server, :mod:`services.notifications.dev_smtp`), whether
SMS can be sent (only when a gateway URL is set), how often and how long a failing
delivery is retried, how often the daily reminders are checked, and how webhooks are
kept in bounds: the overall deadline and answer cap of
a delivery, how many deliveries one receiver may have in flight, when a failing
receiver is paused, and how long a rotated secret stays valid.

The webhook subscriptions' secrets are encrypted under a master key
(``NOTIFICATIONS_SECRETS_MASTER_KEY``, 32 bytes in base64). Like the JWT secret, it has
a development default so that the local stack runs without setup; a service refuses
to start with that default unless ``BAPAS_ENVIRONMENT=development`` is set explicitly
(:meth:`NotificationsSettings.development_key_refusal`, checked at start-up by
:mod:`services.notifications.app`). The same explicit setting is what allows ``http``
and loopback webhook targets.
"""

from __future__ import annotations

import base64

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shared.master_key import decode_master_key, development_key_refusal
from shared.settings import ServiceSettings

MASTER_KEY_VARIABLE = "NOTIFICATIONS_SECRETS_MASTER_KEY"

DEVELOPMENT_SECRETS_MASTER_KEY = base64.b64encode(b"notifications-dev-master-key-32b").decode()
"""Known to everyone who reads this file: it protects nothing, and outside an explicit
development environment the service refuses to start with it."""


class NotificationsSettings(ServiceSettings):
    # Validation errors never echo the input: it may be the master key.
    model_config = SettingsConfigDict(
        env_prefix="NOTIFICATIONS_", extra="ignore", hide_input_in_errors=True
    )

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

    secrets_master_key: SecretStr = Field(
        default=SecretStr(DEVELOPMENT_SECRETS_MASTER_KEY),
        description="Base64 of 32 random bytes; encrypts the webhook subscriptions' secrets",
    )
    webhook_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="Overall deadline of one webhook delivery: resolving the host, "
        "connecting, TLS, sending and reading the answer",
    )
    webhook_answer_limit_bytes: int = Field(
        default=64 * 1024, ge=0, description="The most of a receiver's answer that is read"
    )
    webhook_receiver_concurrency: int = Field(
        default=2, ge=1, description="Deliveries one subscription may have in flight at once"
    )
    webhook_breaker_failures: int = Field(
        default=5, ge=1, description="Failures in a row after which a receiver is paused"
    )
    webhook_breaker_pause_seconds: float = Field(
        default=300.0, gt=0, description="How long a receiver that keeps failing is paused"
    )
    webhook_secret_grace_hours: float = Field(
        default=24.0,
        ge=0,
        description="How long a rotated-out secret still signs deliveries beside the new one",
    )

    delivery_poll_seconds: float = Field(
        default=1.0, gt=0, description="How often the worker looks for due deliveries"
    )
    delivery_batch_size: int = Field(
        default=20, ge=1, description="Deliveries in flight at once, all channels together"
    )
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

    @model_validator(mode="after")
    def _require_a_well_formed_master_key(self) -> NotificationsSettings:
        self.master_key()
        return self

    @property
    def sms_enabled(self) -> bool:
        return bool(self.sms_gateway_url)

    def master_key(self) -> bytes:
        """The 32 bytes of the master key; ``ValueError`` (naming no byte of it) otherwise."""
        return decode_master_key(MASTER_KEY_VARIABLE, self.secrets_master_key)

    def development_key_refusal(self) -> str | None:
        """Why the service must not start with these settings, or ``None``: the
        development master key outside an explicit development environment."""
        return development_key_refusal(
            self, MASTER_KEY_VARIABLE, self.secrets_master_key, DEVELOPMENT_SECRETS_MASTER_KEY
        )
