"""Settings every service reads from its environment.

Each service subclasses :class:`ServiceSettings` with its own environment prefix, so
that one machine (or one compose file) can point each service at its own database
while they share the Kafka and auth settings. Defaults fit the local stack that
``make up`` starts — except one: the development JWT secret is published in this file,
so a service trusts tokens signed with it only where ``BAPAS_ENVIRONMENT=development``
is set explicitly (``make up`` and the tests set it; nothing defaults to it).
"""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.kafka.connection import KafkaConnection

DEVELOPMENT_JWT_SECRET = "dev-insecure-secret-do-not-use-in-production"
MIN_JWT_SECRET_BYTES = 32
"""Below this an HS256 secret can be brute-forced, and current JWT libraries warn."""


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class JwtAlgorithm(StrEnum):
    HS256 = "HS256"
    RS256 = "RS256"


class UnusableJwtSecret(ValueError):
    """The HS256 secret may not be trusted in this environment; the message says what to set."""


def development_default_refusal(variable: str, kind: str, *, instead: str) -> str:
    """Why a setting left at its development default (the secret or key that lets the
    local stack run without setup) is refused: it is trusted only where
    ``BAPAS_ENVIRONMENT=development`` is said explicitly, and the message says so in the
    same words for every such setting."""
    return (
        f"{variable} is the development {kind}: set BAPAS_ENVIRONMENT=development to use "
        f"it locally, or set {instead}"
    )


class AuthSettings(BaseSettings):
    """How tokens are verified: HS256 with a shared secret, or RS256 with a public key or
    the keys an OIDC identity provider publishes at a JWKS URL; and what a token may claim.

    Building the settings refuses what cannot work at all, and a refused secret in
    production. Elsewhere, whether the secret may be trusted is :meth:`secret_refusal`:
    a service refuses to start on a refused one and its verifier trusts no token
    meanwhile, while anything else that merely builds an app (the published documents)
    or mints a token (a benchmark, a test) still can: a token signed with a public
    secret proves nothing, and is refused where it matters, by the verifier.
    """

    # Validation errors never echo the input: it may be the secret.
    model_config = SettingsConfigDict(
        env_prefix="BAPAS_", extra="ignore", hide_input_in_errors=True
    )

    environment: Environment | None = Field(
        default=None,
        description="No default: the development secret is trusted only with an explicit "
        "`development`.",
    )
    jwt_algorithm: JwtAlgorithm = JwtAlgorithm.HS256
    jwt_secret: str = DEVELOPMENT_JWT_SECRET
    jwt_public_key: str | None = Field(default=None, description="PEM of the RS256 public key.")
    jwt_jwks_url: str | None = Field(
        default=None,
        description="Where the identity provider publishes its RS256 keys (JWKS), instead of "
        "one public key; HTTPS, or HTTP on the loopback.",
    )
    jwt_jwks_timeout_seconds: float = Field(
        default=5.0, gt=0, le=60, description="Deadline of one fetch of the JWKS."
    )
    jwt_jwks_refetch_seconds: float = Field(
        default=30.0,
        ge=0,
        description="Fetches of the JWKS at most this often: a token naming an unknown key "
        "id makes one fetch, not one per request.",
    )
    jwt_jwks_cache_seconds: float = Field(
        default=300.0, gt=0, description="A fetched JWKS is fetched again after this long."
    )
    jwt_issuer: str | None = Field(default=None, description="The `iss` every token must carry.")
    jwt_audience: str | None = Field(
        default=None,
        description="The `aud` every token must name; when unset, a token's `aud` is ignored.",
    )
    jwt_max_lifetime_hours: float = Field(
        default=24.0, gt=0, le=24 * 366, description="How far ahead a token's `exp` may lie."
    )

    @field_validator("jwt_public_key", "jwt_jwks_url", "jwt_issuer", "jwt_audience")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value if value and value.strip() else None

    @model_validator(mode="after")
    def _refuse_what_cannot_work(self) -> AuthSettings:
        if self.environment is Environment.PRODUCTION:
            self.require_usable_secret()  # production fails at once, not at start-up
        if self.jwt_algorithm is JwtAlgorithm.RS256:
            if not self.jwt_public_key and not self.jwt_jwks_url:
                raise ValueError(
                    "BAPAS_JWT_PUBLIC_KEY or BAPAS_JWT_JWKS_URL is required when "
                    "BAPAS_JWT_ALGORITHM=RS256"
                )
            if self.jwt_public_key and self.jwt_jwks_url:
                raise ValueError("set BAPAS_JWT_PUBLIC_KEY or BAPAS_JWT_JWKS_URL, not both")
        elif self.jwt_jwks_url:
            raise ValueError("BAPAS_JWT_JWKS_URL needs BAPAS_JWT_ALGORITHM=RS256")
        if self.jwt_jwks_url:
            _require_a_trustworthy_jwks_url(self.jwt_jwks_url)
        return self

    def secret_refusal(self) -> str | None:
        """Why the HS256 secret may not be trusted here, or ``None`` if it may.

        Outside an explicit ``BAPAS_ENVIRONMENT=development`` (unset included), the
        development secret and secrets shorter than 32 bytes are refused.
        """
        if self.jwt_algorithm is not JwtAlgorithm.HS256:
            return None
        if self.environment is Environment.DEVELOPMENT:
            return None
        if self.jwt_secret == DEVELOPMENT_JWT_SECRET:
            return development_default_refusal(
                "BAPAS_JWT_SECRET",
                "secret",
                instead=f"a real secret of at least {MIN_JWT_SECRET_BYTES} bytes",
            )
        if len(self.jwt_secret.encode()) < MIN_JWT_SECRET_BYTES:
            return (
                f"BAPAS_JWT_SECRET must be at least {MIN_JWT_SECRET_BYTES} bytes long "
                "outside development (BAPAS_ENVIRONMENT=development)"
            )
        return None

    def require_usable_secret(self) -> None:
        """Raise :class:`UnusableJwtSecret` (saying what to set) if the secret is refused."""
        refusal = self.secret_refusal()
        if refusal is not None:
            raise UnusableJwtSecret(refusal)


