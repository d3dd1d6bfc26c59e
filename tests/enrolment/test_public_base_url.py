"""``BAPAS_PUBLIC_BASE_URL``: where the QR code of every certificate sends its reader.
The local service by default; a deployment names the address its employers reach,
with a path if a proxy adds one, and an address that could not be printed is refused
when the service's settings are read."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.enrolment.settings import DEVELOPMENT_PUBLIC_BASE_URL, EnrolmentSettings


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
    monkeypatch.setenv(
        "ENROLMENT_PROFILE_MASTER_KEY", "cmVhbC1wcm9kdWN0aW9uLWtleS1vZi0zMi1ieXRlcyE="
    )
    monkeypatch.delenv("BAPAS_PUBLIC_BASE_URL", raising=False)

    with pytest.raises(ValidationError, match="BAPAS_PUBLIC_BASE_URL is the development address"):
        EnrolmentSettings()

    monkeypatch.setenv("BAPAS_PUBLIC_BASE_URL", "https://sertifikat.bapas.example")
    assert EnrolmentSettings().public_base_url == "https://sertifikat.bapas.example"
