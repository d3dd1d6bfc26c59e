"""What the enrolment routes take from the app they run in: the profile vault (with the
master keys and the look-up key), the certificate codes (with the certificate key) and
the configured default intervals of wajib lapor, made once by the composition root
(:mod:`services.enrolment.app`) and kept in the app's state."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import Depends, Request

from services.enrolment.certificates import CertificateCodes
from services.enrolment.profiles import ProfileVault
from shared.events.enrolment import IntegrationType


async def profile_vault(request: Request) -> ProfileVault:
    vault: ProfileVault = request.app.state.profile_vault
    return vault


async def certificate_codes(request: Request) -> CertificateCodes:
    codes: CertificateCodes = request.app.state.certificate_codes
    return codes


async def reporting_defaults(request: Request) -> Mapping[IntegrationType, int]:
    defaults: Mapping[IntegrationType, int] = request.app.state.reporting_every_days
    return defaults


Vault = Annotated[ProfileVault, Depends(profile_vault)]
Codes = Annotated[CertificateCodes, Depends(certificate_codes)]
ReportingDefaults = Annotated[Mapping[IntegrationType, int], Depends(reporting_defaults)]
