"""The enrolment service's settings: ``ENROLMENT_``-prefixed variables, plus Kafka's."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class EnrolmentSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ENROLMENT_", extra="ignore")

    service_name: str = "enrolment"
    port: int = 8002
