"""The readable summary of a klien's subject-access export: the document ``bapas privacy
export`` gathers, printed as a PDF in Bahasa Indonesia that the klien can read.

A title, the klien's id and when the document was gathered, then one section per
service, under the name of what it keeps (a service that holds nothing of the klien
says so). Every field of the document is printed: under its Indonesian label where
there is one, under its own key where there is none, so nothing is left out; a list
shows each of its items numbered, and what an object holds is indented beneath it.
Values read as people say them: a date "28 November 2026", an instant at the clock of
the klien's office ("28 November 2026 pukul 14.05 WITA"), an office by its name, a skill
by its Indonesian name, yes and no, the platform's codes (statuses, roles, channels,
kinds) in words, a value that is absent as "-"; a code without words is printed as is.

Printed with the PDF's built-in fonts, as the training certificate is (see
:func:`shared.pdf_text.printable`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Final, TypeVar

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from shared.indonesian import (
    ASSESSMENTS,
    INTEGRATION_TYPES,
    PLACEMENT_KINDS,
    WITHDRAWAL_REASONS,
    format_date,
    format_time,
    skill_name,
)
from shared.pdf_text import BUILT_IN_FONTS_ENCODING, printable
from shared.reference import bapas_office, is_known_bapas

TITLE: Final = "Ringkasan Data Pribadi Klien"

SECTIONS: Final[Mapping[str, str]] = {
    "enrolment": "Pembimbingan, wajib lapor dan pelatihan",
    "employment": "Pekerjaan dan penempatan kerja",
    "notifications": "Pemberitahuan yang dikirim tentang klien",
    "insights": "Data untuk statistik program (tanpa nama klien)",
}
"""The heading of each service's section: what the klien finds there."""

LABELS: Final[Mapping[str, str]] = {
    # the document and every export
    "client_id": "Nomor identitas klien (sistem)",
    "gathered_at": "Dihimpun pada",
    "service": "Layanan",
    "exported_at": "Diekspor pada",
    "klien": "Data klien",
    "access_log": "Riwayat akses (siapa yang melihat)",
    "version": "Versi",
    "id": "Nomor identitas",
    # the klien
    "bapas_code": "Bapas",
    "register_number": "Nomor register",
    "integration_type": "Jenis program integrasi",
    "released_on": "Tanggal bebas",
    "supervision_ends_on": "Akhir masa pembimbingan",
    "supervision_ended_on": "Pembimbingan berakhir pada",
    "supervision_outcome": "Hasil pembimbingan",
    "profile_erased_on": "Data pribadi dihapus pada",
    "status": "Status",
    "pk_officer": "Pembimbing Kemasyarakatan (PK)",
    "name": "Nama",
    "email": "E-mail",
    "phone": "Telepon",
    "profile": "Data pribadi",
    "full_name": "Nama lengkap",
    "nik": "NIK",
    "address": "Alamat",
    "employments": "Pekerjaan",
    "reoffences": "Pengulangan tindak pidana",
    "reporting": "Wajib lapor",
    "every_days": "Setiap (hari)",
    "next_due_on": "Jadwal lapor berikutnya",
    "revocation_recommended": "Direkomendasikan pencabutan",
    "missed_in_a_row": "Terlewat berturut-turut",
    "due_dates": "Jadwal wajib lapor",
    "due_on": "Tanggal jatuh tempo",
    "outcome": "Hasil",
    "missed": "Terlewat",
    "reported_on": "Tanggal lapor",
    "channel": "Saluran",
    "note": "Catatan",
    "notes": "Catatan tentang klien",
    "about": "Tentang",
    "text": "Isi catatan",
    # enrolments and training
    "enrolments": "Pelatihan",
    "enrolment_id": "Nomor pendaftaran pelatihan",
    "programme_id": "Nomor program",
    "programme_title": "Nama program",
    "pokmas_id": "Nomor Pokmas",
    "pokmas_name": "Pokmas",
    "mou_id": "Nomor MoU",
    "enrolled_on": "Tanggal mendaftar",
    "sessions_planned": "Jumlah sesi",
    "sessions_attended": "Sesi dihadiri",
    "completed_on": "Tanggal selesai",
    "assessment": "Penilaian",
    "certificate_number": "Nomor sertifikat Pokmas",
    "certificate_code": "Kode verifikasi sertifikat",
    "withdrawn_on": "Tanggal keluar",
    "withdrawal_reason": "Alasan keluar",
    "withdrawal_note": "Catatan keluar",
    "suspension_reason": "Alasan penangguhan",
    "attendance": "Kehadiran",
    "session_no": "Sesi ke",
    "session_date": "Tanggal sesi",
    "concern": "Catatan kehadiran",
    "trainee_name": "Nama peserta",
    "skill": "Keahlian",
    "completions": "Pelatihan yang diselesaikan",
    # employment
    "placements": "Penempatan kerja",
    "placement_id": "Nomor penempatan",
    "employer_id": "Nomor pemberi kerja",
    "employer_name": "Pemberi kerja",
    "vacancy_id": "Nomor lowongan",
    "started_on": "Mulai bekerja",
    "kind": "Jenis",
    "six_weeks": "Pemeriksaan 6 minggu",
    "six_months": "Pemeriksaan 6 bulan",
    "checked_on": "Tanggal pemeriksaan",
    "still_employed": "Masih bekerja",
    "ended_on": "Tanggal berakhir",
    "end_reason": "Alasan berakhir",
    "checks_recorded": "Pemeriksaan tercatat",
    "active": "Masih berjalan",
    # notifications
    "under_supervision": "Dalam pembimbingan",
    "messages": "Pemberitahuan",
    "notification_id": "Nomor pemberitahuan",
    "cause_event_id": "Nomor peristiwa penyebab",
    "cause_event_type": "Peristiwa penyebab",
    "reminder": "Pengingat",
    "recipient_kind": "Penerima",
    "subscription_id": "Nomor langganan webhook",
    "template": "Templat",
    "subject": "Judul",
    "body": "Isi pesan",
    "attempts": "Jumlah percobaan",
    "last_error": "Kesalahan terakhir",
    "created_at": "Dibuat pada",
    "settled_at": "Selesai pada",
    # insights
    "held_by_bapas_code": "Bapas yang membimbing",
    "released_by_bapas_code": "Bapas yang membebaskan",
    "first_employed_on": "Pertama kali bekerja",
    "reoffended": "Mengulangi tindak pidana",
    "suspended": "Ditangguhkan",
    "facts": "Fakta untuk statistik",
    "source_id": "Nomor asal",
    "source_version": "Versi asal",
    "day": "Tanggal",
    "only_one_of_its_kind": "Satu-satunya dari jenisnya",
    "employed_since": "Bekerja sesudahnya",
    "no_employment_recorded": "Tidak ada pekerjaan tercatat",
    # the access log
    "accessed_at": "Waktu akses",
    "role": "Peran",
    "sub": "Pengguna",
    "method": "Metode",
    "route": "Alamat yang dibaca",
    "correlation_id": "Nomor permintaan",
}
"""The Indonesian label of each key of the document; a key without one is printed as is."""


