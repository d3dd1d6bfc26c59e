"""Klien profiles: the only personal data of the platform, kept encrypted at rest.

A profile (full name, NIK, phone, address) is personal data under UU 27/2022
(the domain rules, privacy). It never leaves this module in clear except to a caller
entitled to it, and never travels in an event:

* Each klien has a **data key** of its own (AES-256-GCM, from ``cryptography``), stored
  only *wrapped* (encrypted) by the **master key** from the environment, beside the id
  of the master key that wrapped it. The profile is encrypted under the data key. Both
  ciphertexts are bound to the ``client_id`` as associated data, so a row copied onto
  another klien does not decrypt.
* The master key can be replaced while the service runs: the vault reads with the keys
  of a rotation still under way as well (the key a row names; a row from before key
  ids, each key in turn), wraps every new data key under the current one, and
  :func:`services.enrolment.key_rotation.rotate_master_key` wraps the others again.
* **Erasure** deletes the data key and the profile: nothing left in the database can
  give the profile back, while the events (which carry only the ``client_id``) stay.
* "Is this NIK already registered at this Bapas?" is answered with a keyed hash
  (HMAC-SHA256 under a key derived with HKDF from the **look-up key**, a secret of its
  own, not the master key), never the plaintext: without the look-up key the digests
  cannot be tested against the ten-million-odd plausible NIKs of a region. Replacing
  the master key changes no digest; each row records the id of the look-up key its
  digests were made with, so that they are made again when it changes.
* "Is this the name printed on the klien's training certificate?" (an employer asks
  it when verifying the paper) is answered the same way: beside the profile lies a
  keyed hash of the klien's normalised full name (:func:`normalised_name`), bound to
  the ``client_id`` and keyed from the look-up key too (another HKDF purpose), so the
  public check need not decrypt a profile and the name is never stored in clear. It
  goes with the profile at erasure: from then on no name matches.

Nothing here logs, and no error raised here carries a profile field or a key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import unicodedata
from collections.abc import Iterator
from typing import Annotated
from uuid import UUID

import asyncpg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import BaseModel, ConfigDict, Field

from shared.events.envelope import Phone, ShortText, Text
from shared.master_key import MasterKeys, key_id
from shared.postgres.pool import Connection

NONCE_BYTES = 12
DATA_KEY_BITS = 256
_NIK_LOOKUP_INFO = b"bapas.enrolment: NIK lookup key v1"
_NAME_MATCH_INFO = b"bapas.enrolment: certificate name match key v1"

Nik = Annotated[
    str,
    Field(pattern=r"^[0-9]{16}$", description="Nomor Induk Kependudukan: 16 digits."),
]


class ClientProfile(BaseModel):
    """A klien's personal data, as an entitled officer enters and reads it."""

    # A validation error names the field, never its value.
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    full_name: ShortText
    nik: Nik
    phone: Phone | None = None
    address: Text | None = None

    def __repr__(self) -> str:
        return "ClientProfile(<personal data>)"

    __str__ = __repr__


