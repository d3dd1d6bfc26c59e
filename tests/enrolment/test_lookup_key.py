"""The NIK look-up key is a secret of its own: a database whose NIK and name digests
were made from the master key (as they were before) gets them made again when the
service starts, before it serves, so a NIK registered twice at one Bapas is still
refused and a certificate's name still matches. A klien registered twice meanwhile
(by instances on two keys) keeps its old digests and does not stop the service."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from services.enrolment.profiles import ProfileVault, normalised_name
from services.enrolment.settings import DEVELOPMENT_NIK_LOOKUP_KEY, DEVELOPMENT_PROFILE_MASTER_KEY
from shared.master_key import MasterKeys, key_id
from tests.enrolment.conftest import enrolment_with
from tests.enrolment.helpers import BAPAS, client_body, officer

MASTER_KEY = base64.b64decode(DEVELOPMENT_PROFILE_MASTER_KEY)
LOOKUP_KEY = base64.b64decode(DEVELOPMENT_NIK_LOOKUP_KEY)
ELSEWHERE = "samarinda"


def _hmac_from_the_master_key(info: bytes, message: bytes) -> bytes:
    """A digest as it was made before the look-up key: under a key derived from the
    master key."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(MASTER_KEY)
    return hmac.new(key, message, hashlib.sha256).digest()


def _old_nik_digest(nik: str) -> bytes:
    return _hmac_from_the_master_key(b"bapas.enrolment: NIK lookup key v1", nik.encode())


def _old_name_digest(client_id: UUID, full_name: str) -> bytes:
    message = client_id.bytes + normalised_name(full_name).encode()
    return _hmac_from_the_master_key(b"bapas.enrolment: certificate name match key v1", message)


async def _release(service: httpx.AsyncClient, body: dict[str, Any]) -> UUID:
    response = await service.post("/api/v1/clients", json=body, headers=officer(body["bapas_code"]))
    assert response.status_code == 201, response.text
    return UUID(response.json()["id"])


async def _as_before_the_lookup_key(
    database: asyncpg.Connection, client_id: UUID, body: dict[str, Any], bapas_code: str = BAPAS
) -> None:
    """The klien's digests as an instance made them before the look-up key existed."""
    profile = body["profile"]
    await database.execute(
        "UPDATE client_profiles SET bapas_code = $2, nik_digest = $3, name_digest = $4,"
        " lookup_key_id = NULL WHERE client_id = $1",
        client_id,
        bapas_code,
        _old_nik_digest(profile["nik"]),
        _old_name_digest(client_id, profile["full_name"]),
    )


async def test_digests_made_from_the_master_key_are_made_again_at_start(
    database_url: str, kafka_bootstrap: str, caplog: pytest.LogCaptureFixture
) -> None:
    bodies = [client_body() for _ in range(3)]
    # The NIK of the first klien, registered again while instances on two keys served:
    # here at another office, then moved beside the first with a digest of the old kind.
    twice = client_body(
        ELSEWHERE, profile={"full_name": "Rina", "nik": bodies[0]["profile"]["nik"]}
    )
    async with enrolment_with(database_url, kafka_bootstrap) as service:
        klien = [await _release(service, body) for body in bodies]
        registered_twice = await _release(service, twice)
    database = await asyncpg.connect(database_url)
    try:
        for client_id, body in zip(klien[1:], bodies[1:], strict=True):
            await _as_before_the_lookup_key(database, client_id, body)
        await _as_before_the_lookup_key(database, registered_twice, twice)

        async with enrolment_with(database_url, kafka_bootstrap) as service:
            for body in bodies:
                again = client_body(profile={"full_name": "Ani", "nik": body["profile"]["nik"]})
                refused = await service.post("/api/v1/clients", json=again, headers=officer())
                assert refused.status_code == 409, refused.text

        rows = {
            row["client_id"]: row
            for row in await database.fetch(
                "SELECT client_id, lookup_key_id, name_digest FROM client_profiles"
            )
        }
    finally:
        await database.close()

    assert {rows[c]["lookup_key_id"] for c in klien} == {key_id(LOOKUP_KEY)}
    assert rows[registered_twice]["lookup_key_id"] is None  # left as it was, and logged:
    warned = [
        record.getMessage()
        for record in caplog.records
        if record.name == "services.enrolment.key_rotation" and record.levelno == logging.WARNING
    ]
    assert len(warned) == 1
    assert str(registered_twice) in warned[0]
    assert twice["profile"]["nik"] not in warned[0]
    vault = ProfileVault(MasterKeys(MASTER_KEY), lookup_key=LOOKUP_KEY)
    for client_id, body in zip(klien, bodies, strict=True):
        typed = body["profile"]["full_name"].upper()
        assert vault.name_matches(client_id, typed, rows[client_id]["name_digest"])