Code = TypeVar("Code", bound=StrEnum)


def _by_value(words: Mapping[Code, str]) -> dict[str, str]:
    return {code.value: word for code, word in words.items()}


CODES: Final[Mapping[str, Mapping[str, str]]] = {
    "status": {
        "under_supervision": "dalam pembimbingan",
        "supervision_ended": "pembimbingan berakhir",
        "enrolled": "terdaftar",
        "completed": "selesai",
        "withdrawn": "keluar",
        "suspended": "ditangguhkan",
        "present": "hadir",
        "late": "terlambat",
        "absent": "tidak hadir",
        "active": "masih bekerja",
        "ended": "berakhir",
        "pending": "menunggu dikirim",
        "sent": "terkirim",
        "failed": "gagal terkirim",
        "cancelled": "dibatalkan",
    },
    "integration_type": _by_value(INTEGRATION_TYPES),
    "supervision_outcome": {"completed": "selesai", "revoked": "dicabut"},
    "outcome": {
        "reported": "melapor tepat waktu",
        "late": "melapor terlambat",
        "excused": "dimaafkan",
        "missed": "tidak melapor",
    },
    "channel": {
        "email": "e-mail",
        "sms": "SMS",
        "webhook": "webhook",
        "in_person": "datang langsung",
        "video": "panggilan video",
    },
    "assessment": _by_value(ASSESSMENTS),
    "withdrawal_reason": _by_value(WITHDRAWAL_REASONS),
    "end_reason": {
        "resigned": "mengundurkan diri",
        "dismissed": "diberhentikan",
        "contract_ended": "kontrak berakhir",
        "reoffended": "mengulangi tindak pidana",
        "revoked": "pembimbingan dicabut",
        "moved": "pindah Bapas",
        "other": "alasan lain",
    },
    "kind": {
        **_by_value(PLACEMENT_KINDS),
        "employment": "pekerjaan",
        "placement": "penempatan kerja",
        "reoffence": "pengulangan tindak pidana",
        "completion": "pelatihan selesai",
        "work_withdrawal": "keluar dari pelatihan karena bekerja",
        "revocation": "rekomendasi pencabutan",
    },
    "recipient_kind": {
        "pk_officer": "Pembimbing Kemasyarakatan",
        "pokmas": "Pokmas",
        "bapas": "kantor Bapas",
        "subscriber": "sistem pelanggan (webhook)",
    },
    "role": {
        "bapas_officer": "petugas Bapas",
        "ministry": "kementerian",
        "regional": "kantor wilayah",
        "service": "layanan platform",
        "pokmas_partner": "mitra Pokmas",
    },
}
"""The platform's codes in words, by the key whose values they are."""

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}[\d:.]*(Z|[+-]\d{2}:\d{2})?")
_FONT: Final = "Helvetica"
_MARGIN: Final = 15.0
_INDENT: Final = 5.0
_LINE: Final = 5.0
_NOTHING: Final = "-"
_NO_TIME_ZONE: Final = "UTC"


