"""A service's master key: 32 random bytes, given in base64 by one setting.

The enrolment service wraps each klien's profile key under one, the notifications
service the webhook secrets (and the enrolment service gives its other keys, the NIK
look-up key and the certificate key, the same way). Each ships a development default
so that the local stack runs without setup; that default protects nothing (it is in
the source), so it is trusted only where ``BAPAS_ENVIRONMENT=development`` is said
explicitly. A key that is not base64 of 32 bytes is refused with the setting's name,
never with a byte of it.

A master key is replaced without stopping the service: for a while the service reads
with the old keys as well (:class:`MasterKeys`) while everything is wrapped again under
the new one. What was wrapped records which key did it by the key's id
(:func:`key_id`), a short name that can be stored and shown and tells nothing of the key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass

from pydantic import SecretStr

from shared.settings import ServiceSettings, development_default_refusal

MASTER_KEY_BYTES = 32

REAL_MASTER_KEY = "a real key: base64 of 32 random bytes (e.g. `openssl rand -base64 32`)"

_KEY_ID_LABEL = b"bapas: the id of a key, v1"
_KEY_ID_BYTES = 8


def decode_master_key(variable: str, value: SecretStr) -> bytes:
    """The key's 32 bytes; ``ValueError`` naming ``variable`` (and no byte) otherwise."""
    return _decoded(variable, value.get_secret_value())


def decode_master_keys(variable: str, value: SecretStr) -> tuple[bytes, ...]:
    """The keys of a comma-separated list (empty: none); ``ValueError`` naming
    ``variable`` and the key's place in the list (and no byte) otherwise."""
    given = [part.strip() for part in value.get_secret_value().split(",")]
    return tuple(
        _decoded(f"{variable} (key {place})", part)
        for place, part in enumerate(given, start=1)
        if part
    )


def _decoded(name: str, text: str) -> bytes:
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{name} is not valid base64") from None
    if len(key) != MASTER_KEY_BYTES:
        raise ValueError(f"{name} must decode to {MASTER_KEY_BYTES} bytes")
    return key


def key_id(key: bytes) -> str:
    """The key's id: the first 8 bytes, in hex, of an HMAC-SHA256 of a fixed label under
    the key. Two keys have two ids, and an id gives nothing away: it is the output of a
    pseudorandom function whose key is the secret itself."""
    return hmac.new(key, _KEY_ID_LABEL, hashlib.sha256).digest()[:_KEY_ID_BYTES].hex()


@dataclass(frozen=True, repr=False)
class MasterKeys:
    """The master key everything new is wrapped under, and the keys of a rotation still
    under way: what they wrapped is read until it is wrapped again under ``current``."""

    current: bytes
    previous: tuple[bytes, ...] = ()

    def __repr__(self) -> str:
        return f"MasterKeys(current={self.current_id}, readable={sorted(self.readable())})"

    @property
    def current_id(self) -> str:
        return key_id(self.current)

    def readable(self) -> dict[str, bytes]:
        """Every key that may be read with, by id, the current one first."""
        return {key_id(key): key for key in (self.current, *self.previous)}


def development_key_refusal(
    settings: ServiceSettings, variable: str, value: SecretStr, development_value: str
) -> str | None:
    """Why the service must not run with this key, or ``None``: the development
    default outside an explicit development environment."""
    if settings.is_development or value.get_secret_value() != development_value:
        return None
    return development_default_refusal(variable, "key", instead=REAL_MASTER_KEY)
