"""The dashboard: the programme's figures as a web page, in Bahasa Indonesia.

Ministry, regional and office staff want to see at a glance whether training leads
klien to work and away from re-offending, not read JSON. This router serves one page
per caller: the server decides the level from the caller's role (national, province,
office or Pokmas) and renders the figures API path into the page; the page's own
script reads that API with the browser's cookie, polls the cheap ``/api/v1/as-of``
every second and redraws when a new event was applied, without a reload.

Sign-in: a person presents a token once (``POST /dashboard/sign-in``, or in
development the ``?token=`` link ``make up`` prints) and the token is kept in an
``HttpOnly``, ``SameSite=Strict`` cookie that lives as long as the token. An OIDC
identity provider plugs in in front of this: whatever signs the person in ends by
posting a token the platform verifies (RS256) to the sign-in form, and the cookie does
the rest; ``docs/sign-in.md`` describes the ways to do it.

Everything the page loads comes from this package (``static/``): no CDN, no web
fonts, no chart library; a Content-Security-Policy of ``'self'`` makes the browser
enforce that.
"""

from __future__ import annotations

import functools
import hashlib
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qs, quote, urlsplit

import jinja2
import jwt
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from shared.http.auth import TokenVerifier
from shared.http.problems import NotFound, Unauthorized
from shared.reference.offices import bapas_offices
from shared.reference.skills import skills
from shared.scope import Principal, Role
from shared.settings import AuthSettings, Environment

SESSION_COOKIE: Final = "bapas_session"
"""The cookie the dashboard keeps the caller's token in; the figures API reads it too."""

DASHBOARD_PATH: Final = "/dashboard"
SIGN_IN_PATH: Final = "/dashboard/sign-in"
SIGN_OUT_PATH: Final = "/dashboard/sign-out"
ASSETS_PATH: Final = "/dashboard/assets"
AS_OF_PATH: Final = "/api/v1/as-of"

# A JWT is a few hundred bytes; anything much longer is not a token, and a sign-in
# form body is read whole, so both are bounded.
_MAX_TOKEN_LENGTH: Final = 8192
_MAX_FORM_BYTES: Final = 16 * 1024

_STATIC = Path(__file__).parent / "static"

