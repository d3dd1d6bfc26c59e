"""Certificate codes, checked without the service: every enrolment's code reads back to
it however it is typed from paper, codes cannot be guessed or made without the key,
and only a training completed competent earns a certificate."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.enrolment.certificates import ALPHABET, CertificateCodes, certificate_refusal
from services.enrolment.domain import EnrolmentStatus
from shared.events.enrolment import Assessment

CODES = CertificateCodes(b"m" * 32, "https://sertifikat.bapas.example/")
OTHER_KEY = CertificateCodes(b"n" * 32, "https://sertifikat.bapas.example")


def _symbols(code: str) -> str:
    return code.replace("-", "")


@given(st.uuids())
def test_a_code_reads_back_to_its_enrolment(enrolment_id: UUID) -> None:
    assert CODES.enrolment_of(CODES.code_of(enrolment_id)) == enrolment_id


@given(st.uuids())
def test_a_code_reads_the_same_in_lower_case_without_hyphens_or_spaced(
    enrolment_id: UUID,
) -> None:
    code = CODES.code_of(enrolment_id)

    typed = [code.lower(), _symbols(code), _symbols(code).lower(), code.replace("-", " ")]

    assert {CODES.enrolment_of(text) for text in typed} == {enrolment_id}


def test_letters_misread_from_paper_read_as_the_digits_they_look_like() -> None:
    enrolment_id = next(e for e in iter(uuid4, None) if {"0", "1"} & set(CODES.code_of(e)))
    code = CODES.code_of(enrolment_id)

    misread = code.replace("0", "o").replace("1", "I")

    assert CODES.enrolment_of(misread) == enrolment_id
    assert CODES.enrolment_of(code.replace("1", "l")) == enrolment_id


def test_a_code_is_grouped_by_four_symbols_of_crockford_s_base32() -> None:
    code = CODES.code_of(uuid4())

    groups = code.split("-")

    assert [len(group) for group in groups] == [4, 4, 4, 4, 4, 4, 2]
    assert set(_symbols(code)) <= set(ALPHABET)
    assert not set("ILOU") & set(code)


def test_a_code_carries_at_least_80_bits() -> None:
    codes = {CODES.code_of(uuid4()) for _ in range(2_000)}
    symbols = {len(_symbols(code)) for code in codes}

    # 26 symbols, the first taking any of 8 values and the others any of 32: 128 bits.
    assert len(codes) == 2_000
    assert symbols == {26}
    assert {_symbols(code)[0] for code in codes} == set("01234567")
    assert set().union(*(set(_symbols(code)[1:]) for code in codes)) == set(ALPHABET)


def test_neighbouring_enrolments_have_unrelated_codes() -> None:
    first = UUID(int=0x1234_5678_9ABC_4DEF_8123_4567_89AB_CDEF)
    next_one = UUID(int=first.int + 1)

    same = sum(a == b for a, b in zip(CODES.code_of(first), CODES.code_of(next_one), strict=True))

    assert same < 12  # of 32 characters, 6 of them hyphens: a few symbols agree by chance


def test_a_code_shows_nothing_of_the_enrolment_id() -> None:
    enrolment_id = uuid4()

    code = _symbols(CODES.code_of(enrolment_id)).lower()

    assert enrolment_id.hex[:8] not in code
    assert enrolment_id.hex[-8:] not in code


def test_another_key_makes_other_codes_and_reads_none_back() -> None:
    enrolment_id = uuid4()
    code = CODES.code_of(enrolment_id)

    assert OTHER_KEY.code_of(enrolment_id) != code
    assert OTHER_KEY.enrolment_of(code) != enrolment_id


@pytest.mark.parametrize(
    "text",
    [
        "",
        "0K7D",
        "0K7D-M2QX-0K7D-M2QX-0K7D-M2QX-0K7",
        "0K7D-M2QX-0K7D-M2QX-0K7D-M2QX-0K7DD",
        "0K7D-M2QX-0K7D-M2QX-0K7D-M2QX-0U",
        "8K7D-M2QX-0K7D-M2QX-0K7D-M2QX-0K",
        "ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZ",
        "0K7D/M2QX/0K7D/M2QX/0K7D/M2QX/0K",
        "0K7D-M2QX-0K7D-M2QX-0K7D-M2QX-0Ö",
        "0K7D-M2QX-0K7D-M2QX-0K7D-M2QX-0\x00",
        "-" * 5_000,
        "0" * 5_000,
    ],
    ids=[
        "empty",
        "a group",
        "a symbol short",
        "a symbol over",
        "U",
        "over 128 bits",
        "largest symbols",
        "slashes",
        "a letter not of the alphabet",
        "NUL",
        "hyphens only, long",
        "very long",
    ],
)
def test_text_that_is_no_code_reads_as_none(text: str) -> None:
    assert CODES.enrolment_of(text) is None


def test_the_verification_address_is_the_public_base_url_and_the_code() -> None:
    code = CODES.code_of(uuid4())

    assert CODES.verification_url(code) == f"https://sertifikat.bapas.example/verify/{code}"


def test_only_a_completion_assessed_competent_earns_a_certificate() -> None:
    earned = [
        (status, assessment)
        for status in EnrolmentStatus
        for assessment in (*Assessment, None)
        if certificate_refusal(status, assessment) is None
    ]

    assert earned == [(EnrolmentStatus.COMPLETED, Assessment.COMPETENT)]


@pytest.mark.parametrize(
    ("status", "assessment", "reason"),
    [
        (EnrolmentStatus.ENROLLED, None, "the enrolment is enrolled"),
        (EnrolmentStatus.WITHDRAWN, None, "the enrolment is withdrawn"),
        (EnrolmentStatus.COMPLETED, Assessment.NOT_YET_COMPETENT, "not_yet_competent"),
    ],
)
def test_the_refusal_says_why(
    status: EnrolmentStatus, assessment: Assessment | None, reason: str
) -> None:
    assert reason in (certificate_refusal(status, assessment) or "")
