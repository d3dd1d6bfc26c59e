"""Replacing the profile master key while the service serves: with the new key current
and the old one still readable, ``bapas privacy rotate-key`` wraps every data key again
under the new one in small batches while klien are released, read and erased; then the
service needs only the new key, and a second run has nothing to do. An instance given
the new key alone before that answers a profile it cannot open with a 503. A data key of a
master key the command was not given stops it before it changes anything."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import typer
from typer.testing import CliRunner

from services.enrolment.key_rotation import rotate_master_key
from services.enrolment.profiles import ClientProfile, ProfileVault, store_profile
from services.enrolment.settings import (
    DEVELOPMENT_NIK_LOOKUP_KEY,
    MASTER_KEY_VARIABLE,
    PREVIOUS_MASTER_KEYS_VARIABLE,
)
from shared.cli.privacy_keys import rotate_key
from shared.master_key import MasterKeys, key_id
from shared.postgres.migrations import apply_migrations, migrations_of
from tests.enrolment.conftest import enrolment_with
from tests.enrolment.helpers import BAPAS, OFFICER, client_body, new_nik

OLD_KEY = b"the-old-master-key-of-32-bytes!!"
NEW_KEY = b"the-new-master-key-of-32-bytes!!"
STRANGER_KEY = b"a-master-key-nobody-configured!!"
KLIEN_BEFORE = 40
ROTATION_BATCH = 4


def _base64(*keys: bytes) -> str:
    return ",".join(base64.b64encode(key).decode() for key in keys)


def _vault(current: bytes, *previous: bytes) -> ProfileVault:
    return ProfileVault(
        MasterKeys(current, previous), lookup_key=base64.b64decode(DEVELOPMENT_NIK_LOOKUP_KEY)
    )


def enrolment_on_keys(
    database_url: str, kafka_bootstrap: str, current: bytes, *previous: bytes
) -> AbstractAsyncContextManager[httpx.AsyncClient]:
    """The enrolment service with ``current`` as its master key and ``previous`` readable."""
    return enrolment_with(
        database_url,
        kafka_bootstrap,
        {MASTER_KEY_VARIABLE: _base64(current), PREVIOUS_MASTER_KEYS_VARIABLE: _base64(*previous)},
    )


async def _release(service: httpx.AsyncClient, body: dict[str, Any] | None = None) -> UUID:
    response = await service.post("/api/v1/clients", json=body or client_body(), headers=OFFICER)
    assert response.status_code == 201, response.text
    return UUID(response.json()["id"])


async def _profile(service: httpx.AsyncClient, client_id: UUID) -> Any:
    response = await service.get(f"/api/v1/clients/{client_id}", headers=OFFICER)
    assert response.status_code == 200, response.text
    return response.json()["profile"]


async def _key_ids(database_url: str) -> dict[UUID, str | None]:
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch("SELECT client_id, master_key_id FROM client_data_keys")
    finally:
        await connection.close()
    return {row["client_id"]: row["master_key_id"] for row in rows}


async def _digests(database_url: str) -> dict[UUID, tuple[bytes, bytes]]:
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            "SELECT client_id, nik_digest, name_digest FROM client_profiles"
        )
    finally:
        await connection.close()
    return {row["client_id"]: (row["nik_digest"], row["name_digest"]) for row in rows}


async def _commands_while(
    service: httpx.AsyncClient, rotated: asyncio.Event, before: Sequence[UUID]
) -> tuple[list[UUID], UUID, int]:
    """Release a klien and read two profiles, over and over until the rotation is done
    (three rounds at least), erasing one klien on the way: the klien released, the one
    erased, and how many rounds began while the rotation ran."""
    released: list[UUID] = []
    erased = before[-1]
    during = 0
    round_no = 0
    while not rotated.is_set() or round_no < 3:
        during += not rotated.is_set()
        new_klien, first, second = await asyncio.gather(
            _release(service),
            _profile(service, before[round_no % (len(before) - 1)]),
            _profile(service, before[(round_no * 7 + 3) % (len(before) - 1)]),
        )
        assert first is not None
        assert second is not None
        released.append(new_klien)
        if round_no == 1:
            response = await service.delete(f"/api/v1/clients/{erased}/profile", headers=OFFICER)
            assert response.status_code == 204, response.text
        round_no += 1
    return released, erased, during


async def test_the_master_key_is_replaced_while_commands_go_on(
    database_url: str, kafka_bootstrap: str
) -> None:
    async with enrolment_on_keys(database_url, kafka_bootstrap, OLD_KEY) as service:
        before = [await _release(service) for _ in range(KLIEN_BEFORE)]
    digests_before = await _digests(database_url)
    assert set((await _key_ids(database_url)).values()) == {key_id(OLD_KEY)}

    async with enrolment_on_keys(database_url, kafka_bootstrap, NEW_KEY) as not_given_the_old:
        unreadable = await not_given_the_old.get(f"/api/v1/clients/{before[0]}", headers=OFFICER)
    assert unreadable.status_code == 503, unreadable.text
    assert unreadable.headers["content-type"] == "application/problem+json"

    rotated = asyncio.Event()

    async def rotate() -> Any:
        connection = await asyncpg.connect(database_url)
        try:
            return await rotate_master_key(
                connection, _vault(NEW_KEY, OLD_KEY), batch_size=ROTATION_BATCH
            )
        finally:
            rotated.set()
            await connection.close()

    async with enrolment_on_keys(database_url, kafka_bootstrap, NEW_KEY, OLD_KEY) as service:
        rotation, (released, erased, during) = await asyncio.gather(
            rotate(), _commands_while(service, rotated, before)
        )

    assert during > 0
    assert rotation.current_key_id == key_id(NEW_KEY)
    assert rotation.already_current == 0
    # The klien erased meanwhile may have gone before its turn came.
    assert rotation.rewrapped in (KLIEN_BEFORE - 1, KLIEN_BEFORE)
    assert rotation.remaining == 0
    assert set((await _key_ids(database_url)).values()) == {key_id(NEW_KEY)}
    unchanged = {c: d for c, d in (await _digests(database_url)).items() if c in digests_before}
    assert unchanged == {c: d for c, d in digests_before.items() if c != erased}

    async with enrolment_on_keys(database_url, kafka_bootstrap, NEW_KEY) as service:
        kept = [c for c in [*before, *released] if c != erased]
        profiles = await asyncio.gather(*(_profile(service, c) for c in kept))
        assert all(profile is not None for profile in profiles)
        assert await _profile(service, erased) is None
        again = await service.post(
            "/api/v1/clients",
            json=client_body(profile={"full_name": "Siti Aminah", "nik": profiles[0]["nik"]}),
            headers=OFFICER,
        )
        assert again.status_code == 409, again.text  # the NIK is found as before

    connection = await asyncpg.connect(database_url)
    try:
        second = await rotate_master_key(connection, _vault(NEW_KEY))
    finally:
        await connection.close()
    assert (second.rewrapped, second.already_current, second.remaining) == (0, len(kept), 0)


def test_rotate_key_refuses_a_data_key_of_a_master_key_it_was_not_given(
    database_url: str,
) -> None:
    keys_of = asyncio.run(_stored_under(database_url, [OLD_KEY, OLD_KEY, STRANGER_KEY]))
    command = typer.Typer()
    command.callback()(lambda: None)  # a group, as `bapas privacy` is
    command.command("rotate-key")(rotate_key)
    environment = {
        "ENROLMENT_DATABASE_URL": database_url,
        MASTER_KEY_VARIABLE: _base64(NEW_KEY),
        PREVIOUS_MASTER_KEYS_VARIABLE: _base64(OLD_KEY),
    }

    refused = CliRunner().invoke(command, ["rotate-key"], env=environment)

    said = " ".join(refused.output.split())
    assert refused.exit_code == 1, said
    assert f"{key_id(STRANGER_KEY)} (1 data keys)" in said
    assert PREVIOUS_MASTER_KEYS_VARIABLE in said
    assert asyncio.run(_key_ids(database_url)) == keys_of  # nothing was wrapped again

    environment[PREVIOUS_MASTER_KEYS_VARIABLE] = _base64(OLD_KEY, STRANGER_KEY)
    done = CliRunner().invoke(command, ["rotate-key"], env=environment)

    said = " ".join(done.output.split())
    assert done.exit_code == 0, said
    assert "3 data keys wrapped again" in said
    assert "0 data keys remain on other master keys" in said
    assert set(asyncio.run(_key_ids(database_url)).values()) == {key_id(NEW_KEY)}


async def _stored_under(database_url: str, master_keys: Sequence[bytes]) -> dict[UUID, str | None]:
    """A profile stored under each master key, in a database migrated as the service
    would; the master key id of each."""
    connection = await asyncpg.connect(database_url)
    try:
        await apply_migrations(connection, migrations_of("shared", "services.enrolment"))
        for master_key in master_keys:
            profile = ClientProfile(full_name="Budi Santoso", nik=new_nik())
            await store_profile(
                connection, _vault(master_key), client_id=uuid4(), bapas_code=BAPAS, profile=profile
            )
    finally:
        await connection.close()
    return await _key_ids(database_url)