def derived_key(secret: bytes, purpose: bytes) -> bytes:
    """A 32-byte key of its own for one ``purpose``, derived from ``secret`` (HKDF):
    knowing one derived key tells nothing of the secret or of the others."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret)


def normalised_name(name: str) -> str:
    """A name as it is compared, whoever typed it and however it was printed: letters
    without their accents (Unicode NFKD, the combining marks dropped), case-folded, and
    only its letters and digits, so that spaces, apostrophes, dots and hyphens do not
    count. ``Muhammad Ma'ruf``, ``MUHAMMAD MARUF`` and ``muhammad  ma’rúf`` are one name.
    """
    folded = unicodedata.normalize("NFKD", name).casefold()
    return "".join(c for c in folded if unicodedata.category(c)[0] in "LN")


class ProfileUnreadable(Exception):
    """A stored profile does not decrypt (a master key not configured, or a tampered row)."""


class ProfileVault:
    """Wraps data keys under the master keys, encrypts and decrypts profiles, and digests
    NIKs and names with keys derived from the look-up key."""

    def __init__(self, master_keys: MasterKeys, *, lookup_key: bytes) -> None:
        self._wrapping = {kid: AESGCM(key) for kid, key in master_keys.readable().items()}
        self.current_key_id = master_keys.current_id
        """The id recorded beside every data key wrapped from now on."""
        self._nik_key = derived_key(lookup_key, _NIK_LOOKUP_INFO)
        self._name_key = derived_key(lookup_key, _NAME_MATCH_INFO)
        self.lookup_key_id = key_id(lookup_key)
        """The id recorded beside every digest made from now on."""

    def __repr__(self) -> str:
        return (
            f"ProfileVault(master keys {sorted(self._wrapping)}, look-up key {self.lookup_key_id})"
        )

    def knows(self, master_key_id: str) -> bool:
        """Whether what the master key ``master_key_id`` wrapped can be read here."""
        return master_key_id in self._wrapping

    def nik_digest(self, nik: str) -> bytes:
        """The keyed hash a NIK is looked up by."""
        return hmac.new(self._nik_key, nik.encode(), hashlib.sha256).digest()

    def name_digest(self, client_id: UUID, full_name: str) -> bytes:
        """The keyed hash of the klien's normalised name, bound to the klien: two klien
        of the same name have different digests."""
        message = client_id.bytes + normalised_name(full_name).encode()
        return hmac.new(self._name_key, message, hashlib.sha256).digest()

    def name_matches(self, client_id: UUID, typed_name: str, digest: bytes) -> bool:
        """Whether ``typed_name`` is the klien's name, as its stored ``digest`` says."""
        return hmac.compare_digest(self.name_digest(client_id, typed_name), digest)

    def seal(self, client_id: UUID, profile: ClientProfile) -> tuple[bytes, bytes]:
        """A new data key wrapped by the current master key (:attr:`current_key_id`), and
        the profile encrypted under it."""
        data_key = AESGCM.generate_key(bit_length=DATA_KEY_BITS)
        wrapped = _encrypt(self._wrapping[self.current_key_id], data_key, client_id)
        sealed = _encrypt(AESGCM(data_key), profile.model_dump_json().encode(), client_id)
        return wrapped, sealed

    def data_key(
        self, client_id: UUID, wrapped_key: bytes, master_key_id: str | None = None
    ) -> AESGCM:
        """The klien's data key, unwrapped: what its profile and notes are sealed with.
        ``master_key_id`` is the id stored with it (``None``: wrapped before ids were)."""
        _, data_key = self._unwrapped(client_id, wrapped_key, master_key_id)
        return AESGCM(data_key)

    def rewrapped(self, client_id: UUID, wrapped_key: bytes, master_key_id: str | None) -> bytes:
        """The klien's data key wrapped under the current master key (the same bytes when
        it already is: a row from before key ids may be)."""
        unwrapped_by, data_key = self._unwrapped(client_id, wrapped_key, master_key_id)
        if unwrapped_by == self.current_key_id:
            return wrapped_key
        return _encrypt(self._wrapping[self.current_key_id], data_key, client_id)

    def _unwrapped(
        self, client_id: UUID, wrapped_key: bytes, master_key_id: str | None
    ) -> tuple[str, bytes]:
        """The id of the master key that unwraps the data key, and the data key."""
        for kid, cipher in self._candidates(client_id, master_key_id):
            try:
                return kid, _decrypt(cipher, wrapped_key, client_id)
            except InvalidTag:
                continue
        raise ProfileUnreadable(f"the data key of klien {client_id} does not unwrap")

    def _candidates(
        self, client_id: UUID, master_key_id: str | None
    ) -> Iterator[tuple[str, AESGCM]]:
        if master_key_id is None:
            yield from self._wrapping.items()
        elif master_key_id in self._wrapping:
            yield master_key_id, self._wrapping[master_key_id]
        else:
            raise ProfileUnreadable(
                f"the data key of klien {client_id} is wrapped by the master key "
                f"{master_key_id}, which is not configured"
            )

    def open(
        self,
        client_id: UUID,
        wrapped_key: bytes,
        sealed: bytes,
        master_key_id: str | None = None,
    ) -> ClientProfile:
        data_key = self.data_key(client_id, wrapped_key, master_key_id)
        try:
            plaintext = _decrypt(data_key, sealed, client_id)
        except InvalidTag:
            raise ProfileUnreadable(f"the profile of klien {client_id} does not decrypt") from None
        return ClientProfile.model_validate_json(plaintext)


