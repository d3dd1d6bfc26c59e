"""The pokmas service's settings: ``POKMAS_``-prefixed variables, plus Kafka's."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class PokmasSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="POKMAS_", extra="ignore")

    service_name: str = "pokmas"
    port: int = 8001
