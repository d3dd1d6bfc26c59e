"""The connection pool of a service, sized for the machine, and the connection type
that functions accept whether they get a pooled or a plain connection."""

from __future__ import annotations

from typing import TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

Connection: TypeAlias = "asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]"


async def create_pool(database_url: str, *, size: int) -> asyncpg.Pool:
    """A pool of ``size`` connections; statements are prepared once per connection."""
    pool = await asyncpg.create_pool(
        database_url, min_size=1, max_size=size, command_timeout=30, timeout=10
    )
    if pool is None:  # asyncpg types it Optional; it is None only when never awaited
        raise RuntimeError("the connection pool could not be created")
    return pool
