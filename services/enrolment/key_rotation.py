"""Bringing what is stored onto the keys the service is configured with, while it serves.

Two kinds of rows name the key they were made with:

* a klien's wrapped data key names the master key that wrapped it.
  :func:`rotate_master_key` (``bapas privacy rotate-key``) wraps every data key that is
  not under the current master key again under it, so that the keys it replaces can be
  dropped;
* a profile's NIK and name digests name the look-up key they were made with.
  :func:`rekey_lookup_digests` (run by the service when it starts, before it serves)
  makes them again with the current look-up key, decrypting each profile: a deployment
  whose look-up key changed, or whose digests were made from the master key as they
  once were, goes on finding NIKs and matching names.

Both go through the rows in small batches in the order of their ``client_id``, each
batch one short transaction locking only its own rows, so the commands of the service
go on meanwhile: a first pass skips the rows a command holds, a second waits for the
few it skipped. Both leave a row on the current key alone, so running them again does
nothing. No profile field or key is logged or put in an error: only ``client_id``\\ s
and key ids.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final
from uuid import UUID

import asyncpg

from services.enrolment.profiles import ProfileUnreadable, ProfileVault
from shared.postgres.pool import Connection

log = logging.getLogger(__name__)

BATCH_SIZE: Final = 200
"""Rows a transaction locks at most: few enough that a command never waits long."""

_BEFORE_EVERY_KLIEN: Final = UUID(int=0)

Rows = Sequence[asyncpg.Record]


class UnknownMasterKeys(Exception):
    """Data keys are wrapped by master keys the vault does not have: nothing can wrap
    them again, so nothing is done."""

    def __init__(self, counts: Mapping[str, int]) -> None:
        self.counts = dict(counts)
        listed = ", ".join(f"{kid} ({count} data keys)" for kid, count in sorted(counts.items()))
        super().__init__(f"data keys are wrapped by master keys that are not configured: {listed}")


@dataclass(frozen=True)
class Rotation:
    """What a rotation found and did, in data keys."""

    current_key_id: str
    rewrapped: int
    """Wrapped again under the current master key."""
    already_current: int
    """Found under the current master key (a row from before key ids only labelled)."""
    remaining: int
    """Under another master key afterwards: 0 once nothing needs the keys it replaces."""


async def rotate_master_key(
    connection: Connection, vault: ProfileVault, *, batch_size: int = BATCH_SIZE
) -> Rotation:
    """Wrap every data key not under the vault's current master key again under it.

    Refuses (:class:`UnknownMasterKeys`) before anything when a data key names a master
    key the vault does not have; a data key from before key ids that no configured key
    unwraps stops it with :class:`ProfileUnreadable` (the batches done stay done).
    """
    counts: dict[str | None, int] = {
        row["master_key_id"]: row["count"]
        for row in await connection.fetch(
            "SELECT master_key_id, count(*) FROM client_data_keys GROUP BY master_key_id"
        )
    }
    unknown = {kid: n for kid, n in counts.items() if kid is not None and not vault.knows(kid)}
    if unknown:
        raise UnknownMasterKeys(unknown)
    rewrapped, already_current = 0, counts.get(vault.current_key_id, 0)

    async def rewrap(rows: Rows) -> None:
        nonlocal rewrapped, already_current
        wrapped = [
            vault.rewrapped(row["client_id"], row["wrapped_key"], row["master_key_id"])
            for row in rows
        ]
        unchanged = sum(new == row["wrapped_key"] for new, row in zip(wrapped, rows, strict=True))
        already_current += unchanged
        rewrapped += len(rows) - unchanged
        await connection.execute(
            "UPDATE client_data_keys AS k SET wrapped_key = u.wrapped_key, master_key_id = $3"
            " FROM unnest($1::uuid[], $2::bytea[]) AS u (client_id, wrapped_key)"
            " WHERE k.client_id = u.client_id",
            [row["client_id"] for row in rows],
            wrapped,
            vault.current_key_id,
        )

    await _each_batch(
        connection,
        "SELECT client_id, wrapped_key, master_key_id FROM client_data_keys"
        " WHERE client_id > $1 AND master_key_id IS DISTINCT FROM $3"
        " ORDER BY client_id LIMIT $2",
        vault.current_key_id,
        lock="FOR NO KEY UPDATE",
        batch_size=batch_size,
        handle=rewrap,
    )
    remaining: int = await connection.fetchval(
        "SELECT count(*) FROM client_data_keys WHERE master_key_id IS DISTINCT FROM $1",
        vault.current_key_id,
    )
    return Rotation(vault.current_key_id, rewrapped, already_current, remaining)


async def rekey_lookup_digests(
    connection: Connection, vault: ProfileVault, *, batch_size: int = BATCH_SIZE
) -> int:
    """Make again, with the vault's look-up key, the NIK and name digests of every
    profile whose digests were made with another; how many were.

    A profile that does not decrypt, or whose NIK another klien of its Bapas already
    holds under the current key (registered twice while instances with two look-up keys
    served), keeps its digests, to be tried again at the next start; one warning says
    how many, and names the first of them by ``client_id``.
    """
    rekeyed = 0
    left: dict[UUID, str] = {}

    async def rekey(rows: Rows) -> None:
        nonlocal rekeyed
        digests: list[tuple[UUID, bytes, bytes]] = []
        for row in rows:
            client_id: UUID = row["client_id"]
            try:
                profile = vault.open(
                    client_id, row["wrapped_key"], row["sealed"], row["master_key_id"]
                )
            except ProfileUnreadable:
                left[client_id] = "does not decrypt"
                continue
            digests.append(
                (
                    client_id,
                    vault.nik_digest(profile.nik),
                    vault.name_digest(client_id, profile.full_name),
                )
            )
        clashing = await _store_digests(connection, vault.lookup_key_id, digests)
        left.update(dict.fromkeys(clashing, "holds the NIK of another klien of its Bapas"))
        rekeyed += len(digests) - len(clashing)

    await _each_batch(
        connection,
        "SELECT p.client_id, p.sealed, k.wrapped_key, k.master_key_id"
        " FROM client_profiles p JOIN client_data_keys k USING (client_id)"
        " WHERE p.client_id > $1 AND p.lookup_key_id IS DISTINCT FROM $3"
        " ORDER BY p.client_id LIMIT $2",
        vault.lookup_key_id,
        lock="FOR UPDATE OF p",
        batch_size=batch_size,
        handle=rekey,
    )
    if rekeyed:
        log.info(
            "NIK and name digests of %d profiles made with look-up key %s",
            rekeyed,
            vault.lookup_key_id,
        )
    if left:
        named = "; ".join(f"klien {c} {why}" for c, why in list(left.items())[:_NAMED])
        log.warning(
            "the NIK and name digests of %d profiles stay as they were: %s", len(left), named
        )
    return rekeyed


_NAMED: Final = 10
"""Profiles a warning names at most."""

_STORE_DIGESTS: Final = (
    "UPDATE client_profiles AS p"
    " SET nik_digest = d.nik_digest, name_digest = d.name_digest, lookup_key_id = $4"
    " FROM unnest($1::uuid[], $2::bytea[], $3::bytea[]) AS d (client_id, nik_digest, name_digest)"
    " WHERE p.client_id = d.client_id"
)


async def _store_digests(
    connection: Connection, lookup_key_id: str, digests: Sequence[tuple[UUID, bytes, bytes]]
) -> list[UUID]:
    """Store the digests in one statement; should a NIK clash, one profile at a time,
    leaving those that clash as they were. The klien whose NIK clashed."""
    if not digests:
        return []
    try:
        async with connection.transaction():  # a savepoint: a clash undoes only this
            await connection.execute(_STORE_DIGESTS, *zip(*digests, strict=True), lookup_key_id)
        return []
    except asyncpg.UniqueViolationError:
        pass
    clashing: list[UUID] = []
    for client_id, nik_digest, name_digest in digests:
        try:
            async with connection.transaction():
                await connection.execute(
                    _STORE_DIGESTS, [client_id], [nik_digest], [name_digest], lookup_key_id
                )
        except asyncpg.UniqueViolationError:
            clashing.append(client_id)
    return clashing


async def _each_batch(
    connection: Connection,
    select: str,
    *arguments: object,
    lock: str,
    batch_size: int,
    handle: Callable[[Rows], Awaitable[None]],
) -> None:
    """Run ``handle`` on the rows ``select`` picks, batch by batch, each in a transaction
    of its own that holds ``lock`` on its rows only. ``select`` orders by ``client_id``
    and takes the ``client_id`` to start after as ``$1``, the batch size as ``$2`` and
    ``arguments`` from ``$3``; a first pass skips the rows others hold, a second waits
    for them (a row changed meanwhile is picked only if it still matches)."""
    for locking in (f"{lock} SKIP LOCKED", lock):
        after = _BEFORE_EVERY_KLIEN
        while True:
            async with connection.transaction():
                rows = await connection.fetch(f"{select} {locking}", after, batch_size, *arguments)
                if rows:
                    await handle(rows)
            if len(rows) < batch_size:
                break
            after = rows[-1]["client_id"]
