"""Verifiable training certificates: a klien who completes a training assessed competent
gets a printable certificate whose QR code leads anyone to a public check of it; the
check never shows the name, but says whether a name typed from the paper matches, and
a certificate stays valid (and matches no name) once the profile is erased."""

from __future__ import annotations

import io
import re
import secrets
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote, urlsplit
from uuid import UUID, uuid4

import asyncpg
import httpx
import pypdf
import pypdfium2
import pytest
import zxingcpp

from services.enrolment.certificates import ALPHABET, CertificateCodes
from services.enrolment.settings import DEVELOPMENT_PUBLIC_BASE_URL, EnrolmentSettings
from shared.http import Role
from tests.enrolment.helpers import (
    OFFICER,
    PokmasFeed,
    Programme,
    attend,
    enrol,
    enrolment,
    new_nik,
    officer,
    release_client,
    today,
)
from tests.support.service_app import bearer

JSON = {"Accept": "application/json"}
CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){5}-[0-9A-HJKMNP-TV-Z]{2}$")
MONTHS = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)


@dataclass(frozen=True)
class Trained:
    """A klien enrolled in a programme of its own, and the name on its profile."""

    client_id: UUID
    enrolment_id: UUID
    programme: Programme
    full_name: str

    @property
    def pdf_path(self) -> str:
        return f"/api/v1/enrolments/{self.enrolment_id}/certificate.pdf"


async def _trained(
    api: httpx.AsyncClient, feed: PokmasFeed, assessment: str | None = "competent"
) -> Trained:
    """A klien enrolled, present at the one session, and completed with ``assessment``
    (``None``: not completed)."""
    programme = await feed.open_programme(sessions_planned=1)
    full_name = f"Siti Nur'aini {secrets.token_hex(4)}"
    client_id = await release_client(api, profile={"full_name": full_name, "nik": new_nik()})
    enrolled = await enrol(api, client_id, programme)
    assert enrolled.status_code == 201, enrolled.text
    enrolment_id = UUID(enrolled.json()["id"])
    if assessment is not None:
        await attend(api, enrolment_id, programme, [1])
        completed = await api.post(
            f"/api/v1/enrolments/{enrolment_id}/completion",
            json={"completed_on": today().isoformat(), "assessment": assessment},
            headers=OFFICER,
        )
        assert completed.status_code == 201, completed.text
    return Trained(client_id, enrolment_id, programme, full_name)


@pytest.fixture(scope="module")
async def certified(api: httpx.AsyncClient, feed: PokmasFeed) -> Trained:
    return await _trained(api, feed)


@pytest.fixture(scope="module")
async def code(api: httpx.AsyncClient, certified: Trained) -> str:
    shown = await enrolment(api, certified.enrolment_id)
    certificate_code: str = shown["certificate_code"]
    return certificate_code


@pytest.fixture(scope="module")
async def pdf(api: httpx.AsyncClient, certified: Trained) -> bytes:
    response = await api.get(certified.pdf_path, headers=OFFICER)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    return response.content


def _code_of(enrolment_id: UUID) -> str:
    """The code the service would give the enrolment (same development certificate key)."""
    return CertificateCodes(EnrolmentSettings().certificate_code_key(), "").code_of(enrolment_id)


async def _verify(
    api: httpx.AsyncClient, code: str, name: str | None = None, headers: dict[str, str] = JSON
) -> httpx.Response:
    params = {} if name is None else {"name": name}
    return await api.get(f"/verify/{quote(code, safe='')}", params=params, headers=headers)


