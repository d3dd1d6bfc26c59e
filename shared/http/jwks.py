"""The RS256 keys an OIDC identity provider publishes at a JWKS URL, kept fresh.

An identity provider signs tokens with one of several keys, each named by a key id
(``kid`` in the token's header), and rotates them: it publishes a new key, signs with
it, and later withdraws the old one. :class:`JwksKeys` holds the keys fetched from
``BAPAS_JWT_JWKS_URL`` by key id; the token verifier asks it again when a token names
a key id it does not hold (at most one fetch per ``BAPAS_JWT_JWKS_REFETCH_SECONDS``,
however many such tokens arrive) and when the set is older than
``BAPAS_JWT_JWKS_CACHE_SECONDS``.

PyJWT's ``PyJWKClient`` does the same with ``urllib``, synchronously: each fetch would
stop the service's event loop, every request with it, for as long as the provider
takes to answer. Here the fetch is httpx's async client under a deadline and a size
cap, and PyJWT only turns each published key into a public key (``jwt.PyJWK``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections.abc import Callable, Mapping
from types import MappingProxyType

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

JWKS_MAX_BYTES = 512 * 1024
"""A provider's key set is a few kilobytes; a larger answer is not read to its end."""

MIN_RSA_KEY_BITS = 2048

logger = logging.getLogger(__name__)


class JwksUnavailable(Exception):
    """The key set could not be fetched or holds no usable key; the message says why."""


class JwksKeys:
    """The signing keys published at one JWKS URL, by key id.

    ``clock`` (monotonic seconds) paces the fetches; tests give their own. Fetches are
    made one at a time: callers that ask while one runs wait for it and fetch nothing.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout_seconds: float,
        refetch_seconds: float,
        cache_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = url
        self._timeout_seconds = timeout_seconds
        self._refetch_seconds = refetch_seconds
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._keys: Mapping[str, RSAPublicKey] = MappingProxyType({})
        self._fetched_at = -math.inf
        self._attempted_at = -math.inf
        self._fetching = asyncio.Lock()

    @property
    def key_ids(self) -> frozenset[str]:
        return frozenset(self._keys)

    @property
    def has_keys(self) -> bool:
        return bool(self._keys)

    def key_for(self, key_id: str) -> RSAPublicKey | None:
        """The published key of that id, if the last fetch found it."""
        return self._keys.get(key_id)

    def is_stale(self) -> bool:
        """Whether the set is older than the cache allows and may be fetched again now."""
        now = self._clock()
        return now - self._fetched_at >= self._cache_seconds and self._may_fetch(now)

    async def refresh(self) -> bool:
        """Fetch the set again, unless the last fetch was too recent.

        Whether the keys may have changed since the call: ``True`` after a fetch (this
        caller's or one it waited for). A failed fetch keeps the keys held so far, and
        is logged.
        """
        attempted_before = self._attempted_at
        async with self._fetching:
            if self._attempted_at != attempted_before:
                return True  # another caller fetched while this one waited
            now = self._clock()
            if not self._may_fetch(now):
                return False
            self._attempted_at = now
            try:
                keys = await self._download()
            except JwksUnavailable as error:
                logger.warning("the JWKS at %s cannot be used: %s", self._url, error)
                return False
            self._keys = MappingProxyType(keys)
            self._fetched_at = self._clock()
            return True

    def _may_fetch(self, now: float) -> bool:
        return now - self._attempted_at >= self._refetch_seconds

    async def _download(self) -> dict[str, RSAPublicKey]:
        try:
            async with asyncio.timeout(self._timeout_seconds):
                body = await _bounded_get(self._url, timeout_seconds=self._timeout_seconds)
        except TimeoutError:
            raise JwksUnavailable(f"no answer within {self._timeout_seconds:g} s") from None
        except httpx.HTTPError as error:
            raise JwksUnavailable(f"the fetch failed ({type(error).__name__})") from None
        return signing_keys_of(body)


async def _bounded_get(url: str, *, timeout_seconds: float) -> bytes:
    """The answer to a GET of ``url``: no redirect followed, no proxy, at most the cap."""
    async with (
        httpx.AsyncClient(
            timeout=timeout_seconds, follow_redirects=False, trust_env=False
        ) as client,
        client.stream("GET", url, headers={"Accept": "application/json"}) as response,
    ):
        if response.status_code != 200:
            raise JwksUnavailable(f"the URL answered {response.status_code}")
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > JWKS_MAX_BYTES:
                raise JwksUnavailable(f"the answer is larger than {JWKS_MAX_BYTES} bytes")
        return bytes(body)


def signing_keys_of(document: bytes) -> dict[str, RSAPublicKey]:
    """The RS256 signing keys of a JWKS document, by key id; other keys are left out."""
    try:
        parsed: object = json.loads(document)
    except (ValueError, RecursionError):
        raise JwksUnavailable("the answer is not JSON") from None
    entries = parsed.get("keys") if isinstance(parsed, dict) else None
    if not isinstance(entries, list):
        raise JwksUnavailable("the answer has no list of keys")
    keys = dict(key for entry in entries if (key := _signing_key(entry)) is not None)
    if not keys:
        raise JwksUnavailable("the answer holds no RS256 signing key with a key id")
    return keys


def _signing_key(entry: object) -> tuple[str, RSAPublicKey] | None:
    """The key id and public key of one published key, if it is an RS256 signing key.

    A JWKS may also hold encryption keys and keys of other algorithms; those are never
    used to verify a token. A private key (``d`` published by mistake) and a key
    shorter than 2,048 bits are left out too.
    """
    if not isinstance(entry, dict):
        return None
    key_id = entry.get("kid")
    if not isinstance(key_id, str) or not key_id:
        return None
    if (entry.get("kty"), entry.get("use", "sig"), entry.get("alg", "RS256")) != (
        "RSA",
        "sig",
        "RS256",
    ):
        return None
    try:
        key = jwt.PyJWK(entry, algorithm="RS256").key
    except (jwt.PyJWTError, ValueError, TypeError):
        logger.warning("the JWKS key %r is not a readable RSA key; it is left out", key_id)
        return None
    if not isinstance(key, RSAPublicKey) or key.key_size < MIN_RSA_KEY_BITS:
        logger.warning("the JWKS key %r is not an RSA public key of 2048 bits or more", key_id)
        return None
    return key_id, key
