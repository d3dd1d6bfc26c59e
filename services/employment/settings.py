"""The employment service's settings: ``EMPLOYMENT_``-prefixed variables, plus Kafka's."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class EmploymentSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="EMPLOYMENT_", extra="ignore")

    service_name: str = "employment"
    port: int = 8005
