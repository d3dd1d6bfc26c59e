"""The printable training certificate: one A4 page (landscape) in Bahasa Indonesia, made
with fpdf2, with a QR code (from segno) that holds the address of its verification.

The page states the skill, the programme, the Pokmas, the Bapas, the completion date,
the klien's name as it is printed, and the certificate's code. The QR code is drawn
as vector squares, so it stays sharp however the page is printed or scanned.

It is printed with the PDF's built-in fonts (:func:`shared.pdf_text.printable` says
what they print of a name).
"""

from __future__ import annotations

from typing import Final

import segno
from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from services.enrolment.certificate_wording import CertificateWording
from shared.pdf_text import BUILT_IN_FONTS_ENCODING, printable

_FONT: Final = "Helvetica"
_CODE_FONT: Final = "Courier"
_PAGE_WIDTH: Final = 297.0
_PAGE_HEIGHT: Final = 210.0
_MARGIN: Final = 18.0
_TEXT_WIDTH: Final = _PAGE_WIDTH - 2 * _MARGIN
_QR_SIZE: Final = 42.0
_QR_TOP: Final = 148.0
_INK: Final = (20, 45, 90)


def certificate_pdf(
    wording: CertificateWording, *, trainee_name: str, code: str, verification_url: str
) -> bytes:
    """The certificate as PDF bytes."""
    pdf = FPDF(orientation="landscape", unit="mm", format="A4")
    pdf.core_fonts_encoding = BUILT_IN_FONTS_ENCODING
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.set_title("Sertifikat Pelatihan Keterampilan")
    pdf.set_subject(f"Kode verifikasi {code}")
    pdf.set_creator(wording.bapas)
    pdf.set_lang("id")
    pdf.add_page()
    _frame(pdf)

    pdf.set_y(_MARGIN + 6)
    _line(pdf, wording.bapas.upper(), size=12, style="B")
    _line(pdf, "SERTIFIKAT PELATIHAN KETERAMPILAN", size=26, style="B", space=2)
    _line(pdf, "Program Pembimbingan Kemandirian bersama Kelompok Masyarakat Peduli", size=11)
    pdf.ln(6)
    _line(pdf, "Diberikan kepada", size=12)
    _fitted(pdf, trainee_name, style="B", largest=24, smallest=12)
    pdf.ln(2)
    _line(pdf, "yang telah menyelesaikan pelatihan dan dinyatakan KOMPETEN dalam keterampilan", 12)
    _fitted(pdf, wording.skill, style="B", largest=18, smallest=11)
    pdf.ln(3)
    facts = [
        ("Program pelatihan", wording.programme),
        ("Penyelenggara (Pokmas)", wording.pokmas),
        ("Balai Pemasyarakatan", wording.bapas),
        ("Tanggal selesai", wording.completed_on),
    ]
    if wording.certificate_number is not None:
        facts.append(("Nomor sertifikat Pokmas", wording.certificate_number))
    for label, value in facts:
        _fact(pdf, label, value)

    _verification(pdf, code, verification_url)
    return bytes(pdf.output())


def _frame(pdf: FPDF) -> None:
    pdf.set_draw_color(*_INK)
    pdf.set_line_width(1.2)
    pdf.rect(8, 8, _PAGE_WIDTH - 16, _PAGE_HEIGHT - 16)
    pdf.set_line_width(0.3)
    pdf.rect(11, 11, _PAGE_WIDTH - 22, _PAGE_HEIGHT - 22)


def _line(pdf: FPDF, text: str, size: float, style: str = "", space: float = 0) -> None:
    pdf.set_font(_FONT, style, size)
    pdf.set_text_color(*_INK)
    pdf.multi_cell(
        _TEXT_WIDTH,
        size * 0.45 + space,
        printable(text),
        align=Align.C,
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )


def _fitted(pdf: FPDF, text: str, *, style: str, largest: float, smallest: float) -> None:
    """One centred line in the largest size that fits; wrapped in the smallest if none."""
    shown = printable(text)
    size = largest
    while size > smallest:
        pdf.set_font(_FONT, style, size)
        if pdf.get_string_width(shown) <= _TEXT_WIDTH:
            break
        size -= 1
    _line(pdf, shown, size, style)


def _fact(pdf: FPDF, label: str, value: str) -> None:
    label_width = 70.0
    left = _MARGIN + 40
    pdf.set_x(left)
    pdf.set_font(_FONT, "", 11)
    pdf.set_text_color(90, 90, 90)
    pdf.cell(label_width, 6, printable(label), new_x=XPos.RIGHT, new_y=YPos.TOP)
    pdf.set_font(_FONT, "B", 11)
    pdf.set_text_color(*_INK)
    pdf.multi_cell(
        _TEXT_WIDTH - 80 - label_width,
        6,
        printable(value),
        align=Align.L,
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )


def _verification(pdf: FPDF, code: str, url: str) -> None:
    """The QR code at the bottom left, and beside it the code and how to check it; on a
    page of its own if very long names and titles left no room for it."""
    top = max(pdf.get_y() + 4, _QR_TOP)
    if top + _QR_SIZE > _PAGE_HEIGHT - _MARGIN:
        pdf.add_page()
        _frame(pdf)
        top = _MARGIN + 6
    _qr_code(pdf, url, x=_MARGIN + 4, y=top, size=_QR_SIZE)
    left = _MARGIN + _QR_SIZE + 10
    width = _TEXT_WIDTH - _QR_SIZE - 14
    pdf.set_xy(left, top + 2)
    pdf.set_text_color(*_INK)
    pdf.set_font(_FONT, "B", 11)
    pdf.cell(width, 6, "Kode verifikasi", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(_CODE_FONT, "B", 16)
    pdf.cell(width, 9, code, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(_FONT, "", 9.5)
    pdf.set_text_color(60, 60, 60)
    pdf.multi_cell(
        width,
        5,
        "Periksa keaslian sertifikat ini dengan memindai kode QR atau membuka alamat di "
        "bawah ini dan mengetik kodenya. Halaman pemeriksaan menunjukkan keterampilan, "
        "program, Pokmas, Bapas dan tanggal, tetapi tidak pernah menampilkan nama: ketik "
        "nama yang tercetak di sini untuk mencocokkannya.",
        align=Align.L,
        new_x=XPos.LEFT,
        new_y=YPos.NEXT,
    )
    pdf.set_font(_CODE_FONT, "", 9)
    pdf.multi_cell(width, 5, printable(url), align=Align.L, new_x=XPos.LEFT, new_y=YPos.NEXT)


def _qr_code(pdf: FPDF, data: str, *, x: float, y: float, size: float) -> None:
    """The QR code of ``data`` (error correction level M), drawn as black runs of modules
    on a white quiet zone of four modules, ``size`` millimetres wide."""
    qr = segno.make_qr(data, error="m")
    modules = qr.symbol_size(scale=1, border=4)[0]
    step = size / modules
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(x, y, size, size, style="F")
    pdf.set_fill_color(0, 0, 0)
    for row_number, modules_of_row in enumerate(qr.matrix_iter(scale=1, border=4)):
        row = list(modules_of_row)
        column = 0
        while column < modules:
            if not row[column]:
                column += 1
                continue
            start = column
            while column < modules and row[column]:
                column += 1
            pdf.rect(
                x + start * step, y + row_number * step, (column - start) * step, step, style="F"
            )
