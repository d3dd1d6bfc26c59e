"""Bearer-token authentication shared by the services, and the minting of tokens.

Each request carries ``Authorization: Bearer <JWT>`` (the API contract): HS256 with the
shared secret, or RS256 with a public key or the keys an OIDC identity provider
publishes at a JWKS URL (:mod:`shared.http.jwks`). :func:`install_auth` puts a
:class:`TokenVerifier` on an app and makes the app refuse to start on a secret its
environment refuses; the :data:`Caller` dependency turns the header into a
:class:`~shared.scope.Principal`, and anything wrong with it into a 401 that
names what is wrong. :func:`issue_token` mints tokens for the development CLI and the
tests, refusing a token the verifier would reject.

The token policy of the API contract: ``exp`` required and no further ahead than
``BAPAS_JWT_MAX_LIFETIME_HOURS``; ``iss`` and ``aud`` checked when
``BAPAS_JWT_ISSUER`` / ``BAPAS_JWT_AUDIENCE`` are set (an ``aud`` is ignored when no
audience is set, as an identity provider may put one in every token); 30 seconds of
leeway for the clocks; ``sub`` a text of up to 256 characters; ``role`` one of the
platform's, and ``bapas`` / ``province`` naming an office or a province of the
reference data. A claim of any other type or value is a 401, never a 500.
"""

from __future__ import annotations

import asyncio
import functools
import math
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Annotated, Any
from uuid import UUID

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from fastapi import Depends, FastAPI, Request
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.security.base import SecurityBase

from shared.http.jwks import JwksKeys
from shared.http.problems import Forbidden, Unauthorized
from shared.observability.logs import bind_log_context
from shared.reference import is_known_bapas, offices_in_province
from shared.scope import CLAIMS_BY_ROLE, Principal, Role, sub_problem
from shared.settings import AuthSettings, JwtAlgorithm

DEFAULT_TOKEN_TTL = timedelta(hours=8)

CLOCK_LEEWAY_SECONDS = 30
"""How far the clocks of the issuer and the service may disagree (``exp``, ``nbf``, ``iat``)."""

MAX_TOKEN_LENGTH = 16 * 1024
"""Far above any real token (a few hundred bytes to a few kilobytes); longer is not parsed."""

_ALWAYS_REQUIRED = ("sub", "role", "exp")

# Clients send the same token with every request until it expires; checking it once
# saves ~100 µs of PyJWT per request (B2 asks for 1,000 commands/s on two cores).
_VERIFIED_TOKENS_CACHED = 4096

# PyJWT's DecodeError for a claim that is not a number names the claim in brackets.
_NUMERIC_CLAIM = re.compile(r"\((exp|nbf|iat)\)")


class UnknownSigningKey(Unauthorized):
    """The token names a key id the identity provider's key set (as last fetched) lacks."""


