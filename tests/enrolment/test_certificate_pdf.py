"""The printed certificate itself, made without the service: whatever the lengths of
the names and titles it states, everything is on paper and the QR code still scans;
a name with letters the PDF's fonts lack is printed in a form the name check accepts."""

from __future__ import annotations

import io

import pypdf
import pypdfium2
import zxingcpp

from services.enrolment.certificate_pdf import certificate_pdf
from services.enrolment.certificate_wording import CertificateWording
from services.enrolment.profiles import normalised_name
from shared.pdf_text import printable

CODE = "0K7D-M2QX-9ABC-DEFG-HJKM-NPQR-ST"
URL = f"https://sertifikat.bapas.example/verify/{CODE}"


def _wording(**changes: str) -> CertificateWording:
    values = {
        "skill": "Servis AC",
        "programme": "Servis AC dasar",
        "pokmas": "Pokmas Maju Bersama",
        "bapas": "Bapas Kelas II Balikpapan",
        "completed_on": "5 Maret 2025",
        "certificate_number": "SERT/001",
    }
    return CertificateWording(**(values | changes))


def _text(pdf: bytes) -> str:
    """The PDF's text without any white space (long values wrap over lines)."""
    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    return "".join("".join(page.extract_text().split()) for page in pages)


def _scanned(pdf: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [
            found.text
            for page in document
            for found in zxingcpp.read_barcodes(page.render(scale=2).to_pil())
        ]
    finally:
        document.close()


def _squeezed(text: str) -> str:
    return "".join(text.split())


def test_the_longest_names_and_titles_are_all_printed_and_the_qr_code_scans() -> None:
    longest = {
        "programme": "Pelatihan servis pendingin ruangan tingkat lanjut " * 4,
        "pokmas": "Kelompok Masyarakat Peduli Pemasyarakatan Kota Balikpapan " * 3,
        "certificate_number": "SERT/" + "1234567890" * 19,
    }
    name = "Raden Mas Muhammad Ahmad Syarifuddin Hidayatullah " * 4

    pdf = certificate_pdf(
        _wording(**{key: value[:200] for key, value in longest.items()}),
        trainee_name=name[:200],
        code=CODE,
        verification_url=URL,
    )

    text = _text(pdf)
    for value in (*longest.values(), name):
        assert _squeezed(value[:200]) in text
    assert _scanned(pdf) == [URL]


def test_a_name_with_letters_beyond_the_fonts_prints_in_a_form_that_still_matches() -> None:
    name = "Nguyễn Thị Ǹgọc"

    pdf = certificate_pdf(_wording(), trainee_name=name, code=CODE, verification_url=URL)

    printed = printable(name)
    assert _squeezed(printed) in _text(pdf)
    assert normalised_name(printed) == normalised_name(name)