_ASSET_TYPES: Final[Mapping[str, str]] = {
    "dashboard.js": "text/javascript; charset=utf-8",
    "dashboard.css": "text/css; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}

# The page and its script come from this origin only; the figures are fetched from
# it too. ``data:`` is not needed: charts are inline SVG built by the script.
_CONTENT_SECURITY_POLICY: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
_PAGE_HEADERS: Final[Mapping[str, str]] = {
    "Content-Security-Policy": _CONTENT_SECURITY_POLICY,
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}

_ROLE_NAMES: Final[Mapping[Role, str]] = {
    Role.MINISTRY: "Kementerian",
    Role.SERVICE: "Layanan",
    Role.REGIONAL: "Kantor Wilayah",
    Role.BAPAS_OFFICER: "Petugas Bapas",
    Role.POKMAS_PARTNER: "Mitra Pokmas",
}

# The breakdowns of each level, first the one by office (the CSV default), with the
# Indonesian words the page labels them with.
_BREAKDOWNS: Final[Mapping[str, tuple[tuple[str, str], ...]]] = {
    "national": (
        ("province", "per provinsi"),
        ("skill", "per keterampilan"),
        ("month", "per bulan"),
    ),
    "province": (("bapas", "per Bapas"), ("skill", "per keterampilan"), ("month", "per bulan")),
    "bapas": (("pokmas", "per Pokmas"), ("skill", "per keterampilan"), ("month", "per bulan")),
    "pokmas": (("skill", "per keterampilan"), ("month", "per bulan")),
}

dashboard_router = APIRouter(include_in_schema=False)


@dataclass(frozen=True, slots=True)
class DashboardScope:
    """What one caller's page shows: the level, the API path it reads, its title."""

    level: str
    code: str | None
    title: str
    figures_path: str


def province_name(code: str) -> str:
    """A province's name from its code: ``kalimantan-timur`` → ``Kalimantan Timur``."""
    acronyms = {"dki": "DKI", "di": "DI"}
    return " ".join(acronyms.get(word, word.capitalize()) for word in code.split("-"))


def dashboard_scope(principal: Principal) -> DashboardScope:
    """The level a caller's role reads, as the contract's role table gives it."""
    if principal.role is Role.REGIONAL and principal.province:
        province = principal.province
        return DashboardScope(
            "province",
            province,
            f"Provinsi {province_name(province)}",
            f"/api/v1/figures/provinces/{quote(province, safe='')}",
        )
    if principal.role is Role.BAPAS_OFFICER and principal.bapas:
        bapas = principal.bapas
        return DashboardScope(
            "bapas",
            bapas,
            _office_names().get(bapas, f"Bapas {bapas}"),
            f"/api/v1/figures/bapas/{quote(bapas, safe='')}",
        )
    if principal.role is Role.POKMAS_PARTNER and principal.pokmas_id:
        pokmas_id = str(principal.pokmas_id)
        # The Pokmas's name comes with the figures (``scope.name``); until then:
        return DashboardScope("pokmas", pokmas_id, "Pokmas", f"/api/v1/figures/pokmas/{pokmas_id}")
    return DashboardScope("national", None, "Nasional", "/api/v1/figures")


@functools.cache
def _office_names() -> dict[str, str]:
    return {office.code: office.name for office in bapas_offices()}


@functools.cache
def _reference_names() -> dict[str, dict[str, str]]:
    """Names the page labels rows with: skills in Indonesian, provinces, offices."""
    return {
        "skills": {skill.code: skill.name_id for skill in skills()},
        "provinces": {
            office.province: province_name(office.province) for office in bapas_offices()
        },
        "offices": _office_names(),
    }


@functools.cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(_STATIC),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@functools.cache
def _asset(name: str) -> tuple[bytes, str]:
    """An asset's bytes and a short digest of them (its version in the page's URLs)."""
    content = (_STATIC / name).read_bytes()
    return content, hashlib.sha256(content).hexdigest()[:16]


def _asset_url(name: str) -> str:
    return f"{ASSETS_PATH}/{name}?v={_asset(name)[1]}"


def _render(template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    html = (
        _templates()
        .get_template(template)
        .render(css_url=_asset_url("dashboard.css"), icon_url=_asset_url("favicon.svg"), **context)
    )
    return HTMLResponse(html, status_code=status_code, headers=dict(_PAGE_HEADERS))


def _verifier(request: Request) -> TokenVerifier:
    verifier = getattr(request.app.state, "token_verifier", None)
    if not isinstance(verifier, TokenVerifier):
        raise RuntimeError("install_auth() was not called on this app")
    return verifier


async def _principal_of(request: Request, token: str) -> Principal | None:
    """The caller the token names, or ``None`` if it cannot be trusted (with a JWKS, the
    provider's keys are fetched first when the token names one not held yet)."""
    if not token or len(token) > _MAX_TOKEN_LENGTH or not token.isascii():
        return None  # a JWT is short and ASCII (base64url and dots)
    try:
        return await _verifier(request).verified_principal(token)
    except Unauthorized:
        return None


def _presented_token(request: Request) -> str:
    """The ``Authorization: Bearer`` token when that header is sent, else the cookie's.

    The same rule as the API's (``shared.http.auth``): a header, even a wrong one,
    is what the caller meant, so the cookie is not looked at then.
    """
    header = request.headers.get("Authorization")
    if header is None:
        return request.cookies.get(SESSION_COOKIE, "").strip()
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _seconds_left(token: str) -> int:
    """The token's remaining lifetime; read after :func:`_principal_of` trusted it."""
    claims = jwt.decode(token, options={"verify_signature": False})
    expires_at = claims.get("exp")
    if not isinstance(expires_at, int | float) or not math.isfinite(expires_at):
        return 0
    return max(0, int(expires_at - time.time()))


def _development() -> bool:
    return AuthSettings().environment is Environment.DEVELOPMENT


def _signed_in(request: Request, token: str) -> Response:
    """Keep the trusted ``token`` in the session cookie and go to the dashboard."""
    response = RedirectResponse(DASHBOARD_PATH, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max(1, _seconds_left(token)),
        path="/",
        httponly=True,
        samesite="strict",
        # Behind TLS the cookie must never travel in clear; the development stack and
        # its tests speak plain HTTP on the loopback.
        secure=request.url.scheme == "https"
        or AuthSettings().environment is Environment.PRODUCTION,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _sign_in_page(
    *, status_code: int = 200, error: str | None = None, notice: str | None = None
) -> HTMLResponse:
    return _render(
        "sign_in.html",
        status_code,
        error=error,
        notice=notice,
        action=SIGN_IN_PATH,
        development=_development(),
    )


@dashboard_router.get(DASHBOARD_PATH, response_class=HTMLResponse)
async def dashboard(request: Request) -> Response:
    """The page of the signed-in caller; anyone else is sent to the sign-in page."""
    principal = await _principal_of(request, _presented_token(request))
    if principal is None:
        return RedirectResponse(SIGN_IN_PATH, status_code=303)
    scope = dashboard_scope(principal)
    config = {
        "level": scope.level,
        "code": scope.code,
        "title": scope.title,
        "figures_path": scope.figures_path,
        "as_of_path": AS_OF_PATH,
        "sign_in_path": SIGN_IN_PATH,
        "breakdowns": [{"by": by, "label": label} for by, label in _BREAKDOWNS[scope.level]],
        **_reference_names(),
    }
    return _render(
        "dashboard.html",
        config=config,
        scope=scope,
        role_name=_ROLE_NAMES.get(principal.role, principal.role.value),
        breakdowns=_BREAKDOWNS[scope.level],
        js_url=_asset_url("dashboard.js"),
        sign_out_path=SIGN_OUT_PATH,
    )


@dashboard_router.get(SIGN_IN_PATH, response_class=HTMLResponse)
async def sign_in_page(request: Request, token: str | None = None) -> Response:
    """The sign-in form; in development, ``?token=`` signs in at once (a link to click)."""
    if token is None:
        return _sign_in_page()
    if not _development():
        return _sign_in_page(
            status_code=400,
            notice="Masuk lewat tautan hanya tersedia di lingkungan pengembangan. "
            "Tempelkan token Anda pada formulir di bawah.",
        )
    return await _sign_in_with(request, token.strip())


@dashboard_router.post(SIGN_IN_PATH, response_class=HTMLResponse)
async def sign_in(request: Request) -> Response:
    """The sign-in form's answer (field ``token``), in every environment."""
    if not _same_origin(request):
        return _sign_in_page(
            status_code=403, error="Permintaan masuk ini tidak berasal dari dasbor."
        )
    body = await _bounded_body(request)
    if body is None:
        return _sign_in_page(status_code=413, error="Isian formulir terlalu panjang.")
    fields = parse_qs(body.decode("utf-8", errors="replace"), max_num_fields=10)
    token = (fields.get("token") or [""])[0].strip()
    return await _sign_in_with(request, token)


@dashboard_router.get(SIGN_OUT_PATH)
async def sign_out() -> Response:
    """Forget the session cookie and show the sign-in page."""
    response = RedirectResponse(SIGN_IN_PATH, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    response.headers["Cache-Control"] = "no-store"
    return response


@dashboard_router.get(ASSETS_PATH + "/{name}")
async def asset(name: str) -> Response:
    """The page's script and style sheet, from this package; nothing else is served."""
    media_type = _ASSET_TYPES.get(name)
    if media_type is None:
        raise NotFound(f"no dashboard asset {name!r}")
    content, _ = _asset(name)
    return Response(
        content,
        media_type=media_type,
        headers={
            # The page names each asset with its digest, so a URL never changes content.
            "Cache-Control": "public, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
        },
    )


async def _sign_in_with(request: Request, token: str) -> Response:
    if await _principal_of(request, token) is None:
        return _sign_in_page(
            status_code=401,
            error="Token tidak berlaku: mungkin sudah kedaluwarsa, salah salin, "
            "atau tidak ditandatangani untuk layanan ini.",
        )
    return _signed_in(request, token)


def _same_origin(request: Request) -> bool:
    """Whether a form post comes from a page of this service (a login-CSRF guard).

    Browsers send ``Origin`` with every POST; a client without one (a script, a test)
    is not a browser another site could steer.
    """
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        return False
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return origin != "null" and urlsplit(origin).netloc == request.headers.get("Host")


async def _bounded_body(request: Request) -> bytes | None:
    """The request body, or ``None`` when it is longer than a sign-in form can be."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > _MAX_FORM_BYTES:
            return None
    return bytes(body)
