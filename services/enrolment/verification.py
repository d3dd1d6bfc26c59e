"""The public check of a training certificate: ``GET /verify/{code}``, no token needed.

Whoever holds the paper (an employer, usually) opens the address of its QR code, or
types the code, and learns whether the certificate is genuine and what it states:
skill, programme, Pokmas, Bapas and completion date. A person's browser gets a small
page in Bahasa Indonesia that loads nothing from elsewhere; a program asking for
``application/json`` gets the same facts as JSON. The name is never shown: the holder
may type the name printed on the paper (``?name=``) and the answer says only whether
it matches (a keyed hash of the normalised name is compared, see
:mod:`services.enrolment.profiles`). A code that names no certificate is a 404,
whether it was mistyped, guessed, or the training was not completed competent.
"""

from __future__ import annotations

import functools
from datetime import date
from typing import Any, Final

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from services.enrolment.certificate_wording import CertificateWording, wording_of
from services.enrolment.certificates import certificate_refusal
from services.enrolment.dependencies import Codes, Vault
from services.enrolment.profiles import normalised_name, stored_name_digest
from services.enrolment.queries import Certificate, certificate_of
from shared.guards import TextRefused, clean_texts
from shared.http import PROBLEM_MEDIA_TYPE, PROBLEM_RESPONSES, NotFound
from shared.http.negotiation import quality
from shared.http.problems import problem_responses
from shared.runtime import Runtime

VERIFY_PATH: Final = "/verify/{code}"
NO_CERTIFICATE: Final = "no certificate has this code"
MAX_NAME_LENGTH: Final = 200
"""As long as a profile's full name may be."""

_JSON: Final = "application/json"
_HTML: Final = "text/html"
_NAME_FIELD: Final = "query.name"

# The page needs nothing but itself: no script at all, its own inline style, and a
# form that submits to this service only.
_PAGE_HEADERS: Final = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
_ANSWER_HEADERS: Final = {"Cache-Control": "no-store", "Vary": "Accept"}

router = APIRouter(tags=["certificates"])


class CertificateCheck(BaseModel):
    """What anyone may learn of a certificate from its code: never the klien's name."""

    valid: bool = Field(description="Always true: a code that names no certificate is a 404.")
    skill: str | None = Field(
        description="The skill code; null while the service does not know the programme."
    )
    programme: str | None = Field(description="The programme's title.")
    pokmas: str | None = Field(
        description="The name of the Pokmas that trained the klien; null while not known."
    )
    bapas_code: str
    completed_on: date
    name_matches: bool | None = Field(
        default=None,
        description="Only when `name` is given: whether it is the name on the certificate "
        "(case, spaces, punctuation and accents do not count).",
    )


@router.get(
    VERIFY_PATH,
    response_model=CertificateCheck,
    responses={
        200: {
            "description": "The certificate is genuine: a page in Bahasa Indonesia, or JSON "
            "when `Accept` prefers `application/json`.",
            "content": {_HTML: {"schema": {"type": "string"}}},
        },
        404: {
            "description": "No certificate has this code: a page, or a problem document "
            "when `Accept` prefers `application/json`.",
            "content": {
                **PROBLEM_RESPONSES[404]["content"],
                _HTML: {"schema": {"type": "string"}},
            },
        },
        **problem_responses(422, 503),
    },
    summary="Verify a training certificate (public, no token)",
)
async def verify_certificate(
    code: str,
    request: Request,
    runtime: Runtime,
    vault: Vault,
    codes: Codes,
    name: str | None = None,
) -> Response:
    """Who: anyone, without a token. `code` as printed on the certificate (case, hyphens
    and spaces do not matter); `name`, optional, the name printed on it, up to 200
    characters. A code that names no certificate (mistyped, guessed, or of a training
    not completed competent) answers 404; a `name` with a control character, or without
    a letter or digit, 422.
    """
    as_json = _prefers_json(request.headers.get("accept", ""))
    try:
        typed_name = None if name is None else _typed_name(name)
    except TextRefused:
        if as_json:
            raise
        return _page(422, heading="Nama tidak dapat diperiksa", problem=_NAME_PROBLEM)
    enrolment_id = codes.enrolment_of(code)
    certificate = None if enrolment_id is None else await certificate_of(runtime.pool, enrolment_id)
    if (
        certificate is None
        or certificate_refusal(certificate.status, certificate.assessment) is not None
    ):
        if as_json:
            raise NotFound(NO_CERTIFICATE)
        return _page(404, heading="Sertifikat tidak ditemukan", problem=_UNKNOWN_CODE)
    matches = None
    if typed_name is not None:
        matches = await _name_matches(runtime, vault, certificate, typed_name)
    if as_json:
        return _json(certificate, matches)
    return _page(
        200,
        heading="Sertifikat sah",
        code=codes.code_of(certificate.enrolment_id),
        wording=wording_of(certificate),
        name_matches=matches,
    )


