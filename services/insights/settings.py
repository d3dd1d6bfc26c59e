"""The insights service's settings: ``INSIGHTS_``-prefixed variables, plus Kafka's."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.kafka.topics import EMPLOYMENT_EVENTS, ENROLMENT_EVENTS, POKMAS_EVENTS
from shared.settings import ServiceSettings


class InsightsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INSIGHTS_", extra="ignore")

    service_name: str = "insights"
    port: int = 8004
    topics: str = Field(
        default=f"{POKMAS_EVENTS},{ENROLMENT_EVENTS},{EMPLOYMENT_EVENTS}",
        description="The event topics the figures are computed from, comma-separated. "
        "Another deployment's topic names (a staging prefix, say) are one setting away.",
    )

    @property
    def topic_names(self) -> tuple[str, ...]:
        return tuple(name.strip() for name in self.topics.split(",") if name.strip())
