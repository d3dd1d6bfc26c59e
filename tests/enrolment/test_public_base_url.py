"""``BAPAS_PUBLIC_BASE_URL``: where the QR code of every certificate sends its reader.
The local service by default; a deployment names the address its employers reach,
with a path if a proxy adds one, and an address that could not be printed is refused
when the service's settings are read."""

from __future__ import annotations

import base64

import pytest
from pydantic import ValidationError

from services.enrolment.settings import (
    CERTIFICATE_KEY_VARIABLE,
    DEVELOPMENT_PUBLIC_BASE_URL,
    MASTER_KEY_VARIABLE,
    NIK_LOOKUP_KEY_VARIABLE,
    EnrolmentSettings,
)

PRODUCTION_KEYS = {
    MASTER_KEY_VARIABLE: b"real-production-key-of-32-bytes!",
    NIK_LOOKUP_KEY_VARIABLE: b"real-nik-lookup-key-of-32-bytes!",
    CERTIFICATE_KEY_VARIABLE: b"real-certificate-key-of-32bytes!",
}


@pytest.mark.parametrize(
    ("given", "used"),
    [
        (None, "http://127.0.0.1:8002"),
        ("", DEVELOPMENT_PUBLIC_BASE_URL),
        ("https://sertifikat.bapas.example/", "https://sertifikat.bapas.example"),
        (" https://layanan.bapas.example/enrolment ", "https://layanan.bapas.example/enrolment"),
    ],
    ids=["unset", "blank", "trailing slash", "path prefix"],
)
def test_the_public_base_url(monkeypatch: pytest.MonkeyPatch, given: str | None, used: str) -> None:
    if given is None:
        monkeypatch.delenv("BAPAS_PUBLIC_BASE_URL", raising=False)
    else:
        monkeypatch.setenv("BAPAS_PUBLIC_BASE_URL", given)

    assert EnrolmentSettings().public_base_url == used


@pytest.mark.parametrize(
    "given",
    [
        "sertifikat.bapas.example",
        "ftp://sertifikat.bapas.example",
        "https://",
        "https://a.example/?x=1",
    ],
)
def test_an_address_that_cannot_be_printed_is_refused(
    monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    monkeypatch.setenv("BAPAS_PUBLIC_BASE_URL", given)

    with pytest.raises(ValidationError, match="BAPAS_PUBLIC_BASE_URL"):
        EnrolmentSettings()


def test_production_refuses_to_print_codes_that_point_at_the_local_service(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BAPAS_ENVIRONMENT", "production")
    for variable, key in PRODUCTION_KEYS.items():
        monkeypatch.setenv(variable, base64.b64encode(key).decode())
    monkeypatch.delenv("BAPAS_PUBLIC_BASE_URL", raising=False)

    with pytest.raises(ValidationError, match="BAPAS_PUBLIC_BASE_URL is the development address"):
        EnrolmentSettings()

    monkeypatch.setenv("BAPAS_PUBLIC_BASE_URL", "https://sertifikat.bapas.example")
    assert EnrolmentSettings().public_base_url == "https://sertifikat.bapas.example"
