"""The enrolment service's settings: ``ENROLMENT_``-prefixed variables, plus Kafka's.

Besides what every service reads, the enrolment service needs three keys of its own,
each base64 of 32 random bytes:

* the master key that wraps each klien's profile data key
  (``ENROLMENT_PROFILE_MASTER_KEY``); while it is being replaced, the keys it replaces
  stay readable (``ENROLMENT_PROFILE_PREVIOUS_MASTER_KEYS``, comma-separated) until
  ``bapas privacy rotate-key`` has wrapped everything again under the new one;
* the key NIKs and names are looked up by (``ENROLMENT_NIK_LOOKUP_KEY``), a secret of
  its own so that the master key can be replaced without touching a digest;
* the key certificate codes are made with (``ENROLMENT_CERTIFICATE_KEY``), which must
  live as long as the certificates printed with it.

No two of them may be the same key. Development has a fixed default for each so the
local stack runs without setup; like the JWT secret in
:class:`shared.settings.AuthSettings`, a default is trusted only with an explicit
``BAPAS_ENVIRONMENT=development``: production refuses it at once, and any other
environment (unset included) when the service starts. A key that cannot be one is
refused with its variable's name, never with a byte of it.

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

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from services.enrolment.domain import DEFAULT_RETENTION_YEARS
from services.enrolment.reporting import DEFAULT_EVERY_DAYS
from shared.events.enrolment import IntegrationType
from shared.master_key import (
    MasterKeys,
    decode_master_key,
    decode_master_keys,
    development_key_refusal,
)
from shared.settings import Environment, ServiceSettings, development_default_refusal

MASTER_KEY_VARIABLE = "ENROLMENT_PROFILE_MASTER_KEY"
PREVIOUS_MASTER_KEYS_VARIABLE = "ENROLMENT_PROFILE_PREVIOUS_MASTER_KEYS"
NIK_LOOKUP_KEY_VARIABLE = "ENROLMENT_NIK_LOOKUP_KEY"
CERTIFICATE_KEY_VARIABLE = "ENROLMENT_CERTIFICATE_KEY"

PUBLIC_BASE_URL_VARIABLE = "BAPAS_PUBLIC_BASE_URL"

DEVELOPMENT_PUBLIC_BASE_URL = "http://127.0.0.1:8002"
"""The enrolment service of the local stack."""

# Known to everyone who reads this file: they protect nothing, and production refuses them.
DEVELOPMENT_PROFILE_MASTER_KEY = base64.b64encode(b"enrolment-dev-only-master-key-32").decode()
DEVELOPMENT_NIK_LOOKUP_KEY = base64.b64encode(b"enrolment-dev-nik-lookup-key-32b").decode()
DEVELOPMENT_CERTIFICATE_KEY = base64.b64encode(b"enrolment-dev-certificate-key-32").decode()

_VARIABLE_OF_KEY = {
    "profile_master_key": MASTER_KEY_VARIABLE,
    "nik_lookup_key": NIK_LOOKUP_KEY_VARIABLE,
    "certificate_key": CERTIFICATE_KEY_VARIABLE,
}


class EnrolmentSettings(ServiceSettings):
    # Validation errors never echo the input: it may be a key.
    model_config = SettingsConfigDict(
        env_prefix="ENROLMENT_", extra="ignore", hide_input_in_errors=True
    )

    service_name: str = "enrolment"
    port: int = 8002
    profile_master_key: SecretStr = Field(
        default=SecretStr(DEVELOPMENT_PROFILE_MASTER_KEY),
        description="Base64 of 32 random bytes; wraps the data key of every klien profile "
        "(each wrapped key records the id of the master key that wrapped it).",
    )
    profile_previous_master_keys: SecretStr = Field(
        default=SecretStr(""),
        description="During a rotation of the master key only: the keys it replaces, "
        "comma-separated base64. What they wrapped stays readable until "
        "`bapas privacy rotate-key` has wrapped it again under the master key; then remove "
        "them. Empty otherwise.",
    )
    nik_lookup_key: SecretStr = Field(
        default=SecretStr(DEVELOPMENT_NIK_LOOKUP_KEY),
        description="Base64 of 32 random bytes; keys the digests a NIK (unique per Bapas) "
        "and a certificate's name are looked up by. A service started with another key "
        "computes every digest again before it serves.",
    )
    certificate_key: SecretStr = Field(
        default=SecretStr(DEVELOPMENT_CERTIFICATE_KEY),
        description="Base64 of 32 random bytes; makes and reads the codes of training "
        "certificates. Every printed code needs it: keep it as long as the certificates.",
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

    @field_validator(*_VARIABLE_OF_KEY)
    @classmethod
    def _a_key(cls, value: SecretStr, info: ValidationInfo) -> SecretStr:
        decode_master_key(_VARIABLE_OF_KEY[str(info.field_name)], value)
        return value

    @field_validator("profile_previous_master_keys")
    @classmethod
    def _keys(cls, value: SecretStr) -> SecretStr:
        decode_master_keys(PREVIOUS_MASTER_KEYS_VARIABLE, value)
        return value

    @model_validator(mode="after")
    def _require_usable_keys(self) -> EnrolmentSettings:
        self._require_keys_of_their_own()
        if self.environment is Environment.PRODUCTION:
            self.require_trusted_keys()  # production fails at once, not at start-up
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

    def _require_keys_of_their_own(self) -> None:
        """One key in two roles would undo what keeping them apart gives: the master key
        replaced without touching a digest or a printed code."""
        taken = dict.fromkeys(self.master_keys().previous, PREVIOUS_MASTER_KEYS_VARIABLE)
        taken[self.master_key()] = MASTER_KEY_VARIABLE
        for variable, key in (
            (NIK_LOOKUP_KEY_VARIABLE, self.lookup_key()),
            (CERTIFICATE_KEY_VARIABLE, self.certificate_code_key()),
        ):
            if key in taken:
                raise ValueError(f"{variable} must be a key of its own, not that of {taken[key]}")
            taken[key] = variable

    def require_trusted_keys(self) -> None:
        """Refuse the development keys outside an explicit development environment."""
        refusals = [
            refusal
            for variable, value, development_value in (
                (MASTER_KEY_VARIABLE, self.profile_master_key, DEVELOPMENT_PROFILE_MASTER_KEY),
                (NIK_LOOKUP_KEY_VARIABLE, self.nik_lookup_key, DEVELOPMENT_NIK_LOOKUP_KEY),
                (CERTIFICATE_KEY_VARIABLE, self.certificate_key, DEVELOPMENT_CERTIFICATE_KEY),
            )
            if (refusal := development_key_refusal(self, variable, value, development_value))
        ]
        if refusals:
            raise ValueError("; ".join(refusals))

    def master_key(self) -> bytes:
        """The 32 bytes of the master key; ``ValueError`` (naming no byte of it) otherwise."""
        return decode_master_key(MASTER_KEY_VARIABLE, self.profile_master_key)

    def master_keys(self) -> MasterKeys:
        """The master key, and those of a rotation still under way."""
        previous = decode_master_keys(
            PREVIOUS_MASTER_KEYS_VARIABLE, self.profile_previous_master_keys
        )
        return MasterKeys(self.master_key(), previous)

    def lookup_key(self) -> bytes:
        """The 32 bytes NIKs and names are digested with."""
        return decode_master_key(NIK_LOOKUP_KEY_VARIABLE, self.nik_lookup_key)

    def certificate_code_key(self) -> bytes:
        """The 32 bytes certificate codes are made with."""
        return decode_master_key(CERTIFICATE_KEY_VARIABLE, self.certificate_key)