def development_tool_auth_settings() -> AuthSettings:
    """The auth settings a development tool (``bapas token``, the demo) mints with.

    The environment's settings, taking an unset ``BAPAS_ENVIRONMENT`` as development:
    the services of ``make up`` run with ``BAPAS_ENVIRONMENT=development``, and a tool
    run beside them with nothing exported must mint tokens they accept. An environment
    named explicitly is kept, so a tool refuses the development secret where a service
    would.
    """
    settings = AuthSettings()
    if settings.environment is None:
        return settings.model_copy(update={"environment": Environment.DEVELOPMENT})
    return settings


def _require_a_trustworthy_jwks_url(url: str) -> None:
    """Keys fetched over plain HTTP could be swapped on the way, except on the loopback."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
        return
    raise ValueError("BAPAS_JWT_JWKS_URL must be an https:// URL (or http:// on the loopback)")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ServiceSettings(BaseSettings):
    """What a service needs to run: its port, its database, the Kafka cluster."""

    model_config = SettingsConfigDict(extra="ignore")

    service_name: str
    host: str = "127.0.0.1"
    port: int = Field(ge=1, le=65535)
    database_url: str = Field(
        default="", description="asyncpg URL; defaults to the local stack's database of the service"
    )
    kafka: KafkaConnection = Field(
        default_factory=KafkaConnection,
        description="The Kafka cluster and how it is reached (the `KAFKA_*` settings).",
    )
    environment: Environment | None = Field(
        default=None,
        validation_alias="BAPAS_ENVIRONMENT",
        description="No default: development keys, and http and loopback webhook targets, "
        "are allowed only with an explicit 'development'.",
    )
    database_pool_size: int = Field(
        default=16,
        ge=1,
        description="Connections of the service's pool. 32 requests in flight on 8 "
        "connections queued unfairly (B2: p99 430 ms at 405 commands/s); 16 gave p99 "
        "110–230 ms at 490–600/s, and 32 no more.",
    )

    @property
    def is_development(self) -> bool:
        """Only an explicit ``BAPAS_ENVIRONMENT=development``; unset is not development."""
        return self.environment is Environment.DEVELOPMENT

    @model_validator(mode="after")
    def _default_to_the_local_stack_database(self) -> ServiceSettings:
        if not self.database_url:
            self.database_url = f"postgresql://postgres@127.0.0.1:55432/{self.service_name}"
        return self
