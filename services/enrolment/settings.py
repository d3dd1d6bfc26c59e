"""The enrolment service's settings: ``ENROLMENT_``-prefixed variables, plus Kafka's.

Besides what every service reads, the enrolment service needs the master key that
wraps each klien's profile data key (``ENROLMENT_PROFILE_MASTER_KEY``, 32 bytes in
base64). Development has a fixed default so the local stack runs without setup; like
the JWT secret in :class:`shared.settings.AuthSettings`, the default is trusted only
with an explicit ``BAPAS_ENVIRONMENT=development``: production refuses it at once, and
any other environment (unset included) when the service starts.

Wajib lapor's default intervals by kind of integration
(``ENROLMENT_REPORTING_EVERY_DAYS``, JSON) and how often the check of missed due dates
runs (``ENROLMENT_REPORT_CHECK_EVERY_SECONDS``) are configuration too, and so is how
long a profile is kept after the supervision ended (``ENROLMENT_PROFILE_RETENTION_YEARS``,
5 by default) and how often that is checked.

It also needs the address at which the public reaches its certificate verification
(``BAPAS_PUBLIC_BASE_URL``): the QR code printed on every training certificate holds
that address followed by ``/verify/`` and the certificate's code. The development
default is the local enrolment service; a deployment sets the address its employers
can reach.
"""

from __future__ import annotations

import base64
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from services.enrolment.domain import DEFAULT_RETENTION_YEARS
from services.enrolment.reporting import DEFAULT_EVERY_DAYS
from shared.events.enrolment import IntegrationType
from shared.master_key import decode_master_key, development_key_refusal
from shared.settings import Environment, ServiceSettings, development_default_refusal

MASTER_KEY_VARIABLE = "ENROLMENT_PROFILE_MASTER_KEY"

PUBLIC_BASE_URL_VARIABLE = "BAPAS_PUBLIC_BASE_URL"

DEVELOPMENT_PUBLIC_BASE_URL = "http://127.0.0.1:8002"
"""The enrolment service of the local stack."""

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
    public_base_url: str = Field(
        default=DEVELOPMENT_PUBLIC_BASE_URL,
        validation_alias=PUBLIC_BASE_URL_VARIABLE,
        description="Where the public reaches this service (http or https, with a path "
        "if a proxy adds one): a certificate's QR code holds this address followed by "
        "`/verify/` and its code.",
    )

    reporting_every_days: dict[IntegrationType, Annotated[int, Field(ge=1, le=366)]] = Field(
        default_factory=lambda: dict(DEFAULT_EVERY_DAYS),
        description="Days between the due dates of the default wajib lapor, by kind of "
        'integration, as JSON (e.g. `{"PB": 30, "CB": 30, "CMB": 14, "ASIMILASI": 7}`); '
        "kinds left out keep their default.",
    )
    report_check_every_seconds: float = Field(
        default=900.0,
        gt=0,
        description="How often the check of missed due dates runs (it also runs at start). "
        "A due date passes at midnight at the klien's Bapas; a missed one is recorded on the "
        "first run after that.",
    )

    profile_retention_years: int = Field(
        default=DEFAULT_RETENTION_YEARS,
        ge=1,
        le=100,
        description="Years a klien's profile is kept after the supervision ended; it is "
        "erased on that anniversary (ClientProfileErased), by a periodic job.",
    )
    retention_check_every_seconds: float = Field(
        default=3600.0,
        gt=0,
        description="How often the retention job looks for profiles past their time "
        "(it also runs at start).",
    )

    @field_validator("reporting_every_days")
    @classmethod
    def _every_kind_has_an_interval(
        cls, value: dict[IntegrationType, int]
    ) -> dict[IntegrationType, int]:
        return {**DEFAULT_EVERY_DAYS, **value}

    @field_validator("public_base_url")
    @classmethod
    def _an_address_to_print(cls, value: str) -> str:
        address = value.strip().rstrip("/")
        if not address:
            return DEVELOPMENT_PUBLIC_BASE_URL  # set but blank, as a compose file may leave it
        parts = urlsplit(address)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{PUBLIC_BASE_URL_VARIABLE} must be an http:// or https:// address")
        if parts.query or parts.fragment or any(c.isspace() for c in address):
            raise ValueError(f"{PUBLIC_BASE_URL_VARIABLE} must have no query, fragment or space")
        return address

    @model_validator(mode="after")
    def _require_a_usable_master_key(self) -> EnrolmentSettings:
        self.master_key()
        if self.environment is Environment.PRODUCTION:
            self.require_trusted_master_key()  # production fails at once, not at start-up
            if self.public_base_url == DEVELOPMENT_PUBLIC_BASE_URL:
                # Every QR code printed would point at the printing machine itself.
                raise ValueError(
                    development_default_refusal(
                        PUBLIC_BASE_URL_VARIABLE,
                        "address",
                        instead="the https:// address at which employers reach this service",
                    )
                )
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
