"""The webhook subscriptions' signing secrets, encrypted at rest.

A secret must be read back in clear to sign each delivery (HMAC needs it), so it cannot
be hashed like a password; it is encrypted instead, the way the enrolment service keeps
klien profiles (:mod:`services.enrolment.profiles`): AES-256-GCM under a key derived
with HKDF from the notifications master key (``NOTIFICATIONS_SECRETS_MASTER_KEY``),
with a random nonce per secret and the subscription id as associated data, so a sealed
secret copied onto another subscription does not open. A dump of the database shows
ciphertext only; without the master key it signs nothing.

This is a module of the notifications service rather than a shared helper: the brief
kept ``shared/`` out of this change, and the enrolment vault's per-klien data keys
(made for erasure) are more than a secret needs. Nothing here logs, and no error
raised here carries a secret or a key.
"""

from __future__ import annotations

import os
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12
_SECRETS_KEY_INFO = b"bapas.notifications: webhook secrets v1"


class SecretUnreadable(Exception):
    """A sealed secret does not open (a wrong master key, or a tampered row)."""


class SecretVault:
    """Seals and opens webhook secrets under a key derived from the master key."""

    def __init__(self, master_key: bytes) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_SECRETS_KEY_INFO).derive(
            master_key
        )
        self._cipher = AESGCM(key)

    def __repr__(self) -> str:
        return "SecretVault(<key>)"

    def seal(self, subscription_id: UUID, secret: str) -> bytes:
        """The secret encrypted for that subscription: nonce, then ciphertext and tag."""
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._cipher.encrypt(nonce, secret.encode(), subscription_id.bytes)

    def open(self, subscription_id: UUID, sealed: bytes) -> str:
        """The secret in clear; :class:`SecretUnreadable` if it does not decrypt."""
        try:
            plaintext = self._cipher.decrypt(
                sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], subscription_id.bytes
            )
        except InvalidTag:
            raise SecretUnreadable(
                f"the secret of subscription {subscription_id} does not decrypt"
            ) from None
        return plaintext.decode()
