"""The connection pool of a service, sized for the machine, and the connection type
that functions accept whether they get a pooled or a plain connection."""

from __future__ import annotations

from typing import TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

Connection: TypeAlias = "asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]"


class PooledConnection(asyncpg.Connection):
    """A connection whose return to the pool costs no round trip.

    asyncpg resets a released connection with ``UNLISTEN *``, ``RESET ALL`` and the
    release of advisory locks: one more round trip after every command. The platform
    leaves no session state on pooled connections (its locks are transaction locks, or
    released where taken), so only an open transaction is rolled back, as asyncpg does
    before any reset query.
    """

    def get_reset_query(self) -> str:
        return ""


async def create_pool(database_url: str, *, size: int) -> asyncpg.Pool:
    """A pool of ``size`` connections; statements are prepared once per connection."""
    pool = await asyncpg.create_pool(
        database_url,
        min_size=1,
        max_size=size,
        command_timeout=30,
        timeout=10,
        connection_class=PooledConnection,
    )
    if pool is None:  # asyncpg types it Optional; it is None only when never awaited
        raise RuntimeError("the connection pool could not be created")
    return pool
