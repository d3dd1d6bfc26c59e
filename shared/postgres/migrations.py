"""Plain SQL migrations, applied in order at start-up and recorded in a table.

Each package keeps its files as ``migrations/NNNN_name.sql``. A migration runs in one
transaction with its record; an advisory lock makes two instances starting together
apply each file once.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable

from shared.postgres.pool import Connection

MIGRATION_LOCK = 4_242_001


@dataclass(frozen=True, order=True)
class Migration:
    version: str
    sql: str


def migrations_of(*packages: str) -> list[Migration]:
    """The ``migrations/*.sql`` files of ``packages``, in order of their names."""
    found: list[Migration] = []
    for package in packages:
        folder: Traversable = files(package) / "migrations"
        if not folder.is_dir():
            continue
        found.extend(
            Migration(version=f"{package}:{entry.name}", sql=entry.read_text(encoding="utf-8"))
            for entry in folder.iterdir()
            if entry.name.endswith(".sql")
        )
    return sorted(found, key=lambda m: (m.version.split(":")[0] != "shared", m.version))


async def apply_migrations(connection: Connection, migrations: list[Migration]) -> list[str]:
    """Apply the migrations not yet recorded; returns the versions applied now."""
    await connection.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
    )
    applied_now: list[str] = []
    await connection.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
    try:
        done = {
            row["version"]
            for row in await connection.fetch("SELECT version FROM schema_migrations")
        }
        for migration in migrations:
            if migration.version in done:
                continue
            async with connection.transaction():
                await connection.execute(migration.sql)
                await connection.execute(
                    "INSERT INTO schema_migrations (version) VALUES ($1)", migration.version
                )
            applied_now.append(migration.version)
    finally:
        await connection.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
    return applied_now