def summary_pdf(document: Mapping[str, Any]) -> bytes:
    """The summary of a gathered export document, as PDF bytes."""
    summary = _Summary(_time_zone_of(document))
    summary.title(str(document.get("client_id", _NOTHING)))
    summary.fields({k: v for k, v in document.items() if k != "services"}, level=0)
    for service, export in document.get("services", {}).items():
        summary.section(SECTIONS.get(service, service))
        if export is None:
            summary.text("Layanan ini tidak menyimpan data apa pun tentang klien.", level=0)
        else:
            summary.fields(export, level=0)
    return summary.output()


def _time_zone_of(document: Mapping[str, Any]) -> str:
    """The time zone of the klien's office, as the first export's klien names it."""
    for export in document.get("services", {}).values():
        klien = export.get("klien") if isinstance(export, Mapping) else None
        if isinstance(klien, Mapping):
            code = klien.get("bapas_code") or klien.get("held_by_bapas_code")
            if isinstance(code, str) and is_known_bapas(code):
                return bapas_office(code).time_zone
    return _NO_TIME_ZONE


def _words_of(key: str, value: object, time_zone: str) -> str:
    """A value of the document as the summary prints it."""
    if value is None:
        return _NOTHING
    if isinstance(value, bool):
        return "Ya" if value else "Tidak"
    if not isinstance(value, str):
        return str(value)
    if key in CODES:
        return CODES[key].get(value, value)
    if key == "skill":
        return skill_name(value)
    if key == "bapas_code" or key.endswith("_bapas_code"):
        return bapas_office(value).name if is_known_bapas(value) else value
    if _DATE.fullmatch(value):
        return format_date(date.fromisoformat(value))
    if _INSTANT.fullmatch(value):
        return format_time(datetime.fromisoformat(value), time_zone)
    return value


class _Summary:
    """The PDF being written, top to bottom."""

    def __init__(self, time_zone: str) -> None:
        self._time_zone = time_zone
        pdf = FPDF(orientation="portrait", unit="mm", format="A4")
        pdf.core_fonts_encoding = BUILT_IN_FONTS_ENCODING
        pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
        pdf.set_auto_page_break(auto=True, margin=_MARGIN)
        pdf.set_lang("id")
        pdf.add_page()
        self._pdf = pdf

    def title(self, client_id: str) -> None:
        self._pdf.set_title(f"{TITLE} {client_id}")
        self._pdf.set_font(_FONT, "B", 16)
        self._paragraph(TITLE, level=0, height=9)
        self._pdf.ln(2)

    def section(self, heading: str) -> None:
        self._pdf.ln(4)
        self._pdf.set_font(_FONT, "B", 13)
        self._paragraph(heading, level=0, height=7)
        self._pdf.ln(1)

    def fields(self, values: Mapping[str, Any], *, level: int) -> None:
        for key, value in values.items():
            self._field(key, value, level=level)

    def text(self, text: str, *, level: int) -> None:
        self._pdf.set_font(_FONT, "", 10)
        self._paragraph(text, level=level)

    def output(self) -> bytes:
        return bytes(self._pdf.output())

    def _field(self, key: str, value: Any, *, level: int) -> None:
        label = LABELS.get(key, key)
        if isinstance(value, Mapping):
            self._heading(label, level=level)
            self.fields(value, level=level + 1)
        elif isinstance(value, list):
            self._heading(f"{label} ({len(value)})", level=level)
            if not value:
                self.text("(tidak ada)", level=level + 1)
            for number, item in enumerate(value, start=1):
                self._item(key, number, item, level=level + 1)
        else:
            self._value(label, _words_of(key, value, self._time_zone), level=level)

    def _item(self, key: str, number: int, item: Any, *, level: int) -> None:
        if isinstance(item, Mapping):
            self._heading(f"{number}.", level=level)
            self.fields(item, level=level + 1)
        else:
            self._value(f"{number}.", _words_of(key, item, self._time_zone), level=level, after="")

    def _heading(self, label: str, *, level: int) -> None:
        self._pdf.set_font(_FONT, "B", 10)
        self._paragraph(label, level=level)

    def _value(self, label: str, value: str, *, level: int, after: str = ":") -> None:
        """``label: value``, the value on lines of its own when it has several."""
        pdf = self._pdf
        self._indent(level)
        pdf.set_font(_FONT, "B", 10)
        pdf.write(_LINE, printable(f"{label}{after} "))
        pdf.set_font(_FONT, "", 10)
        if "\n" in value.strip():
            pdf.ln(_LINE)
            self._indent(level + 1)
        pdf.write(_LINE, printable(value.strip()))
        pdf.ln(_LINE)

    def _paragraph(self, text: str, *, level: int, height: float = _LINE) -> None:
        self._indent(level)
        self._pdf.multi_cell(0, height, printable(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def _indent(self, level: int) -> None:
        """Lines from here start ``level`` steps in (wrapped ones too)."""
        self._pdf.set_left_margin(_MARGIN + level * _INDENT)
        self._pdf.set_x(self._pdf.l_margin)
