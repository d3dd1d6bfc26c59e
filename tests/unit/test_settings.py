"""Settings come from the environment; the development secret is trusted only where
``BAPAS_ENVIRONMENT=development`` is said explicitly, and production refuses it at once."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.enrolment.settings import EnrolmentSettings
from shared.settings import (
    DEVELOPMENT_JWT_SECRET,
    AuthSettings,
    Environment,
    development_tool_auth_settings,
)

WHAT_TO_SET = (
    "BAPAS_JWT_SECRET is the development secret: set BAPAS_ENVIRONMENT=development to use "
    "it locally, or set a real secret of at least 32 bytes"
)


def test_production_refuses_the_development_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAPAS_ENVIRONMENT", "production")
    monkeypatch.setenv("BAPAS_JWT_SECRET", DEVELOPMENT_JWT_SECRET)

    with pytest.raises(ValidationError, match="development secret"):
        AuthSettings()


def test_production_refuses_a_secret_shorter_than_32_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAPAS_ENVIRONMENT", "production")
    monkeypatch.setenv("BAPAS_JWT_SECRET", "too-short")

    with pytest.raises(ValidationError, match="at least 32 bytes"):
        AuthSettings()


def test_refusal_never_echoes_the_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAPAS_ENVIRONMENT", "production")
    monkeypatch.setenv("BAPAS_JWT_SECRET", "short-but-secret")

    with pytest.raises(ValidationError) as refused:
        AuthSettings()

    assert "short-but-secret" not in str(refused.value)


def test_production_accepts_a_real_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAPAS_ENVIRONMENT", "production")
    monkeypatch.setenv("BAPAS_JWT_SECRET", "s" * 48)

    assert AuthSettings().jwt_secret == "s" * 48


def test_environment_has_no_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BAPAS_ENVIRONMENT", raising=False)

    assert AuthSettings().environment is None


@pytest.mark.parametrize("environment", [None, "test"])
def test_development_secret_is_refused_unless_development_is_said(
    monkeypatch: pytest.MonkeyPatch, environment: str | None
) -> None:
    monkeypatch.delenv("BAPAS_JWT_SECRET", raising=False)
    monkeypatch.delenv("BAPAS_ENVIRONMENT", raising=False)
    if environment is not None:
        monkeypatch.setenv("BAPAS_ENVIRONMENT", environment)

    assert AuthSettings().secret_refusal() == WHAT_TO_SET


def test_development_secret_is_trusted_with_an_explicit_development(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("BAPAS_JWT_SECRET", raising=False)
    monkeypatch.setenv("BAPAS_ENVIRONMENT", "development")

    settings = AuthSettings()

    assert (settings.jwt_secret, settings.secret_refusal()) == (DEVELOPMENT_JWT_SECRET, None)


def test_a_short_secret_is_refused_without_an_explicit_development(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("BAPAS_ENVIRONMENT", raising=False)
    monkeypatch.setenv("BAPAS_JWT_SECRET", "too-short")

    assert "at least 32 bytes" in (AuthSettings().secret_refusal() or "")


def test_a_real_secret_needs_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BAPAS_ENVIRONMENT", raising=False)
    monkeypatch.setenv("BAPAS_JWT_SECRET", "s" * 48)

    assert AuthSettings().secret_refusal() is None


def test_development_tools_take_an_unset_environment_as_development(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("BAPAS_ENVIRONMENT", raising=False)
    monkeypatch.delenv("BAPAS_JWT_SECRET", raising=False)

    settings = development_tool_auth_settings()

    assert (settings.environment, settings.secret_refusal()) == (Environment.DEVELOPMENT, None)


def test_development_tools_keep_an_environment_said_explicitly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BAPAS_ENVIRONMENT", "test")
    monkeypatch.delenv("BAPAS_JWT_SECRET", raising=False)

    settings = development_tool_auth_settings()

    assert (settings.environment, settings.secret_refusal()) == (Environment.TEST, WHAT_TO_SET)


def test_rs256_needs_a_public_key_or_a_jwks_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAPAS_JWT_ALGORITHM", "RS256")

    with pytest.raises(ValidationError, match="BAPAS_JWT_PUBLIC_KEY or BAPAS_JWT_JWKS_URL"):
        AuthSettings()


def test_rs256_takes_a_jwks_url_instead_of_a_public_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAPAS_JWT_ALGORITHM", "RS256")
    monkeypatch.setenv("BAPAS_JWT_JWKS_URL", "https://login.example/.well-known/jwks.json")

    assert AuthSettings().jwt_jwks_url == "https://login.example/.well-known/jwks.json"


def test_a_jwks_url_and_a_public_key_are_not_both_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAPAS_JWT_ALGORITHM", "RS256")
    monkeypatch.setenv("BAPAS_JWT_JWKS_URL", "https://login.example/jwks")
    monkeypatch.setenv("BAPAS_JWT_PUBLIC_KEY", "-----BEGIN PUBLIC KEY-----")

    with pytest.raises(ValidationError, match="not both"):
        AuthSettings()


def test_a_jwks_url_needs_rs256(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAPAS_JWT_JWKS_URL", "https://login.example/jwks")

    with pytest.raises(ValidationError, match="BAPAS_JWT_ALGORITHM=RS256"):
        AuthSettings()


@pytest.mark.parametrize(
    "url",
    ["http://login.example/jwks", "ftp://127.0.0.1/jwks", "file:///etc/jwks.json", "https://"],
)
def test_a_jwks_url_must_be_https_or_loopback_http(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("BAPAS_JWT_ALGORITHM", "RS256")
    monkeypatch.setenv("BAPAS_JWT_JWKS_URL", url)

    with pytest.raises(ValidationError, match="https://"):
        AuthSettings()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]"])
def test_a_jwks_url_on_the_loopback_may_be_http(monkeypatch: pytest.MonkeyPatch, host: str) -> None:
    monkeypatch.setenv("BAPAS_JWT_ALGORITHM", "RS256")
    monkeypatch.setenv("BAPAS_JWT_JWKS_URL", f"http://{host}:8080/jwks")

    assert AuthSettings().jwt_jwks_url == f"http://{host}:8080/jwks"


def test_token_policy_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BAPAS_JWT_ISSUER", "BAPAS_JWT_AUDIENCE", "BAPAS_JWT_MAX_LIFETIME_HOURS"):
        monkeypatch.delenv(name, raising=False)

    settings = AuthSettings()

    assert (settings.jwt_issuer, settings.jwt_audience, settings.jwt_max_lifetime_hours) == (
        None,
        None,
        24,
    )


def test_a_blank_issuer_or_audience_is_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAPAS_JWT_ISSUER", " ")
    monkeypatch.setenv("BAPAS_JWT_AUDIENCE", "")

    settings = AuthSettings()

    assert (settings.jwt_issuer, settings.jwt_audience) == (None, None)


def test_a_service_reads_its_own_prefixed_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENROLMENT_DATABASE_URL", "postgresql://db.example/enrolment")
    monkeypatch.setenv("ENROLMENT_PORT", "9802")
    monkeypatch.setenv("POKMAS_PORT", "9801")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka-1:9092,kafka-2:9092")

    settings = EnrolmentSettings()

    assert (settings.database_url, settings.port, settings.kafka.bootstrap_servers) == (
        "postgresql://db.example/enrolment",
        9802,
        "kafka-1:9092,kafka-2:9092",
    )


def test_a_service_defaults_to_its_database_on_the_local_stack(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ENROLMENT_DATABASE_URL", raising=False)

    assert EnrolmentSettings().database_url.endswith(":55432/enrolment")
