"""Webhook secrets at rest: sealed under the notifications master key and bound to their
subscription; the development master key is refused outside an explicit development
environment, when the service starts, with a message that says what to set."""

from __future__ import annotations

import base64
from uuid import uuid4

import pytest
from pydantic import ValidationError

from services.notifications.app import DevelopmentKeyRefused, create_app
from services.notifications.settings import (
    DEVELOPMENT_SECRETS_MASTER_KEY,
    MASTER_KEY_VARIABLE,
    NotificationsSettings,
)
from services.notifications.vault import SecretUnreadable, SecretVault

SECRET = "the-subscriber-secret-0123456789"
REAL_KEY = base64.b64encode(bytes(range(32))).decode()
REAL_JWT_SECRET = "a-real-jwt-secret-of-the-deployment-0123456789"


def test_a_sealed_secret_opens_to_itself_and_holds_nothing_in_clear() -> None:
    vault = SecretVault(b"m" * 32)
    subscription_id = uuid4()

    sealed = vault.seal(subscription_id, SECRET)

    assert vault.open(subscription_id, sealed) == SECRET
    assert SECRET.encode() not in sealed
    assert vault.seal(subscription_id, SECRET) != sealed  # a fresh nonce each time


def test_a_sealed_secret_does_not_open_for_another_subscription_or_key() -> None:
    vault = SecretVault(b"m" * 32)
    sealed = vault.seal(uuid4(), SECRET)

    with pytest.raises(SecretUnreadable):
        vault.open(uuid4(), sealed)
    with pytest.raises(SecretUnreadable):
        SecretVault(b"n" * 32).open(uuid4(), sealed)


@pytest.mark.parametrize("environment", [None, "test", "production"])
async def test_the_service_refuses_to_start_with_the_development_key_outside_development(
    environment: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(MASTER_KEY_VARIABLE, raising=False)
    monkeypatch.delenv("BAPAS_ENVIRONMENT", raising=False)
    if environment is not None:
        monkeypatch.setenv("BAPAS_ENVIRONMENT", environment)
    monkeypatch.setenv("BAPAS_JWT_SECRET", REAL_JWT_SECRET)
    app = create_app()

    with pytest.raises(DevelopmentKeyRefused) as refused:
        async with app.router.lifespan_context(app):
            pass

    assert MASTER_KEY_VARIABLE in str(refused.value)
    assert "BAPAS_ENVIRONMENT=development" in str(refused.value)
    assert DEVELOPMENT_SECRETS_MASTER_KEY not in str(refused.value)


def test_the_development_key_is_accepted_in_an_explicit_development_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(MASTER_KEY_VARIABLE, raising=False)
    monkeypatch.setenv("BAPAS_ENVIRONMENT", "development")

    assert NotificationsSettings().development_key_refusal() is None


def test_a_real_key_is_accepted_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MASTER_KEY_VARIABLE, REAL_KEY)
    monkeypatch.setenv("BAPAS_ENVIRONMENT", "production")

    settings = NotificationsSettings()

    assert settings.development_key_refusal() is None
    assert settings.master_key() == bytes(range(32))


@pytest.mark.parametrize("key", ["not base64!", base64.b64encode(b"short").decode()])
def test_a_malformed_key_is_refused_without_being_echoed(
    key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MASTER_KEY_VARIABLE, key)

    with pytest.raises(ValidationError) as refused:
        NotificationsSettings()

    assert MASTER_KEY_VARIABLE in str(refused.value)
    assert key not in str(refused.value)
