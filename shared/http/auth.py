"""Bearer-token authentication shared by the services, and the minting of tokens.

Each request carries ``Authorization: Bearer <JWT>`` (``api.md``): HS256 with the
shared secret, or RS256 with a public key. :func:`install_auth` puts a
:class:`TokenVerifier` on an app; the :data:`Caller` dependency turns the header into
a :class:`~shared.http.scope.Principal`, and anything wrong with it into a 401.
:func:`issue_token` mints tokens for the development CLI and the tests, refusing a
token the verifier would reject.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable, Mapping
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

from shared.http.problems import Forbidden, Unauthorized
from shared.http.scope import CLAIMS_BY_ROLE, Principal, Role
from shared.settings import AuthSettings, JwtAlgorithm

DEFAULT_TOKEN_TTL = timedelta(hours=8)

_ALWAYS_REQUIRED = ["sub", "role", "exp"]

# Clients send the same token with every request until it expires; checking it once
# saves ~100 µs of PyJWT per request (B2 asks for 1,000 commands/s on two cores).
_VERIFIED_TOKENS_CACHED = 4096


class TokenVerifier:
    """Checks a token's signature and claims and names the caller it describes."""

    def __init__(
        self, settings: AuthSettings, *, bapas_provinces: Mapping[str, str] | None = None
    ) -> None:
        self._algorithm = settings.jwt_algorithm.value
        self._key: str | RSAPublicKey
        if settings.jwt_algorithm is JwtAlgorithm.RS256:
            assert settings.jwt_public_key is not None  # AuthSettings guarantees it
            public_key = load_pem_public_key(settings.jwt_public_key.encode())
            if not isinstance(public_key, RSAPublicKey):
                raise ValueError("BAPAS_JWT_PUBLIC_KEY is not an RSA public key")
            self._key = public_key
        else:
            self._key = settings.jwt_secret
        self._bapas_provinces = MappingProxyType(dict(bapas_provinces or {}))
        # Only successes are cached (lru_cache does not keep exceptions); a cached
        # token is the very string whose signature was checked, and its expiry is
        # checked again on every use.
        self._verified = functools.lru_cache(maxsize=_VERIFIED_TOKENS_CACHED)(self._verify)

    def principal_from(self, token: str) -> Principal:
        """The caller the token describes; :class:`Unauthorized` if it cannot be trusted."""
        expires_at, principal = self._verified(token)
        if expires_at <= time.time():
            raise Unauthorized("the token has expired")
        return principal

    def _verify(self, token: str) -> tuple[float, Principal]:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[self._algorithm],
                options={"require": _ALWAYS_REQUIRED},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("the token has expired") from None
        except jwt.InvalidSignatureError:
            raise Unauthorized("the token's signature is invalid") from None
        except jwt.MissingRequiredClaimError as error:
            raise Unauthorized(f"the token lacks the {error.claim} claim") from None
        except jwt.DecodeError:
            raise Unauthorized("the token is malformed") from None
        except jwt.InvalidTokenError as error:
            raise Unauthorized(f"the token is invalid: {error}") from None
        return float(claims["exp"]), self._principal_of(claims)

    def _principal_of(self, claims: Mapping[str, Any]) -> Principal:
        try:
            role = Role(claims["role"])
        except ValueError:
            raise Unauthorized("the token's role is unknown") from None
        scope_claims = {name: claims.get(name) for name in CLAIMS_BY_ROLE[role]}
        if not all(isinstance(value, str) and value for value in scope_claims.values()):
            needed = ", ".join(sorted(scope_claims))
            raise Unauthorized(f"a {role} token needs the claims {needed}")
        try:
            pokmas_id = scope_claims.get("pokmas_id")
            return Principal(
                role=role,
                sub=claims["sub"],
                bapas=scope_claims.get("bapas"),
                province=scope_claims.get("province"),
                pokmas_id=UUID(pokmas_id) if pokmas_id else None,
                bapas_provinces=self._bapas_provinces,
            )
        except ValueError as error:
            raise Unauthorized(f"the token's claims are invalid: {error}") from None


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
) -> str:
    """A signed token for that caller, valid for ``ttl``.

    With RS256 the settings hold only the public key, so the PEM private key must be
    given. Raises :class:`ValueError` for claims that do not fit the role.
    """
    principal = Principal(role=role, sub=sub, bapas=bapas, province=province, pokmas_id=pokmas_id)
    payload: dict[str, Any] = {**principal.claims(), "exp": datetime.now(UTC) + ttl}
    if settings.jwt_algorithm is JwtAlgorithm.RS256:
        if private_key is None:
            raise ValueError("an RS256 token needs the private key")
        return jwt.encode(payload, private_key, algorithm="RS256")
    return jwt.encode(payload, settings.jwt_secret, algorithm="HS256")


def install_auth(
    app: FastAPI,
    settings: AuthSettings,
    *,
    bapas_provinces: Mapping[str, str] | None = None,
    session_cookie: str | None = None,
) -> None:
    """Let the app's routes use :data:`Caller`; ``bapas_provinces`` maps Bapas to province.

    With ``session_cookie``, a request without an ``Authorization`` header may carry its
    token in that cookie instead (a web page's sign-in; the cookie is ``SameSite=Strict``,
    so another site cannot make a browser send it).
    """
    app.state.token_verifier = TokenVerifier(settings, bapas_provinces=bapas_provinces)
    app.state.session_cookie = session_cookie


class BearerAuthentication(SecurityBase):
    """The dependency behind :data:`Caller`: the verified caller, or a 401.

    A security scheme itself, rather than a dependency on FastAPI's ``HTTPBearer``,
    so the OpenAPI document still shows the bearer scheme while FastAPI resolves one
    dependency per request instead of two. ``async`` so it runs on the event loop,
    not in FastAPI's thread pool.
    """

    def __init__(self) -> None:
        self.model = HTTPBearerModel(bearerFormat="JWT", description="A JWT; see `api.md`")
        self.scheme_name = "bearer"

    async def __call__(self, request: Request) -> Principal:
        verifier = getattr(request.app.state, "token_verifier", None)
        if not isinstance(verifier, TokenVerifier):
            raise RuntimeError("install_auth() was not called on this app")
        header = request.headers.get("Authorization")
        cookie: str | None = getattr(request.app.state, "session_cookie", None)
        if header is None and cookie and (token := request.cookies.get(cookie, "").strip()):
            return verifier.principal_from(token)
        scheme, _, token = (header or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("an Authorization: Bearer token is required", invalid_token=False)
        return verifier.principal_from(token.strip())


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