class TokenVerifier:
    """Checks a token's signature and claims and names the caller it describes.

    :meth:`verified_principal` is the one to call from a request: with a JWKS it fetches
    the provider's keys first when it must. :meth:`principal_from` uses the keys held
    so far (a token naming a new key id then fails).
    ``clock`` (monotonic seconds) paces the JWKS fetches; tests give their own.
    """

    def __init__(
        self,
        settings: AuthSettings,
        *,
        bapas_provinces: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._refusal = settings.secret_refusal()
        self._algorithm = settings.jwt_algorithm.value
        self._key = _configured_key(settings)
        self._jwks = _jwks_keys(settings, clock)
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience
        self._required = [
            *_ALWAYS_REQUIRED,
            *(["iss"] if settings.jwt_issuer else []),
            *(["aud"] if settings.jwt_audience else []),
        ]
        self._max_lifetime_hours = settings.jwt_max_lifetime_hours
        self._bapas_provinces = MappingProxyType(dict(bapas_provinces or {}))
        self._background_fetches: set[asyncio.Task[bool]] = set()
        # Only successes are cached (lru_cache does not keep exceptions); a cached
        # token is the very string whose signature was checked, and its expiry is
        # checked again on every use.
        self._verified = functools.lru_cache(maxsize=_VERIFIED_TOKENS_CACHED)(self._verify)

    async def fetch_keys(self) -> None:
        """Fetch the identity provider's keys now (at start-up), if they come from a JWKS."""
        if self._jwks is not None:
            await self._refresh_keys()

    async def verified_principal(self, token: str) -> Principal:
        """The caller the token describes; :class:`Unauthorized` if it cannot be trusted."""
        if self._jwks is None:
            return self._principal_with_held_keys(token)
        if not self._jwks.has_keys:
            await self._refresh_keys()
        elif self._jwks.is_stale():
            self._refresh_keys_in_background()
        try:
            return self._principal_with_held_keys(token)
        except UnknownSigningKey:
            if not await self._refresh_keys():
                raise
        return self._principal_with_held_keys(token)

    def principal_from(self, token: str) -> Principal:
        """The caller the token describes, checked with the keys held so far."""
        return self._principal_with_held_keys(token)

    def _principal_with_held_keys(self, token: str) -> Principal:
        if self._refusal is not None:
            raise Unauthorized("this service trusts no token: its signing secret is refused")
        if len(token) > MAX_TOKEN_LENGTH:
            raise Unauthorized(f"the token is longer than {MAX_TOKEN_LENGTH} characters")
        expires_at, principal = self._verified(token)
        if expires_at + CLOCK_LEEWAY_SECONDS <= time.time():
            raise Unauthorized("the token has expired")
        return principal

    async def _refresh_keys(self) -> bool:
        """Fetch the JWKS (paced by :class:`JwksKeys`); whether the keys may have changed."""
        assert self._jwks is not None
        held_before = self._jwks.key_ids
        refreshed = await self._jwks.refresh()
        if held_before - self._jwks.key_ids:
            # A withdrawn key may have been compromised: trust its tokens no longer.
            self._verified.cache_clear()
        return refreshed

    def _refresh_keys_in_background(self) -> None:
        if self._jwks is None or self._background_fetches:
            return
        fetch = asyncio.get_running_loop().create_task(self._refresh_keys())
        self._background_fetches.add(fetch)
        fetch.add_done_callback(self._background_fetches.discard)

    def _verify(self, token: str) -> tuple[float, Principal]:
        claims = self._decoded(token, self._signing_key_of(token))
        return self._expiry_of(claims), self._principal_of(claims)

    def _signing_key_of(self, token: str) -> str | RSAPublicKey:
        if self._jwks is None:
            assert self._key is not None  # AuthSettings guarantees one or the other
            return self._key
        key_id = _key_id_of(token)
        key = self._jwks.key_for(key_id)
        if key is None:
            raise UnknownSigningKey(
                "the token's key id (kid) is not among the keys of the identity provider"
            )
        return key

    def _decoded(self, token: str, key: str | RSAPublicKey) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[self._algorithm],
                issuer=self._issuer,
                audience=self._audience,
                leeway=CLOCK_LEEWAY_SECONDS,
                options={"require": self._required, "verify_aud": self._audience is not None},
            )
        except jwt.PyJWTError as error:
            raise Unauthorized(_problem_of(error)) from None
        except (RecursionError, ValueError, TypeError, OverflowError):
            # JSON nested beyond the parser's depth, and numbers beyond a float.
            raise Unauthorized("the token is malformed") from None
        return claims

    def _expiry_of(self, claims: Mapping[str, Any]) -> float:
        """``exp`` as seconds, if it lies no further ahead than the lifetime allows."""
        expires = claims["exp"]
        if isinstance(expires, bool) or not isinstance(expires, int | float):
            raise Unauthorized("the token's exp claim must be a number (seconds since 1970)")
        try:
            expires_at = float(expires)
        except OverflowError:
            expires_at = math.inf
        max_lifetime_seconds = self._max_lifetime_hours * 3600
        if expires_at - time.time() > max_lifetime_seconds + CLOCK_LEEWAY_SECONDS:
            raise Unauthorized(
                f"the token's exp claim lies more than {self._max_lifetime_hours:g} hours "
                "ahead: this service accepts tokens valid for no longer"
            )
        return expires_at

    def _principal_of(self, claims: Mapping[str, Any]) -> Principal:
        problem = sub_problem(claims["sub"])
        if problem is not None:
            raise Unauthorized(f"the token's sub claim {problem}")
        role = _role_of(claims["role"])
        scope_claims = {name: claims.get(name) for name in CLAIMS_BY_ROLE[role]}
        if not all(isinstance(value, str) and value for value in scope_claims.values()):
            needed = ", ".join(sorted(scope_claims))
            raise Unauthorized(f"a {role} token needs the claims {needed}, each a text")
        bapas, province = scope_claims.get("bapas"), scope_claims.get("province")
        unknown = unknown_scope_claim(bapas=bapas, province=province)
        if unknown is not None:
            raise Unauthorized(f"the token's {unknown}")
        pokmas_id = _pokmas_id_of(scope_claims.get("pokmas_id"))
        try:
            return Principal(
                role=role,
                sub=claims["sub"],
                bapas=bapas,
                province=province,
                pokmas_id=pokmas_id,
                bapas_provinces=self._bapas_provinces,
            )
        except ValueError as error:
            raise Unauthorized(f"the token's claims are invalid: {error}") from None


