"""The enrolment service's settings: ``ENROLMENT_``-prefixed variables, plus Kafka's.

Besides what every service reads, the enrolment service needs the master key that
wraps each klien's profile data key (``ENROLMENT_PROFILE_MASTER_KEY``, 32 bytes in
base64). Development has a fixed default so the local stack runs without setup; like
the JWT secret in :class:`shared.settings.AuthSettings`, the default is trusted only
with an explicit ``BAPAS_ENVIRONMENT=development``: production refuses it at once, and
any other environment (unset included) when the service starts.
"""

from __future__ import annotations

import base64

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shared.master_key import decode_master_key, development_key_refusal
from shared.settings import Environment, ServiceSettings

MASTER_KEY_VARIABLE = "ENROLMENT_PROFILE_MASTER_KEY"

DEVELOPMENT_PROFILE_MASTER_KEY = base64.b64encode(b"enrolment-dev-only-master-key-32").decode()
"""Known to everyone who reads this file: it protects nothing, and production refuses it."""


class EnrolmentSettings(ServiceSettings):
    # Validation errors never echo the input: it may be the master key.
    model_config = SettingsConfigDict(
        env_prefix="ENROLMENT_", extra="ignore", hide_input_in_errors=True
    )

    service_name: str = "enrolment"
    port: int = 8002
    profile_master_key: SecretStr = Field(
        default=SecretStr(DEVELOPMENT_PROFILE_MASTER_KEY),
        description="Base64 of 32 random bytes; wraps the data key of every klien profile.",
    )

    @model_validator(mode="after")
    def _require_a_usable_master_key(self) -> EnrolmentSettings:
        self.master_key()
        if self.environment is Environment.PRODUCTION:
            self.require_trusted_master_key()  # production fails at once, not at start-up
        return self

    def require_trusted_master_key(self) -> None:
        """Refuse the development key outside an explicit development environment."""
        refusal = development_key_refusal(
            self, MASTER_KEY_VARIABLE, self.profile_master_key, DEVELOPMENT_PROFILE_MASTER_KEY
        )
        if refusal is not None:
            raise ValueError(refusal)

    def master_key(self) -> bytes:
        """The 32 bytes of the master key; ``ValueError`` (naming no byte of it) otherwise."""
        return decode_master_key(MASTER_KEY_VARIABLE, self.profile_master_key)
