"""Settings come from the environment, and a service outside development refuses to
run with the development secret."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.enrolment.settings import EnrolmentSettings
from shared.settings import DEVELOPMENT_JWT_SECRET, AuthSettings


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


def test_production_accepts_a_real_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAPAS_ENVIRONMENT", "production")
    monkeypatch.setenv("BAPAS_JWT_SECRET", "s" * 48)

    assert AuthSettings().jwt_secret == "s" * 48


def test_rs256_needs_a_public_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAPAS_JWT_ALGORITHM", "RS256")

    with pytest.raises(ValidationError, match="BAPAS_JWT_PUBLIC_KEY"):
        AuthSettings()


def test_a_service_reads_its_own_prefixed_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENROLMENT_DATABASE_URL", "postgresql://db.example/enrolment")
    monkeypatch.setenv("ENROLMENT_PORT", "9802")
    monkeypatch.setenv("POKMAS_PORT", "9801")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka-1:9092,kafka-2:9092")

    settings = EnrolmentSettings()

    assert (settings.database_url, settings.port, settings.kafka_bootstrap_servers) == (
        "postgresql://db.example/enrolment",
        9802,
        "kafka-1:9092,kafka-2:9092",
    )


def test_a_service_defaults_to_its_database_on_the_local_stack(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ENROLMENT_DATABASE_URL", raising=False)

    assert EnrolmentSettings().database_url.endswith(":55432/enrolment")