def unknown_scope_claim(*, bapas: str | None, province: str | None) -> str | None:
    """Which of the claims names no office or province of the reference data, if any."""
    if bapas is not None and not is_known_bapas(bapas):
        return "bapas claim names no Bapas office"
    if province is not None and not offices_in_province(province):
        return "province claim names no province with a Bapas office"
    return None


def _configured_key(settings: AuthSettings) -> str | RSAPublicKey | None:
    """The one key every token is checked with: the secret, or the RS256 public key."""
    if settings.jwt_algorithm is JwtAlgorithm.HS256:
        return settings.jwt_secret
    if settings.jwt_public_key is None:
        return None  # the keys come from the JWKS
    public_key = load_pem_public_key(settings.jwt_public_key.encode())
    if not isinstance(public_key, RSAPublicKey):
        raise ValueError("BAPAS_JWT_PUBLIC_KEY is not an RSA public key")
    return public_key


def _jwks_keys(settings: AuthSettings, clock: Callable[[], float]) -> JwksKeys | None:
    if settings.jwt_jwks_url is None:
        return None
    return JwksKeys(
        settings.jwt_jwks_url,
        timeout_seconds=settings.jwt_jwks_timeout_seconds,
        refetch_seconds=settings.jwt_jwks_refetch_seconds,
        cache_seconds=settings.jwt_jwks_cache_seconds,
        clock=clock,
    )


def _key_id_of(token: str) -> str:
    try:
        header = jwt.get_unverified_header(token)
    except (jwt.PyJWTError, RecursionError, ValueError, TypeError):
        raise Unauthorized("the token is malformed") from None
    key_id = header.get("kid")
    if not isinstance(key_id, str) or not key_id:
        raise Unauthorized("the token's header names no key id (kid)")
    return key_id


def _problem_of(error: jwt.PyJWTError) -> str:
    """What to tell the caller about a token PyJWT refused."""
    match error:
        case jwt.ExpiredSignatureError():
            return "the token has expired"
        case jwt.ImmatureSignatureError():
            return "the token is not valid yet: its nbf or iat claim lies ahead"
        case jwt.InvalidSignatureError():
            return "the token's signature is invalid"
        case jwt.MissingRequiredClaimError():
            return f"the token lacks the {error.claim} claim"
        case jwt.InvalidAudienceError():
            return "the token's aud claim does not name this service's audience"
        case jwt.InvalidIssuerError():
            return "the token's iss claim is not the issuer this service trusts"
        case jwt.InvalidIssuedAtError():
            return "the token's iat claim must be a number (seconds since 1970)"
        case jwt.exceptions.InvalidSubjectError():
            return "the token's sub claim must be a text"
        case jwt.DecodeError():
            claim = _NUMERIC_CLAIM.search(str(error))
            if claim is not None:
                return f"the token's {claim.group(1)} claim must be a number (seconds since 1970)"
            return "the token is malformed"
        case _:
            return f"the token is invalid: {error}"


def _role_of(claim: object) -> Role:
    if isinstance(claim, str):
        try:
            return Role(claim)
        except ValueError:
            pass
    raise Unauthorized("the token's role claim names no role of this platform")


def _pokmas_id_of(claim: object) -> UUID | None:
    if claim is None:
        return None
    try:
        return UUID(str(claim))
    except ValueError:
        raise Unauthorized("the token's pokmas_id claim is not a UUID") from None