_NAME_PROBLEM: Final = (
    "Nama yang diketik tidak dapat diperiksa: ketik nama seperti yang tercetak pada "
    f"sertifikat, paling banyak {MAX_NAME_LENGTH} karakter."
)
_UNKNOWN_CODE: Final = "Kode ini bukan kode sertifikat pelatihan yang terdaftar."


def _typed_name(name: str) -> str:
    """The name as typed, trimmed; :class:`TextRefused` naming ``query.name`` if it is
    too long, holds a control character or has nothing to compare."""
    if len(name) > MAX_NAME_LENGTH:
        raise TextRefused(_NAME_FIELD, f"is longer than {MAX_NAME_LENGTH} characters")
    try:
        typed: str = clean_texts(name)
    except TextRefused as refused:
        raise TextRefused(_NAME_FIELD, refused.message) from None
    if not normalised_name(typed):
        raise TextRefused(_NAME_FIELD, "has no letter or digit to compare")
    return typed


async def _name_matches(
    runtime: Runtime, vault: Vault, certificate: Certificate, typed_name: str
) -> bool:
    """Whether the name is the klien's; never, once the profile is erased."""
    async with runtime.pool.acquire() as connection:
        digest = await stored_name_digest(connection, vault, certificate.client_id)
    return digest is not None and vault.name_matches(certificate.client_id, typed_name, digest)


def _prefers_json(accept: str) -> bool:
    """Whether the ``Accept`` header ranks JSON above ``text/html``: a browser, or a
    client with no preference, gets the page."""
    json_q = max(quality(accept, _JSON), quality(accept, PROBLEM_MEDIA_TYPE))
    return json_q > quality(accept, _HTML)


def _json(certificate: Certificate, name_matches: bool | None) -> JSONResponse:
    if certificate.completed_on is None:
        raise ValueError("an earned certificate has a completion date")
    check = CertificateCheck(
        valid=True,
        skill=certificate.skill,
        programme=certificate.programme,
        pokmas=certificate.pokmas,
        bapas_code=certificate.bapas_code,
        completed_on=certificate.completed_on,
        name_matches=name_matches,
    )
    unasked = {"name_matches"} if name_matches is None else set()
    return JSONResponse(check.model_dump(mode="json", exclude=unasked), headers=_ANSWER_HEADERS)


@functools.cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("services.enrolment", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _page(
    status_code: int,
    *,
    heading: str,
    problem: str = "",
    code: str = "",
    wording: CertificateWording | None = None,
    name_matches: bool | None = None,
) -> HTMLResponse:
    context: dict[str, Any] = {
        "heading": heading,
        "valid": wording is not None,
        "problem": problem,
        "code": code,
        "wording": wording,
        "name_matches": name_matches,
        "max_name_length": MAX_NAME_LENGTH,
    }
    html = _templates().get_template("verification.html").render(context)
    return HTMLResponse(html, status_code=status_code, headers={**_PAGE_HEADERS, **_ANSWER_HEADERS})
