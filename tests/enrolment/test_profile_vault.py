"""The encryption of klien profiles and the settings that hold its master key."""

from __future__ import annotations

import base64
from uuid import uuid4

import pytest
from pydantic import ValidationError

from services.enrolment.app import create_app
from services.enrolment.profiles import ClientProfile, ProfileUnreadable, ProfileVault
from services.enrolment.settings import DEVELOPMENT_PROFILE_MASTER_KEY, EnrolmentSettings

PROFILE = ClientProfile(full_name="Siti Aminah", nik="6471010101900001", phone=None, address=None)


def _vault(seed: bytes = b"k") -> ProfileVault:
    return ProfileVault(seed * 32)


def test_a_sealed_profile_opens_with_the_same_master_key() -> None:
    client_id = uuid4()
    wrapped, sealed = _vault().seal(client_id, PROFILE)

    assert _vault().open(client_id, wrapped, sealed) == PROFILE


def test_a_sealed_profile_does_not_open_for_another_klien() -> None:
    wrapped, sealed = _vault().seal(uuid4(), PROFILE)

    with pytest.raises(ProfileUnreadable):
        _vault().open(uuid4(), wrapped, sealed)


def test_a_sealed_profile_does_not_open_with_another_master_key() -> None:
    client_id = uuid4()
    wrapped, sealed = _vault().seal(client_id, PROFILE)

    with pytest.raises(ProfileUnreadable):
        _vault(b"x").open(client_id, wrapped, sealed)


def test_the_nik_digest_depends_on_the_master_key() -> None:
    assert _vault().nik_digest(PROFILE.nik) == _vault().nik_digest(PROFILE.nik)
    assert _vault().nik_digest(PROFILE.nik) != _vault(b"x").nik_digest(PROFILE.nik)


def test_a_profile_prints_no_personal_data() -> None:
    assert PROFILE.nik not in repr(PROFILE)
    assert PROFILE.full_name not in str(PROFILE)


def test_production_refuses_the_development_master_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAPAS_ENVIRONMENT", "production")
    monkeypatch.setenv("ENROLMENT_PROFILE_MASTER_KEY", DEVELOPMENT_PROFILE_MASTER_KEY)

    with pytest.raises(ValidationError, match="development key") as refused:
        EnrolmentSettings()

    assert DEVELOPMENT_PROFILE_MASTER_KEY not in str(refused.value)


@pytest.mark.parametrize("environment", [None, "test"])
async def test_a_service_outside_development_refuses_to_start_with_the_development_key(
    monkeypatch: pytest.MonkeyPatch, environment: str | None
) -> None:
    if environment is None:
        monkeypatch.delenv("BAPAS_ENVIRONMENT", raising=False)
    else:
        monkeypatch.setenv("BAPAS_ENVIRONMENT", environment)
    monkeypatch.setenv("BAPAS_JWT_SECRET", "a-real-secret-of-more-than-32-bytes-for-this-test")
    monkeypatch.delenv("ENROLMENT_PROFILE_MASTER_KEY", raising=False)
    app = create_app()

    with pytest.raises(ValueError, match="set BAPAS_ENVIRONMENT=development") as refused:
        async with app.router.lifespan_context(app):
            pass

    assert DEVELOPMENT_PROFILE_MASTER_KEY not in str(refused.value)


def test_production_accepts_a_master_key_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    key = base64.b64encode(b"p" * 32).decode()
    monkeypatch.setenv("BAPAS_ENVIRONMENT", "production")
    monkeypatch.setenv("ENROLMENT_PROFILE_MASTER_KEY", key)
    monkeypatch.setenv("BAPAS_PUBLIC_BASE_URL", "https://sertifikat.bapas.example")

    assert EnrolmentSettings().master_key() == b"p" * 32


def test_a_master_key_of_the_wrong_length_is_refused_without_echoing_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = base64.b64encode(b"short-secret-key").decode()
    monkeypatch.setenv("ENROLMENT_PROFILE_MASTER_KEY", key)

    with pytest.raises(ValidationError, match="32 bytes") as refused:
        EnrolmentSettings()

    assert key not in str(refused.value)