def issue_token(
    settings: AuthSettings,
    *,
    role: Role,
    sub: str,
    bapas: str | None = None,
    province: str | None = None,
    pokmas_id: UUID | None = None,
    ttl: timedelta = DEFAULT_TOKEN_TTL,
    private_key: str | None = None,
    key_id: str | None = None,
) -> str:
    """A signed token for that caller, valid for ``ttl``, with the settings' issuer and
    audience if they are set.

    With RS256 the settings hold only the public key (or a JWKS URL), so the PEM
    private key must be given, and ``key_id`` names it for a JWKS. Raises
    :class:`ValueError` for claims that do not fit the role, a ``sub`` or office the
    verifier refuses, or a ``ttl`` beyond the maximum lifetime.
    """
    principal = Principal(role=role, sub=sub, bapas=bapas, province=province, pokmas_id=pokmas_id)
    unknown = unknown_scope_claim(bapas=bapas, province=province)
    if unknown is not None:
        raise ValueError(f"the {unknown}")
    if ttl > timedelta(hours=settings.jwt_max_lifetime_hours):
        raise ValueError(
            f"a token may be valid for at most {settings.jwt_max_lifetime_hours:g} hours "
            "(BAPAS_JWT_MAX_LIFETIME_HOURS)"
        )
    now = datetime.now(UTC)
    payload: dict[str, Any] = {**principal.claims(), "iat": now, "exp": now + ttl}
    if settings.jwt_issuer is not None:
        payload["iss"] = settings.jwt_issuer
    if settings.jwt_audience is not None:
        payload["aud"] = settings.jwt_audience
    headers = {"kid": key_id} if key_id is not None else None
    if settings.jwt_algorithm is JwtAlgorithm.RS256:
        if private_key is None:
            raise ValueError("an RS256 token needs the private key")
        return jwt.encode(payload, private_key, algorithm="RS256", headers=headers)
    return jwt.encode(payload, settings.jwt_secret, algorithm="HS256", headers=headers)


def install_auth(
    app: FastAPI,
    settings: AuthSettings,
    *,
    bapas_provinces: Mapping[str, str] | None = None,
    session_cookie: str | None = None,
) -> None:
    """Let the app's routes use :data:`Caller`; ``bapas_provinces`` maps Bapas to province.

    The app then refuses to start (its lifespan fails, naming what to set) on a secret
    its environment refuses, and fetches a JWKS before it serves. Building it still
    works, so that its documents can be generated anywhere.

    With ``session_cookie``, a request without an ``Authorization`` header may carry its
    token in that cookie instead (a web page's sign-in; the cookie is ``SameSite=Strict``,
    so another site cannot make a browser send it).
    """
    verifier = TokenVerifier(settings, bapas_provinces=bapas_provinces)
    app.state.token_verifier = verifier
    app.state.session_cookie = session_cookie
    app.router.lifespan_context = _verifying_auth_first(
        app.router.lifespan_context, settings, verifier
    )


def _verifying_auth_first(
    lifespan: Callable[[Any], Any], settings: AuthSettings, verifier: TokenVerifier
) -> Callable[[Any], Any]:
    """``lifespan``, preceded by the verifier's checks: nothing starts on a refused secret."""

    @asynccontextmanager
    async def checked_lifespan(app: Any) -> AsyncIterator[Any]:
        settings.require_usable_secret()
        await verifier.fetch_keys()
        async with lifespan(app) as state:
            yield state

    return checked_lifespan


class BearerAuthentication(SecurityBase):
    """The dependency behind :data:`Caller`: the verified caller, or a 401.

    A security scheme itself, rather than a dependency on FastAPI's ``HTTPBearer``,
    so the OpenAPI document still shows the bearer scheme while FastAPI resolves one
    dependency per request instead of two. ``async`` so it runs on the event loop,
    not in FastAPI's thread pool, and may await a fetch of the identity provider's keys.
    """

    def __init__(self) -> None:
        self.model = HTTPBearerModel(
            bearerFormat="JWT", description="A JWT, as the platform's token policy describes it"
        )
        self.scheme_name = "bearer"

    async def __call__(self, request: Request) -> Principal:
        verifier = getattr(request.app.state, "token_verifier", None)
        if not isinstance(verifier, TokenVerifier):
            raise RuntimeError("install_auth() was not called on this app")
        header = request.headers.get("Authorization")
        cookie: str | None = getattr(request.app.state, "session_cookie", None)
        if header is None and cookie and (token := request.cookies.get(cookie, "").strip()):
            principal = await verifier.verified_principal(token)
        else:
            scheme, _, token = (header or "").partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthorized(
                    "an Authorization: Bearer token is required", invalid_token=False
                )
            principal = await verifier.verified_principal(token.strip())
        bind_log_context(bapas_code=principal.bapas)  # the request's log line names the office
        return principal


current_principal = BearerAuthentication()

Caller = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency giving the caller if its role is one of ``roles``, else a 403."""
    allowed = frozenset(roles)

    async def caller_with_role(caller: Caller) -> Principal:
        if caller.role not in allowed:
            raise Forbidden(f"role {caller.role} may not use this operation")
        return caller

    return caller_with_role
