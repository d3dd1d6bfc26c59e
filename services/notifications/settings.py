"""The notifications service's settings: ``NOTIFICATIONS_``-prefixed variables, plus Kafka's."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", extra="ignore")

    service_name: str = "notifications"
    port: int = 8003