def _pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def _qr_codes(pdf: bytes) -> list[str]:
    """The texts of the QR codes found on the pages, rendered as a scanner would see them."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [
            found.text
            for page in document
            for found in zxingcpp.read_barcodes(page.render(scale=2).to_pil())
        ]
    finally:
        document.close()


def _indonesian(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


# --- the code on the enrolment -------------------------------------------------------


async def test_an_enrolment_completed_competent_shows_its_certificate_code(code: str) -> None:
    assert CODE.match(code), code


async def test_every_reader_of_the_enrolment_sees_the_same_code(
    api: httpx.AsyncClient, certified: Trained, code: str
) -> None:
    ministry = await enrolment(api, certified.enrolment_id, bearer(Role.MINISTRY))
    partner = await enrolment(api, certified.enrolment_id, certified.programme.partner)

    assert ministry["certificate_code"] == partner["certificate_code"] == code


@pytest.mark.parametrize("assessment", ["not_yet_competent", None])
async def test_an_enrolment_without_a_competent_completion_has_no_code(
    api: httpx.AsyncClient, feed: PokmasFeed, assessment: str | None
) -> None:
    trained = await _trained(api, feed, assessment)

    shown = await enrolment(api, trained.enrolment_id)

    assert shown["certificate_code"] is None


# --- the PDF -------------------------------------------------------------------------


async def test_the_pdf_states_skill_programme_pokmas_bapas_date_name_and_code(
    pdf: bytes, certified: Trained, code: str
) -> None:
    lines = _pdf_text(pdf).splitlines()

    for expected in (
        "Servis AC",
        certified.full_name,
        code,
        "SERTIFIKAT PELATIHAN KETERAMPILAN",
    ):
        assert expected in lines
    text = " ".join(lines)
    for expected in (
        "Servis AC dasar",
        "Pokmas Maju Bersama",
        "Bapas Kelas II Balikpapan",
        _indonesian(today()),
    ):
        assert expected in text


async def test_the_qr_code_on_the_printed_page_is_the_verification_address(
    pdf: bytes, code: str
) -> None:
    assert _qr_codes(pdf) == [f"{DEVELOPMENT_PUBLIC_BASE_URL}/verify/{code}"]


async def test_the_scanned_address_confirms_the_certificate(
    api: httpx.AsyncClient, pdf: bytes
) -> None:
    [scanned] = _qr_codes(pdf)

    response = await api.get(urlsplit(scanned).path)

    assert response.status_code == 200
    assert "Sertifikat sah" in response.text


async def test_the_programme_s_partner_prints_the_certificate(
    api: httpx.AsyncClient, certified: Trained, code: str
) -> None:
    response = await api.get(certified.pdf_path, headers=certified.programme.partner)

    assert response.status_code == 200, response.text
    assert code in _pdf_text(response.content)


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("officer of another Bapas", 404),
        ("partner of another Pokmas", 404),
        ("ministry", 403),
        ("regional office of the province", 403),
    ],
)
async def test_only_the_bapas_s_officers_and_the_programme_s_partner_print_it(
    api: httpx.AsyncClient, certified: Trained, who: str, status: int
) -> None:
    headers = {
        "officer of another Bapas": officer("samarinda"),
        "partner of another Pokmas": bearer(
            Role.POKMAS_PARTNER, bapas=certified.programme.bapas_code, pokmas_id=uuid4()
        ),
        "ministry": bearer(Role.MINISTRY),
        "regional office of the province": bearer(Role.REGIONAL, province="kalimantan-timur"),
    }[who]

    response = await api.get(certified.pdf_path, headers=headers)

    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"


async def test_the_pdf_needs_a_token(api: httpx.AsyncClient, certified: Trained) -> None:
    response = await api.get(certified.pdf_path)

    assert response.status_code == 401


async def test_the_pdf_of_an_unknown_enrolment_is_404(api: httpx.AsyncClient) -> None:
    response = await api.get(f"/api/v1/enrolments/{uuid4()}/certificate.pdf", headers=OFFICER)

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("assessment", "reason"),
    [("not_yet_competent", "not_yet_competent"), (None, "not completed")],
)
async def test_no_pdf_without_a_competent_completion(
    api: httpx.AsyncClient, feed: PokmasFeed, assessment: str | None, reason: str
) -> None:
    trained = await _trained(api, feed, assessment)

    response = await api.get(trained.pdf_path, headers=OFFICER)

    assert response.status_code == 409
    assert reason in response.json()["detail"]


# --- verification --------------------------------------------------------------------


async def test_verification_answers_the_certificate_s_facts_as_json(
    api: httpx.AsyncClient, certified: Trained, code: str
) -> None:
    response = await _verify(api, code)

    assert response.status_code == 200, response.text
    assert response.json() == {
        "valid": True,
        "skill": "ac_repair",
        "programme": "Servis AC dasar",
        "pokmas": "Pokmas Maju Bersama",
        "bapas_code": certified.programme.bapas_code,
        "completed_on": today().isoformat(),
    }


async def test_verification_is_a_page_in_bahasa_indonesia_by_default(
    api: httpx.AsyncClient, code: str
) -> None:
    response = await _verify(api, code, headers={})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    for expected in (
        "Sertifikat sah",
        code,
        "Servis AC",
        "Servis AC dasar",
        "Pokmas Maju Bersama",
        "Bapas Kelas II Balikpapan",
        _indonesian(today()),
    ):
        assert expected in page


async def test_the_page_loads_nothing_from_elsewhere(api: httpx.AsyncClient, code: str) -> None:
    response = await _verify(api, code, headers={"Accept": "text/html"})

    assert not re.search(r"<(script|link|img|iframe)\b|\bsrc=|url\(", response.text)
    assert "default-src 'none'" in response.headers["content-security-policy"]


async def test_a_browser_s_accept_header_gets_the_page(api: httpx.AsyncClient, code: str) -> None:
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

    response = await _verify(api, code, headers={"Accept": browser})

    assert response.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("typed", ["lower case", "without hyphens", "with spaces"])
async def test_the_code_is_accepted_however_it_is_typed(
    api: httpx.AsyncClient, code: str, typed: str
) -> None:
    variant = {
        "lower case": code.lower(),
        "without hyphens": code.replace("-", "").lower(),
        "with spaces": code.replace("-", " "),
    }[typed]

    response = await _verify(api, variant)

    assert response.status_code == 200, response.text


def _one_symbol_changed(code: str) -> str:
    position = len(code) // 2
    if code[position] == "-":
        position += 1
    replacement = next(s for s in ALPHABET if s != code[position])
    return code[:position] + replacement + code[position + 1 :]


def _guessed() -> str:
    """26 symbols of a code's alphabet within 128 bits, at random."""
    return secrets.choice("01234567") + "".join(secrets.choice(ALPHABET) for _ in range(25))


