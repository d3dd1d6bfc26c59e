"""The encryption of klien profiles and the settings that hold its keys: the master
keys that wrap the data keys, the look-up key of the NIK and name digests, and the
certificate key."""

from __future__ import annotations

import base64
from uuid import uuid4

import pytest
from pydantic import ValidationError

from services.enrolment.app import create_app
from services.enrolment.profiles import ClientProfile, ProfileUnreadable, ProfileVault
from services.enrolment.settings import (
    CERTIFICATE_KEY_VARIABLE,
    DEVELOPMENT_CERTIFICATE_KEY,
    DEVELOPMENT_NIK_LOOKUP_KEY,
    DEVELOPMENT_PROFILE_MASTER_KEY,
    MASTER_KEY_VARIABLE,
    NIK_LOOKUP_KEY_VARIABLE,
    PREVIOUS_MASTER_KEYS_VARIABLE,
    EnrolmentSettings,
)
from shared.master_key import MasterKeys, key_id

PROFILE = ClientProfile(full_name="Siti Aminah", nik="6471010101900001", phone=None, address=None)
KEY_VARIABLES = (MASTER_KEY_VARIABLE, NIK_LOOKUP_KEY_VARIABLE, CERTIFICATE_KEY_VARIABLE)
DEVELOPMENT_KEYS = {
    MASTER_KEY_VARIABLE: DEVELOPMENT_PROFILE_MASTER_KEY,
    NIK_LOOKUP_KEY_VARIABLE: DEVELOPMENT_NIK_LOOKUP_KEY,
    CERTIFICATE_KEY_VARIABLE: DEVELOPMENT_CERTIFICATE_KEY,
}


def _vault(seed: bytes = b"k", *, previous: bytes = b"", lookup: bytes = b"l") -> ProfileVault:
    """A vault whose master key is ``seed`` (and ``previous``, if given) 32 times."""
    keys = MasterKeys(seed * 32, (previous * 32,) if previous else ())
    return ProfileVault(keys, lookup_key=lookup * 32)


def _base64(seed: bytes) -> str:
    return base64.b64encode(seed * 32).decode()


def _production_keys(monkeypatch: pytest.MonkeyPatch, **overrides: str) -> None:
    """Production, with a key of its own for each setting unless overridden."""
    monkeypatch.setenv("BAPAS_ENVIRONMENT", "production")
    monkeypatch.setenv("BAPAS_PUBLIC_BASE_URL", "https://sertifikat.bapas.example")
    for variable, seed in zip(KEY_VARIABLES, (b"p", b"q", b"r"), strict=True):
        monkeypatch.setenv(variable, overrides.get(variable, _base64(seed)))


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


def test_during_a_rotation_a_profile_sealed_under_the_previous_key_still_opens() -> None:
    client_id = uuid4()
    old = _vault(b"o")
    wrapped, sealed = old.seal(client_id, PROFILE)
    rotating = _vault(b"n", previous=b"o")

    assert rotating.open(client_id, wrapped, sealed, old.current_key_id) == PROFILE
    assert rotating.open(client_id, wrapped, sealed, None) == PROFILE  # from before key ids
    rewrapped = rotating.rewrapped(client_id, wrapped, old.current_key_id)
    assert _vault(b"n").open(client_id, rewrapped, sealed, rotating.current_key_id) == PROFILE


def test_a_data_key_of_a_master_key_not_configured_is_unreadable_saying_which() -> None:
    client_id = uuid4()
    stranger = _vault(b"s")
    wrapped, sealed = stranger.seal(client_id, PROFILE)

    with pytest.raises(ProfileUnreadable, match=stranger.current_key_id):
        _vault().open(client_id, wrapped, sealed, stranger.current_key_id)


def test_a_key_id_tells_keys_apart_and_holds_nothing_of_the_key() -> None:
    key = b"k" * 32

    assert key_id(key) == key_id(b"k" * 32) != key_id(b"x" * 32)
    assert len(key_id(key)) == 16
    assert key.hex()[:16] not in key_id(key)


def test_the_nik_digest_depends_on_the_lookup_key_not_on_the_master_key() -> None:
    assert _vault().nik_digest(PROFILE.nik) == _vault(b"x").nik_digest(PROFILE.nik)
    assert _vault().nik_digest(PROFILE.nik) != _vault(lookup=b"y").nik_digest(PROFILE.nik)


def test_a_profile_prints_no_personal_data() -> None:
    assert PROFILE.nik not in repr(PROFILE)
    assert PROFILE.full_name not in str(PROFILE)


@pytest.mark.parametrize("variable", KEY_VARIABLES)
def test_production_refuses_each_development_key_naming_its_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    _production_keys(monkeypatch, **{variable: DEVELOPMENT_KEYS[variable]})

    with pytest.raises(ValidationError, match=f"{variable} is the development key") as refused:
        EnrolmentSettings()

    assert DEVELOPMENT_KEYS[variable] not in str(refused.value)
    assert [v for v in KEY_VARIABLES if v in str(refused.value)] == [variable]


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


def test_production_accepts_keys_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    _production_keys(monkeypatch)
    monkeypatch.setenv(PREVIOUS_MASTER_KEYS_VARIABLE, f"{_base64(b'a')}, {_base64(b'b')}")

    settings = EnrolmentSettings()

    assert settings.master_keys() == MasterKeys(b"p" * 32, (b"a" * 32, b"b" * 32))
    assert (settings.lookup_key(), settings.certificate_code_key()) == (b"q" * 32, b"r" * 32)


@pytest.mark.parametrize("variable", [*KEY_VARIABLES, PREVIOUS_MASTER_KEYS_VARIABLE])
def test_a_key_that_is_no_base64_is_refused_naming_its_variable_without_echoing_it(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    given = "not*base64*but-a-secret-all-the-same"
    monkeypatch.setenv(variable, given)

    with pytest.raises(ValidationError, match=f"{variable}.* is not valid base64") as refused:
        EnrolmentSettings()

    assert given not in str(refused.value)


@pytest.mark.parametrize("variable", [*KEY_VARIABLES, PREVIOUS_MASTER_KEYS_VARIABLE])
def test_a_key_of_the_wrong_length_is_refused_without_echoing_it(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    key = base64.b64encode(b"short-secret-key").decode()
    monkeypatch.setenv(variable, key)

    with pytest.raises(ValidationError, match=f"{variable}.*32 bytes") as refused:
        EnrolmentSettings()

    assert key not in str(refused.value)


@pytest.mark.parametrize(
    ("variable", "same_as"),
    [
        (NIK_LOOKUP_KEY_VARIABLE, MASTER_KEY_VARIABLE),
        (CERTIFICATE_KEY_VARIABLE, MASTER_KEY_VARIABLE),
        (CERTIFICATE_KEY_VARIABLE, NIK_LOOKUP_KEY_VARIABLE),
        (NIK_LOOKUP_KEY_VARIABLE, PREVIOUS_MASTER_KEYS_VARIABLE),
    ],
)
def test_one_key_in_two_roles_is_refused(
    monkeypatch: pytest.MonkeyPatch, variable: str, same_as: str
) -> None:
    _production_keys(monkeypatch)
    monkeypatch.setenv(same_as, _base64(b"z"))
    monkeypatch.setenv(variable, _base64(b"z"))

    with pytest.raises(ValidationError, match=f"{variable} must be a key of its own") as refused:
        EnrolmentSettings()

    assert _base64(b"z") not in str(refused.value)
