"""The name check of a certificate, without the service: a name typed from the paper
matches however its case, spaces, punctuation and accents differ, the stored digest is
keyed and bound to the klien, and no digest holds the name."""

from __future__ import annotations

from uuid import uuid4

import pytest

from services.enrolment.profiles import ProfileVault, normalised_name
from shared.master_key import MasterKeys

VAULT = ProfileVault(MasterKeys(b"m" * 32), lookup_key=b"l" * 32)
PRINTED = "Muhammad Ma'ruf Al-Hakim"


@pytest.mark.parametrize(
    "typed",
    [
        PRINTED,
        "MUHAMMAD MA'RUF AL-HAKIM",
        "muhammad maruf alhakim",
        "  Muhammad   Ma’ruf  Al Hakim ",
        "Muhammad Ma'rúf Al-Hakim",
        "Ｍｕｈａｍｍａｄ Ma'ruf Al-Hakim",
    ],
    ids=["as printed", "capitals", "no punctuation", "spacing and a curly quote", "accent", "wide"],
)
def test_the_printed_name_matches_however_it_is_typed(typed: str) -> None:
    client_id = uuid4()
    digest = VAULT.name_digest(client_id, PRINTED)

    assert VAULT.name_matches(client_id, typed, digest)


@pytest.mark.parametrize(
    "typed", ["Muhammad Ma'ruf", "Muhammad Ma'ruf Al-Hakim 2", "Muhamad Ma'ruf Al-Hakim"]
)
def test_another_name_does_not_match(typed: str) -> None:
    client_id = uuid4()
    digest = VAULT.name_digest(client_id, PRINTED)

    assert not VAULT.name_matches(client_id, typed, digest)


def test_the_same_name_of_two_klien_has_two_digests() -> None:
    assert VAULT.name_digest(uuid4(), PRINTED) != VAULT.name_digest(uuid4(), PRINTED)


def test_the_digest_needs_the_lookup_key() -> None:
    client_id = uuid4()

    other = ProfileVault(MasterKeys(b"m" * 32), lookup_key=b"n" * 32)

    assert other.name_digest(client_id, PRINTED) != VAULT.name_digest(client_id, PRINTED)
    assert not other.name_matches(client_id, PRINTED, VAULT.name_digest(client_id, PRINTED))


def test_the_digest_holds_nothing_of_the_name() -> None:
    digest = VAULT.name_digest(uuid4(), PRINTED)

    assert len(digest) == 32
    for part in ("muhammad", "Muhammad", "maruf", "hakim"):
        assert part.encode() not in digest


def test_a_normalised_name_keeps_only_letters_and_digits_without_case_or_accents() -> None:
    assert normalised_name("  Siti NUR'AINI-Rahmawati 2 ") == "sitinurainirahmawati2"
    assert normalised_name("Dèwi Ṣarī") == "dewisari"
    assert normalised_name("--- . ,") == ""
