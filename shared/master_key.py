"""A service's master key: 32 random bytes, given in base64 by one setting.

The enrolment service wraps each klien's profile key under one, the notifications
service the webhook secrets. Each ships a development default so that the local stack
runs without setup; that default protects nothing (it is in the source), so it is
trusted only where ``BAPAS_ENVIRONMENT=development`` is said explicitly. A key that is
not base64 of 32 bytes is refused with the setting's name, never with a byte of it.
"""

from __future__ import annotations

import base64
import binascii

from pydantic import SecretStr

from shared.settings import ServiceSettings, development_default_refusal

MASTER_KEY_BYTES = 32

REAL_MASTER_KEY = "a real key: base64 of 32 random bytes (e.g. `openssl rand -base64 32`)"


def decode_master_key(variable: str, value: SecretStr) -> bytes:
    """The key's 32 bytes; ``ValueError`` naming ``variable`` (and no byte) otherwise."""
    try:
        key = base64.b64decode(value.get_secret_value(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{variable} is not valid base64") from None
    if len(key) != MASTER_KEY_BYTES:
        raise ValueError(f"{variable} must decode to {MASTER_KEY_BYTES} bytes")
    return key


def development_key_refusal(
    settings: ServiceSettings, variable: str, value: SecretStr, development_value: str
) -> str | None:
    """Why the service must not run with this key, or ``None``: the development
    default outside an explicit development environment."""
    if settings.is_development or value.get_secret_value() != development_value:
        return None
    return development_default_refusal(variable, "key", instead=REAL_MASTER_KEY)