@pytest.mark.parametrize(
    "kind", ["one symbol changed", "guessed", "too short", "not base32", "very long"]
)
async def test_a_code_that_names_no_certificate_is_404(
    api: httpx.AsyncClient, code: str, kind: str
) -> None:
    wrong = {
        "one symbol changed": _one_symbol_changed(code),
        "guessed": _guessed(),
        "too short": code[:-3],
        "not base32": code.replace(code[0], "U", 1),
        "very long": code * 200,
    }[kind]

    as_json = await _verify(api, wrong)
    as_page = await _verify(api, wrong, headers={})

    assert (as_json.status_code, as_page.status_code) == (404, 404)
    assert as_json.headers["content-type"] == "application/problem+json"
    assert as_page.headers["content-type"].startswith("text/html")
    assert "Sertifikat tidak ditemukan" in as_page.text


@pytest.mark.parametrize("assessment", ["not_yet_competent", None])
async def test_a_training_without_a_competent_completion_does_not_verify(
    api: httpx.AsyncClient, feed: PokmasFeed, assessment: str | None
) -> None:
    trained = await _trained(api, feed, assessment)

    response = await _verify(api, _code_of(trained.enrolment_id))

    assert response.status_code == 404


# --- the name --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["as printed", "upper case", "other spacing", "without punctuation"]
)
async def test_the_name_printed_on_the_certificate_matches(
    api: httpx.AsyncClient, certified: Trained, code: str, typed: str
) -> None:
    name = certified.full_name
    variant = {
        "as printed": name,
        "upper case": name.upper(),
        "other spacing": "  " + name.replace(" ", "   ") + " ",
        "without punctuation": name.replace("'", ""),
    }[typed]

    response = await _verify(api, code, name=variant)

    assert response.json()["name_matches"] is True


