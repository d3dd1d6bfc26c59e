"""How a training certificate reads in Bahasa Indonesia, on paper and on the
verification page alike: the skill's Indonesian name, the Bapas's full name, a date
such as "5 Maret 2025" (never an ISO date, nor the English month names of a default
locale)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from services.enrolment.queries import Certificate
from shared.indonesian import format_date, skill_name
from shared.reference import UnknownBapas, bapas_office

NOT_KNOWN: Final = "(belum tercatat)"
"""Shown for a name the service's projection does not hold (yet)."""


@dataclass(frozen=True, slots=True)
class CertificateWording:
    """The certificate's facts as a reader sees them."""

    skill: str
    programme: str
    pokmas: str
    bapas: str
    completed_on: str
    certificate_number: str | None


def _bapas_name(bapas_code: str) -> str:
    try:
        return bapas_office(bapas_code).name
    except UnknownBapas:
        return f"Bapas {bapas_code}"


def wording_of(certificate: Certificate) -> CertificateWording:
    """The wording of a certificate that was earned (it has a completion date)."""
    if certificate.completed_on is None:
        raise ValueError("a certificate is worded only once the training is completed")
    skill = certificate.skill
    return CertificateWording(
        skill=NOT_KNOWN if skill is None else skill_name(skill),
        programme=certificate.programme or NOT_KNOWN,
        pokmas=certificate.pokmas or NOT_KNOWN,
        bapas=_bapas_name(certificate.bapas_code),
        completed_on=format_date(certificate.completed_on),
        certificate_number=certificate.certificate_number,
    )
