"""Rebuilding the read models a service keeps of its own events, from its event store.

A projection of another service's topic is rebuilt from that topic
(:mod:`shared.projections.rebuild`). The tables a service writes with its own events
(the pokmas service's Pokmas, MoUs and programmes; the enrolment service's klien,
enrolments and attendance) come from no topic: the event store is their source, and
:attr:`~shared.eventstore.read_models.OwnReadModels.update` is what each event did to
them when it was saved. Replaying every stored event through that same function makes
them again: after a change to what they store, or when they are damaged or lost.

It is all one transaction: nobody sees the tables half filled, and a failure changes
nothing.

* Locks. The read-model tables are taken ``ACCESS EXCLUSIVE`` (as ``TRUNCATE`` would
  take them anyway), then the ``events`` table ``SHARE``, which conflicts with the
  ``ROW EXCLUSIVE`` lock of every append. From then until the commit, commands (and the
  reactions that save events) wait rather than write rows the replay would then write
  a second time or miss, and queries of these tables wait rather than see them half
  filled. Commands lock both as well, in an order that depends on the command, so the
  rebuild could hold one while a command holds the other, each waiting for the other.
  Each attempt therefore waits for its locks for at most half of ``deadlock_timeout``,
  then lets go of both and tries again after a pause: the rebuild gives way before
  PostgreSQL would find a deadlock and fail the command (a user's request).
* The tables are emptied with ``TRUNCATE … RESTART IDENTITY``. Without ``CASCADE``: a
  table that is not one of the read models (a klien's profile, say) but refers to
  them by a foreign key makes the rebuild fail rather than lose its rows. Restarting
  the identity columns numbers the rows again from 1 in replay order, which is the
  order the lists page by.
* Order of the replay: by the time each event was recorded, with the events of one
  aggregate kept in version order however the clocks of the service's instances
  differed (an event counts as recorded no earlier than its aggregate's previous
  events), then by aggregate and version. A row an event needs (an enrolment's klien)
  was recorded before it.
* Every statement must change a row: each inserts its row, or updates one an earlier
  event inserted. One that changes none means a row the read model needed is missing
  (a programme the enrolment service's projection has not applied yet), and the
  rebuild stops, naming the event, instead of leaving the row out.

Events are read from a server-side cursor, a batch at a time, so a store of millions
of events is never held in memory.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from time import perf_counter

import asyncpg

from shared.events.registry import InvalidEvent, UnknownEventType, parse_event
from shared.eventstore.read_models import OwnReadModels, statements_of

REPLAY_BATCH_SIZE = 5_000
LOCK_ATTEMPTS = 120
LOCK_RETRY_PAUSE_SECONDS = 0.5

_WAIT_BRIEFLY_FOR_LOCKS = (
    "SELECT set_config('lock_timeout',"
    " (extract(epoch FROM current_setting('deadlock_timeout')::interval) * 500)::int || 'ms',"
    " true)"
)
_REPLAY_ORDER = """
SELECT event_type, schema_version, envelope FROM (
    SELECT event_type, schema_version, envelope, aggregate_id, aggregate_version,
           max(recorded_at) OVER (PARTITION BY aggregate_id ORDER BY aggregate_version)
               AS settled_at
    FROM events
) AS stored
ORDER BY settled_at, aggregate_id, aggregate_version
"""


class RebuildFailed(RuntimeError):
    """The read models could not be rebuilt; nothing was changed. The message says why."""


@dataclass(frozen=True)
class ReadModelsProgress:
    """Where a rebuild of a service's own read models stands; reported after each batch."""

    tables: tuple[str, ...]
    replayed: int
    """Events replayed so far."""
    total: int
    """Events in the store when the rebuild took its locks: all it replays."""
    elapsed: float

    @property
    def events_per_second(self) -> float:
        return self.replayed / self.elapsed if self.elapsed > 0 else 0.0


async def rebuild_own_read_models(
    connection: asyncpg.Connection,
    read_models: OwnReadModels,
    *,
    on_progress: Callable[[ReadModelsProgress], None] | None = None,
    batch_size: int = REPLAY_BATCH_SIZE,
) -> ReadModelsProgress:
    """Empty ``read_models.tables`` and replay every event of the store on ``connection``
    through ``read_models.update``, in one transaction; returns the final progress.
    Commands of the service, and queries of these tables, wait meanwhile."""
    started = perf_counter()
    async with connection.transaction():
        await _lock_out_writers(connection, read_models.tables)
        total: int = await connection.fetchval("SELECT count(*) FROM events")
        await connection.execute(f"TRUNCATE {', '.join(read_models.tables)} RESTART IDENTITY")
        replayed = 0

        def progress() -> ReadModelsProgress:
            return ReadModelsProgress(
                read_models.tables, replayed, total, elapsed=perf_counter() - started
            )

        cursor = await connection.cursor(_REPLAY_ORDER)
        while batch := await cursor.fetch(batch_size):
            for row in batch:
                await _replay(connection, read_models, row)
            replayed += len(batch)
            if on_progress is not None:
                on_progress(progress())
    return progress()


async def _lock_out_writers(connection: asyncpg.Connection, tables: tuple[str, ...]) -> None:
    """Take the tables, then the event store (see the module's docstring), giving way to
    the commands in flight as long as they need."""
    for attempt in range(1, LOCK_ATTEMPTS + 1):
        try:
            # A savepoint: an attempt that times out lets go of what it took.
            async with connection.transaction():
                await connection.execute(_WAIT_BRIEFLY_FOR_LOCKS)
                await connection.execute(f"LOCK TABLE {', '.join(tables)} IN ACCESS EXCLUSIVE MODE")
                await connection.execute("LOCK TABLE events IN SHARE MODE")
                await connection.execute("SET LOCAL lock_timeout TO DEFAULT")
            return
        except asyncpg.LockNotAvailableError:
            if attempt == LOCK_ATTEMPTS:
                break
            await asyncio.sleep(LOCK_RETRY_PAUSE_SECONDS)
    raise RebuildFailed(
        f"the tables {', '.join(tables)} and the event store were never free at once in "
        f"{LOCK_ATTEMPTS} attempts: something holds them for long (a long transaction?)"
    )


async def _replay(
    connection: asyncpg.Connection, read_models: OwnReadModels, row: asyncpg.Record
) -> None:
    try:
        event = parse_event(
            row["envelope"], event_type=row["event_type"], schema_version=row["schema_version"]
        )
    except (UnknownEventType, InvalidEvent) as error:
        raise RebuildFailed(f"a stored {row['event_type']} cannot be read: {error}") from None
    which = (
        f"{event.event_type} {event.event_id}"
        f" (aggregate {event.aggregate_id} v{event.aggregate_version})"
    )
    for statement in statements_of(read_models.update(event)):
        try:
            status = await connection.execute(statement.sql, *statement.args)
        except asyncpg.PostgresError as error:
            raise RebuildFailed(f"replaying {which} failed: {error}") from None
        if status.rsplit(" ", 1)[-1] == "0":
            raise RebuildFailed(
                f"replaying {which} changed no row ({status.split(' ', 1)[0]}): a row it "
                "needs is missing (the projections it reads are behind?)"
            )
