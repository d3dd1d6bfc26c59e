"""``bapas privacy rotate-key`` and ``bapas privacy certificate-key``: the enrolment
service's keys, replaced while it serves.

Both run with the enrolment service's settings from the environment (its database URL
and keys), as the service itself reads them.

A rotation of the profile master key is three steps:

1. deploy the enrolment service with the new key as ``ENROLMENT_PROFILE_MASTER_KEY``
   and the old one in ``ENROLMENT_PROFILE_PREVIOUS_MASTER_KEYS`` (a rolling restart:
   every instance then reads both, and wraps what is new under the new one);
2. ``bapas privacy rotate-key``: every data key still under the old key is wrapped again
   under the new one, in small batches while the service serves; it ends saying how
   many remain on old keys;
3. once none remains, remove the old key from ``ENROLMENT_PROFILE_PREVIOUS_MASTER_KEYS``.

``certificate-key`` prints the key the certificate codes of an installation older than
``ENROLMENT_CERTIFICATE_KEY`` were made with (derived from its master key): set once as
``ENROLMENT_CERTIFICATE_KEY``, before the master key is first replaced, it keeps every
printed code valid.
"""

from __future__ import annotations

import asyncio
import base64
import os
from typing import Annotated

import asyncpg
import typer
from pydantic import SecretStr, ValidationError

from services.enrolment.certificates import code_key_of_master_key
from services.enrolment.key_rotation import (
    BATCH_SIZE,
    Rotation,
    UnknownMasterKeys,
    rotate_master_key,
)
from services.enrolment.profiles import ProfileUnreadable, ProfileVault
from services.enrolment.settings import (
    CERTIFICATE_KEY_VARIABLE,
    MASTER_KEY_VARIABLE,
    PREVIOUS_MASTER_KEYS_VARIABLE,
    EnrolmentSettings,
)
from shared.cli.console import console, fail
from shared.master_key import decode_master_key


def _enrolment_settings() -> EnrolmentSettings:
    """The enrolment service's settings, refused as the service would refuse them."""
    try:
        settings = EnrolmentSettings()
        settings.require_trusted_keys()
    except ValidationError as error:
        reasons = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in error.errors())
        raise fail(f"the enrolment settings cannot work: {reasons}") from None
    except ValueError as refused:
        raise fail(str(refused)) from None
    return settings


async def _rotate(database_url: str, vault: ProfileVault, batch_size: int) -> Rotation:
    connection = await asyncpg.connect(database_url)
    try:
        return await rotate_master_key(connection, vault, batch_size=batch_size)
    finally:
        await connection.close()


def rotate_key(
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, help="Data keys wrapped again per transaction.")
    ] = BATCH_SIZE,
) -> None:
    """Wrap every data key again under ENROLMENT_PROFILE_MASTER_KEY, while the service serves."""
    settings = _enrolment_settings()
    vault = ProfileVault(settings.master_keys(), lookup_key=settings.lookup_key())
    try:
        rotation = asyncio.run(_rotate(settings.database_url, vault, batch_size))
    except UnknownMasterKeys as unknown:
        raise fail(
            f"{unknown}. Give each in {PREVIOUS_MASTER_KEYS_VARIABLE} and run again; "
            "nothing was wrapped again"
        ) from None
    except ProfileUnreadable as unreadable:
        raise fail(
            f"{unreadable}: give the master key it was wrapped with in "
            f"{PREVIOUS_MASTER_KEYS_VARIABLE} and run again (what was done stays done)"
        ) from None
    except (asyncpg.UndefinedTableError, asyncpg.UndefinedColumnError):
        raise fail(
            "the enrolment database records no master key ids yet: deploy this version of "
            "the enrolment service first (it migrates its database when it starts)"
        ) from None
    except asyncpg.PostgresError as error:
        raise fail(f"the enrolment database refused: {error}") from None
    except OSError as error:
        raise fail(f"the enrolment database does not answer: {error}") from None
    console.print(
        f"[green]✓[/] {rotation.rewrapped:,} data keys wrapped again under master key "
        f"{rotation.current_key_id}; {rotation.already_current:,} were under it already"
    )
    if rotation.remaining:
        raise fail(
            f"{rotation.remaining:,} data keys remain on other master keys (wrapped meanwhile "
            f"by an instance whose {MASTER_KEY_VARIABLE} is still an old key?): keep the old "
            "keys, and run again once every instance has the new one"
        )
    console.print(
        f"0 data keys remain on other master keys: remove the old keys from "
        f"{PREVIOUS_MASTER_KEYS_VARIABLE}"
    )


def certificate_key() -> None:
    """Print the key of the certificate codes made before ENROLMENT_CERTIFICATE_KEY existed."""
    value = os.environ.get(MASTER_KEY_VARIABLE)
    if not value:
        raise fail(f"set {MASTER_KEY_VARIABLE} to the master key the codes were made with")
    try:
        master_key = decode_master_key(MASTER_KEY_VARIABLE, SecretStr(value))
    except ValueError as refused:
        raise fail(str(refused)) from None
    typer.echo(base64.b64encode(code_key_of_master_key(master_key)).decode())
    typer.echo(f"set it as {CERTIFICATE_KEY_VARIABLE}, in the secret store", err=True)
