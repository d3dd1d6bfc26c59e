"""Training certificates: which enrolments earn one, and the code that proves it.

An employer holding a paper certificate may doubt it. The certificate therefore
carries a **code** (printed, and in its QR code) that anyone can check with the
service. The code is the enrolment id encrypted with AES-256 under a key of its own,
the **certificate key** (a setting, not the master key): an AES block is exactly the
16 bytes of a UUID, so the code is a keyed pseudorandom permutation of the id. From
that follows all it must be:

* **Unguessable.** 128 bits: without the key no code can be made for an enrolment,
  nor an enrolment told from its code, and a code typed at random names a certificate
  with a chance of one in 2^128 per certificate issued.
* **Nothing stored.** Checking a code decrypts it back to an enrolment id and looks the
  enrolment up (completed, assessed competent); a wrong code decrypts to an id that
  names nothing. There is no table of codes to keep, lose or rebuild: a rebuild changes
  neither the ids nor the key, so a printed code stays valid.
* **Never in an event.** The code is computed whenever it is shown.
* **Typed from paper.** Crockford's base32 (digits and capital letters without I, L,
  O and U), in groups of four for reading aloud: ``0K7D-M2QX-…``. Reading one ignores
  case, hyphens and spaces, and takes I and L for 1 and O for 0.

Every printed code needs the certificate key, so it must stay as long as the
certificates printed with it; the master key, which has nothing to do with it, can be
replaced meanwhile. Codes printed before the certificate key was a setting were made
with a key derived from the master key (:func:`code_key_of_master_key`): an installation
that has such codes sets that key as its certificate key when it upgrades to the
version that reads the setting (any other key breaks those codes at once).
"""

from __future__ import annotations

from typing import Final
from uuid import UUID

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from services.enrolment.domain import EnrolmentStatus
from services.enrolment.profiles import derived_key
from shared.events.enrolment import Assessment

_CODE_KEY_INFO: Final = b"bapas.enrolment: certificate code key v1"

ALPHABET: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford's base32: no I, L, O or U, which are misread or make words."""

_BITS_PER_SYMBOL: Final = 5
_BLOCK_BITS: Final = 128
CODE_SYMBOLS: Final = -(-_BLOCK_BITS // _BITS_PER_SYMBOL)
"""26 symbols carry the 128 bits of a block (the first symbol holds 3 of them)."""
CODE_BITS: Final = _BLOCK_BITS
GROUP: Final = 4
_LONGEST_TYPED: Final = 64
"""A typed code longer than this (separators included) is no code: refused unread."""

_VALUE_OF: Final = {symbol: value for value, symbol in enumerate(ALPHABET)} | {
    "I": 1,
    "L": 1,
    "O": 0,
}
_SEPARATORS: Final = str.maketrans("", "", "- ")


def certificate_refusal(status: EnrolmentStatus, assessment: Assessment | None) -> str | None:
    """Why an enrolment has no certificate, or ``None`` when it has one: completed, and
    assessed competent."""
    if status is not EnrolmentStatus.COMPLETED:
        return f"the training is not completed: the enrolment is {status.value}"
    if assessment is not Assessment.COMPETENT:
        shown = "not assessed" if assessment is None else f"assessed {assessment.value}"
        return f"the klien was {shown}; a certificate is given for a competent assessment"
    return None


def code_key_of_master_key(master_key: bytes) -> bytes:
    """The key codes were made with before the certificate key was a setting of its own:
    derived (HKDF) from the master key."""
    return derived_key(master_key, _CODE_KEY_INFO)


class CertificateCodes:
    """Makes and reads certificate codes with the certificate key (32 bytes: AES-256),
    and says where a code is verified (the public base URL)."""

    def __init__(self, key: bytes, public_base_url: str) -> None:
        # ECB leaks equal blocks of a long message; a code is one block, made from an id
        # that is never encrypted twice, which is exactly a pseudorandom permutation.
        self._cipher = Cipher(algorithms.AES(key), modes.ECB())  # noqa: S305
        self._public_base_url = public_base_url.rstrip("/")

    def __repr__(self) -> str:
        return "CertificateCodes(<key>)"

    def code_of(self, enrolment_id: UUID) -> str:
        """The certificate code of an enrolment, grouped for reading: ``0K7D-M2QX-…``."""
        encryptor = self._cipher.encryptor()
        block = encryptor.update(enrolment_id.bytes) + encryptor.finalize()
        return _grouped(_base32(int.from_bytes(block, "big")))

    def enrolment_of(self, typed: str) -> UUID | None:
        """The enrolment id a code was made from, or ``None`` when the text is no code.

        Any 26 symbols within 128 bits decrypt to some id: whether it names a
        certificate is for the enrolments to say.
        """
        value = _value_of(typed)
        if value is None:
            return None
        decryptor = self._cipher.decryptor()
        return UUID(bytes=decryptor.update(value.to_bytes(16, "big")) + decryptor.finalize())

    def verification_url(self, code: str) -> str:
        """The address an employer opens (or scans) to check the code."""
        return f"{self._public_base_url}/verify/{code}"


def _base32(value: int) -> str:
    symbols = []
    for _ in range(CODE_SYMBOLS):
        value, symbol = divmod(value, 1 << _BITS_PER_SYMBOL)
        symbols.append(ALPHABET[symbol])
    return "".join(reversed(symbols))


def _grouped(code: str) -> str:
    return "-".join(code[start : start + GROUP] for start in range(0, len(code), GROUP))


def _value_of(typed: str) -> int | None:
    """The 128-bit value of a typed code, or ``None`` if it is not one."""
    if len(typed) > _LONGEST_TYPED:
        return None
    symbols = typed.translate(_SEPARATORS).upper()
    if len(symbols) != CODE_SYMBOLS:
        return None
    value = 0
    for symbol in symbols:
        digit = _VALUE_OF.get(symbol)
        if digit is None:
            return None
        value = (value << _BITS_PER_SYMBOL) | digit
    return value if value < 1 << CODE_BITS else None