async def test_another_name_does_not_match(
    api: httpx.AsyncClient, certified: Trained, code: str
) -> None:
    response = await _verify(api, code, name=f"Siti Nur'aini {secrets.token_hex(4)}")

    assert response.status_code == 200
    assert response.json()["name_matches"] is False


@pytest.mark.parametrize("headers", [JSON, {}], ids=["json", "page"])
async def test_the_answer_never_contains_the_name(
    api: httpx.AsyncClient, certified: Trained, code: str, headers: dict[str, str]
) -> None:
    distinctive = certified.full_name.rsplit(" ", 1)[1]

    answers = [
        await _verify(api, code, headers=headers),
        await _verify(api, code, name=certified.full_name, headers=headers),
        await _verify(api, code, name="Budi Santoso", headers=headers),
    ]

    for answer in answers:
        assert distinctive not in answer.text
        assert "Budi" not in answer.text


async def test_the_page_says_whether_the_name_matches(
    api: httpx.AsyncClient, certified: Trained, code: str
) -> None:
    matching = await _verify(api, code, name=certified.full_name, headers={})
    other = await _verify(api, code, name="Budi Santoso", headers={})

    said, other_said = (" ".join(answer.text.split()) for answer in (matching, other))
    assert "cocok dengan nama pemegang" in said
    assert "tidak cocok" not in said
    assert "tidak cocok dengan nama pemegang" in other_said


async def test_a_nul_in_the_code_or_the_name_is_422_like_everywhere(
    api: httpx.AsyncClient, code: str
) -> None:
    in_code = await _verify(api, code[:5] + "\x00" + code[6:], headers={})
    in_name = await _verify(api, code, name="Siti\x00Nuraini", headers={})

    assert (in_code.status_code, in_name.status_code) == (422, 422)
    assert [error["field"] for error in in_name.json()["errors"]] == ["query.name"]


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("control character", "Siti\x1bNuraini"),
        ("longer than a profile's name", "Siti " * 2000),
        ("blank", "   "),
        ("no letter or digit", "--- ..."),
    ],
)
async def test_a_name_that_cannot_be_compared_is_422(
    api: httpx.AsyncClient, code: str, kind: str, name: str
) -> None:
    as_json = await _verify(api, code, name=name)
    as_page = await _verify(api, code, name=name, headers={})

    assert (as_json.status_code, as_page.status_code) == (422, 422)
    assert [error["field"] for error in as_json.json()["errors"]] == ["query.name"]
    assert as_page.headers["content-type"].startswith("text/html")


async def test_a_profile_kept_before_names_were_digested_still_matches(
    api: httpx.AsyncClient, feed: PokmasFeed, database: asyncpg.Connection
) -> None:
    trained = await _trained(api, feed)
    await database.execute(
        "UPDATE client_profiles SET name_digest = NULL WHERE client_id = $1", trained.client_id
    )

    response = await _verify(api, _code_of(trained.enrolment_id), name=trained.full_name.upper())

    assert response.json()["name_matches"] is True
    assert await database.fetchval(
        "SELECT name_digest IS NOT NULL FROM client_profiles WHERE client_id = $1",
        trained.client_id,
    )


# --- erasure ---------------------------------------------------------------------------


async def test_after_erasure_the_certificate_verifies_and_matches_no_name(
    api: httpx.AsyncClient, feed: PokmasFeed
) -> None:
    trained = await _trained(api, feed)
    code = (await enrolment(api, trained.enrolment_id))["certificate_code"]

    erased = await api.delete(f"/api/v1/clients/{trained.client_id}/profile", headers=OFFICER)

    assert erased.status_code == 204, erased.text
    response = await _verify(api, code, name=trained.full_name)
    assert response.status_code == 200
    assert (response.json()["valid"], response.json()["name_matches"]) == (True, False)
    printed = await api.get(trained.pdf_path, headers=OFFICER)
    assert printed.status_code == 409
    assert "erased" in printed.json()["detail"]
