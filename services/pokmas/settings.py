"""The pokmas service's settings: ``POKMAS_``-prefixed variables, plus Kafka's."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class PokmasSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="POKMAS_", extra="ignore")

    service_name: str = "pokmas"
    port: int = 8001
    mou_expiry_every_seconds: float = Field(
        default=3600.0,
        gt=0,
        description="How often the MoU expiry job looks for lapsed MoUs. Hourly, so that "
        "each office's new day (WIB, WITA, WIT) is seen within the hour.",
    )