def _encrypt(cipher: AESGCM, plaintext: bytes, client_id: UUID) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + cipher.encrypt(nonce, plaintext, client_id.bytes)


def _decrypt(cipher: AESGCM, stored: bytes, client_id: UUID) -> bytes:
    return cipher.decrypt(stored[:NONCE_BYTES], stored[NONCE_BYTES:], client_id.bytes)


async def store_profile(
    connection: Connection,
    vault: ProfileVault,
    *,
    client_id: UUID,
    bapas_code: str,
    profile: ClientProfile,
) -> bool:
    """Keep the klien's profile; ``False`` if its NIK is already registered at this Bapas."""
    wrapped_key, sealed = vault.seal(client_id, profile)
    await connection.execute(
        "INSERT INTO client_data_keys (client_id, wrapped_key, master_key_id) VALUES ($1, $2, $3)",
        client_id,
        wrapped_key,
        vault.current_key_id,
    )
    stored = await connection.fetchval(
        "INSERT INTO client_profiles"
        " (client_id, bapas_code, nik_digest, sealed, name_digest, lookup_key_id)"
        " VALUES ($1, $2, $3, $4, $5, $6)"
        " ON CONFLICT (bapas_code, nik_digest) DO NOTHING RETURNING true",
        client_id,
        bapas_code,
        vault.nik_digest(profile.nik),
        sealed,
        vault.name_digest(client_id, profile.full_name),
        vault.lookup_key_id,
    )
    return stored is True


async def move_profile(connection: Connection, *, client_id: UUID, to_bapas_code: str) -> bool:
    """Register the klien's NIK at ``to_bapas_code`` (a transfer); ``False`` if that Bapas
    has a klien with this NIK already. An erased profile has nothing to move."""
    try:
        async with connection.transaction():  # a savepoint: a refusal leaves the row as it was
            await connection.execute(
                "UPDATE client_profiles SET bapas_code = $2 WHERE client_id = $1",
                client_id,
                to_bapas_code,
            )
    except asyncpg.UniqueViolationError:
        return False
    return True


async def client_data_key(
    connection: Connection, vault: ProfileVault, client_id: UUID
) -> AESGCM | None:
    """The klien's data key, or ``None`` once its profile is erased (or it never had one)."""
    row = await connection.fetchrow(
        "SELECT wrapped_key, master_key_id FROM client_data_keys WHERE client_id = $1",
        client_id,
    )
    if row is None:
        return None
    return vault.data_key(client_id, row["wrapped_key"], row["master_key_id"])


async def read_profile(
    connection: Connection, vault: ProfileVault, client_id: UUID
) -> ClientProfile | None:
    """The klien's profile in clear, or ``None`` once it is erased."""
    row = await connection.fetchrow(
        "SELECT k.wrapped_key, p.sealed, k.master_key_id FROM client_profiles p"
        " JOIN client_data_keys k USING (client_id) WHERE p.client_id = $1",
        client_id,
    )
    if row is None:
        return None
    return vault.open(client_id, row["wrapped_key"], row["sealed"], row["master_key_id"])


async def stored_name_digest(
    connection: Connection, vault: ProfileVault, client_id: UUID
) -> bytes | None:
    """The keyed hash of the klien's name, or ``None`` once the profile is erased.

    A profile kept before names were digested gets its digest here, the first time it
    is asked for (the only time its profile is decrypted for this).
    """
    row = await connection.fetchrow(
        "SELECT name_digest FROM client_profiles WHERE client_id = $1", client_id
    )
    if row is None:
        return None
    digest: bytes | None = row["name_digest"]
    if digest is not None:
        return digest
    profile = await read_profile(connection, vault, client_id)
    if profile is None:
        return None  # erased meanwhile
    digest = vault.name_digest(client_id, profile.full_name)
    await connection.execute(
        "UPDATE client_profiles SET name_digest = $2 WHERE client_id = $1", client_id, digest
    )
    return digest


async def erase_profile(connection: Connection, client_id: UUID) -> None:
    """Delete the klien's data key and profile (with the digests of its NIK and name):
    nothing stored can give it back."""
    await connection.execute("DELETE FROM client_profiles WHERE client_id = $1", client_id)
    await connection.execute("DELETE FROM client_data_keys WHERE client_id = $1", client_id)
