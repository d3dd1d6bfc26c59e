"""Certificate codes are made with a key of their own, so a code printed before the
master key was replaced still verifies, with its name, once only the new master key is
configured; and an installation whose codes were made from its master key keeps them
valid by taking as its certificate key what ``bapas privacy certificate-key`` prints."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any, cast
from uuid import UUID

import asyncpg
import httpx
import typer
from aiokafka import AIOKafkaProducer
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from typer.testing import CliRunner

from services.enrolment.certificates import CertificateCodes
from services.enrolment.key_rotation import rotate_master_key
from services.enrolment.profiles import ProfileVault
from services.enrolment.projections import PokmasProjection
from services.enrolment.settings import (
    CERTIFICATE_KEY_VARIABLE,
    DEVELOPMENT_NIK_LOOKUP_KEY,
    MASTER_KEY_VARIABLE,
    PREVIOUS_MASTER_KEYS_VARIABLE,
)
from shared.cli.privacy_keys import certificate_key
from shared.master_key import MasterKeys
from tests.enrolment.conftest import enrolment_with
from tests.enrolment.helpers import (
    OFFICER,
    Event,
    PokmasFeed,
    attend,
    client_body,
    enrol,
    new_nik,
    today,
)

OLD_KEY = b"master-key-the-codes-came-from!!"
NEW_KEY = b"master-key-that-replaces-it-now!"
JSON = {"Accept": "application/json"}


@dataclass
class ProjectedFeed(PokmasFeed):
    """Pokmas events applied to the service's projection as its consumer would apply
    them, without Kafka: the instances of this test share no topic with the others."""

    database_url: str = ""

    async def deliver(self, event: Event) -> None:
        connection = await asyncpg.connect(self.database_url)
        try:
            async with connection.transaction():
                await PokmasProjection().apply(connection, [event])
        finally:
            await connection.close()


def _base64(key: bytes) -> str:
    return base64.b64encode(key).decode()


def _printed_key(master_key: bytes) -> str:
    """What ``bapas privacy certificate-key`` prints for an installation's master key."""
    command = typer.Typer()
    command.callback()(lambda: None)  # a group, as `bapas privacy` is
    command.command("certificate-key")(certificate_key)
    result = CliRunner().invoke(
        command, ["certificate-key"], env={MASTER_KEY_VARIABLE: _base64(master_key)}
    )
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


async def _certified(service: httpx.AsyncClient, database_url: str, full_name: str) -> UUID:
    """A klien trained and assessed competent: its enrolment."""
    feed = ProjectedFeed(
        producer=cast(AIOKafkaProducer, None), api=service, database_url=database_url
    )
    programme = await feed.open_programme(sessions_planned=1)
    body = client_body(profile={"full_name": full_name, "nik": new_nik()})
    released = await service.post("/api/v1/clients", json=body, headers=OFFICER)
    assert released.status_code == 201, released.text
    enrolled = await enrol(service, UUID(released.json()["id"]), programme)
    assert enrolled.status_code == 201, enrolled.text
    enrolment_id = UUID(enrolled.json()["id"])
    await attend(service, enrolment_id, programme, [1])
    completed = await service.post(
        f"/api/v1/enrolments/{enrolment_id}/completion",
        json={"completed_on": today().isoformat(), "assessment": "competent"},
        headers=OFFICER,
    )
    assert completed.status_code == 201, completed.text
    return enrolment_id


async def _shown_code(service: httpx.AsyncClient, enrolment_id: UUID) -> Any:
    shown = await service.get(f"/api/v1/enrolments/{enrolment_id}", headers=OFFICER)
    assert shown.status_code == 200, shown.text
    return shown.json()["certificate_code"]


async def test_a_code_printed_before_the_master_key_was_replaced_still_verifies(
    database_url: str, kafka_bootstrap: str
) -> None:
    code_key = _printed_key(OLD_KEY)
    before = {MASTER_KEY_VARIABLE: _base64(OLD_KEY), CERTIFICATE_KEY_VARIABLE: code_key}
    full_name = "Dewi Lestari"
    async with enrolment_with(database_url, kafka_bootstrap, before) as service:
        enrolment_id = await _certified(service, database_url, full_name)
        printed = await _shown_code(service, enrolment_id)
    # The code an installation made from its master key before the certificate key.
    derived = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=b"bapas.enrolment: certificate code key v1",
    ).derive(OLD_KEY)
    assert printed == CertificateCodes(derived, "").code_of(enrolment_id)

    connection = await asyncpg.connect(database_url)
    try:
        vault = ProfileVault(
            MasterKeys(NEW_KEY, (OLD_KEY,)),
            lookup_key=base64.b64decode(DEVELOPMENT_NIK_LOOKUP_KEY),
        )
        assert (await rotate_master_key(connection, vault)).remaining == 0
    finally:
        await connection.close()

    after = {
        MASTER_KEY_VARIABLE: _base64(NEW_KEY),
        PREVIOUS_MASTER_KEYS_VARIABLE: "",
        CERTIFICATE_KEY_VARIABLE: code_key,
    }
    async with enrolment_with(database_url, kafka_bootstrap, after) as service:
        verified = await service.get(
            f"/verify/{printed}", params={"name": full_name.upper()}, headers=JSON
        )
        assert await _shown_code(service, enrolment_id) == printed

    assert verified.status_code == 200, verified.text
    assert verified.json()["valid"] is True
    assert verified.json()["name_matches"] is True
