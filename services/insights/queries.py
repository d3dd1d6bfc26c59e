"""Answering a figures request from the projection's tables.

A scope (national, a province, an office, a Pokmas) is a set of offices, plus a Pokmas
for the last. Each source below aggregates one table for the totals and every
breakdown at once (``GROUPING SETS``): counters summed, the few klien with several
facts of a kind counted distinct, "now" state counted. Six small statements in one
read-only snapshot make an answer, so its ``as_of`` is the state its numbers come from.

Answers are kept until the projection applies another event or is rebuilt (the
figures' version moves, :class:`FiguresState`) or the hour turns (MoUs expiring depend
on each office's today): dashboards polling the same figures cost one look at one row,
and concurrent askers of a figure being computed wait for that computation rather than
start another. An answer is kept with its JSON, encoded once: encoding the national
answer's few thousand numbers again for every asker took about a third of the time
serving a kept answer did.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import TypeAdapter

from services.insights.figures import BREAKDOWNS, Breakdown, Level, figures_of, not_applicable
from services.insights.projections import COUNTERS, NIL, OFFICE_COUNTERS, FactKind
from shared.postgres.pool import Connection
from shared.reference import BapasOffice
from shared.reference.skills import skill_codes

_OFFICE = "o.grp"


@dataclass(frozen=True)
class Scope:
    """What one answer covers: its offices (each with the key of its breakdown row)."""

    level: Level
    code: str | None
    name: str | None
    offices: tuple[BapasOffice, ...]
    pokmas_id: UUID | None = None

    def office_key(self, office: BapasOffice) -> str:
        return office.province if self.level is Level.NATIONAL else office.code


@dataclass(frozen=True)
class Period:
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class Source:
    """One table's aggregates, with the expressions its rows are broken down by."""

    tables: str
    aggregates: str
    day: str | None = None
    skill: str | None = None
    pokmas: str | None = None
    where: str = "true"


SOURCES = (
    Source(
        tables="daily_counts AS d JOIN o USING (bapas_code)"
        " LEFT JOIN programmes AS p USING (programme_id)",
        aggregates=", ".join(f"sum(d.{name})::bigint AS {name}" for name in COUNTERS),
        day="d.day",
        skill="coalesce(nullif(d.skill, ''), p.skill)",
        pokmas=f"nullif(d.pokmas_id, '{NIL}')",
    ),
    Source(
        # Klien with several facts of a kind; those with one are in the counters above.
        tables="klien_facts AS f JOIN o USING (bapas_code)"
        " LEFT JOIN programmes AS p USING (programme_id)",
        aggregates=", ".join(
            f"count(DISTINCT f.client_id) FILTER (WHERE f.kind = '{kind.value}'{flag})"
            f" AS {name}_several"
            for kind, name, flag in (
                (FactKind.EMPLOYMENT, "klien_employed", ""),
                (FactKind.PLACEMENT, "klien_placed", ""),
                (FactKind.REOFFENCE, "klien_reoffended", ""),
                (FactKind.COMPLETION, "klien_completed", ""),
                (FactKind.COMPLETION, "klien_employed_after", " AND f.flag"),
                (FactKind.WORK_WITHDRAWAL, "withdrawn_for_work_unrecorded", " AND f.flag"),
                (FactKind.REVOCATION, "klien_recommended_for_revocation", ""),
            )
        ),
        day="f.day",
        skill="coalesce(nullif(f.skill, ''), p.skill)",
        pokmas=f"nullif(f.pokmas_id, '{NIL}')",
        where="NOT f.single",
    ),
    Source(
        tables="office_counts AS k JOIN o USING (bapas_code)",
        aggregates=", ".join(f"sum(k.{name})::bigint AS {name}" for name in OFFICE_COUNTERS),
    ),
    Source(
        tables="enrolments AS n JOIN o USING (bapas_code)"
        " LEFT JOIN programmes AS p ON p.programme_id = n.programme_id",
        aggregates="count(*) AS enrolments_suspended",
        skill="p.skill",
        pokmas="n.pokmas_id",
        where="n.suspended",
    ),
    Source(
        tables="programmes AS p JOIN o USING (bapas_code)",
        aggregates="count(*) AS programmes_open, sum(p.capacity)::bigint AS seats_offered,"
        " sum(p.seats_taken)::bigint AS seats_taken",
        skill="p.skill",
        pokmas="p.pokmas_id",
        where="p.status = 'open'",
    ),
    Source(
        tables="mous AS m JOIN o USING (bapas_code)",
        aggregates="count(*) AS mous_active, count(*) FILTER (WHERE m.valid_until BETWEEN"
        " (:now::timestamptz AT TIME ZONE o.tz)::date"
        " AND (:now::timestamptz AT TIME ZONE o.tz)::date + 30) AS mous_expiring_within_30_days",
        pokmas="m.pokmas_id",
        where="m.active",
    ),
)


def _statement(
    source: Source, breakdowns: Sequence[Breakdown]
) -> tuple[tuple[str, tuple[str, ...]], list[Breakdown]]:
    """The source's statement for the totals and those of ``breakdowns`` it has."""
    columns: dict[Breakdown, str] = {}
    for breakdown in breakdowns:
        if breakdown in (Breakdown.PROVINCE, Breakdown.BAPAS):
            columns[breakdown] = _OFFICE
        elif breakdown is Breakdown.SKILL and source.skill:
            columns[breakdown] = source.skill
        elif breakdown is Breakdown.POKMAS and source.pokmas:
            columns[breakdown] = f"({source.pokmas})::text"
        elif breakdown is Breakdown.MONTH and source.day:
            columns[breakdown] = f"to_char({source.day}, 'YYYY-MM')"
    grouped = list(columns)
    keys = ", ".join(
        f"{expression} AS dim{index}" for index, expression in enumerate(columns.values())
    )
    sets = ", ".join(["()", *(f"({expression})" for expression in columns.values())])
    which = (
        f"GROUPING({', '.join(columns.values())})" if columns else "0"
    )  # a bit per breakdown, set when the row is NOT grouped by it
    conditions = [source.where]
    if source.day:
        conditions.append(
            f"(:start::date IS NULL OR {source.day} >= :start)"
            f" AND (:end::date IS NULL OR {source.day} <= :end)"
        )
    if source.pokmas:
        conditions.append(f"(:pokmas::uuid IS NULL OR {source.pokmas} = :pokmas)")
    else:
        conditions.append(":pokmas::uuid IS NULL")
    sql = (
        "WITH o (bapas_code, grp, tz) AS"
        " (SELECT * FROM unnest(:offices::text[], :keys::text[], :zones::text[]))"
        f" SELECT {which} AS grouping, {keys + ', ' if keys else ''}{source.aggregates}"
        f" FROM {source.tables} WHERE {' AND '.join(conditions)}"
        f" GROUP BY GROUPING SETS ({sets})"
    )
    return _numbered(sql), grouped


_PARAMETERS = ("offices", "keys", "zones", "start", "end", "pokmas", "now")
"""The named parameters a source's statement may use, numbered in this order."""


def _numbered(sql: str) -> tuple[str, tuple[str, ...]]:
    """``:name`` placeholders as ``$n``, numbered by first use (asyncpg must be able to
    type every parameter it is given, so only those used are passed)."""
    used: list[str] = []
    for name in sorted(_PARAMETERS, key=sql.find):
        if f":{name}" in sql:
            used.append(name)
            sql = sql.replace(f":{name}", f"${len(used)}")
    return sql, tuple(used)


@dataclass
class Aggregates:
    """The numbers of one answer: the totals, and each breakdown's rows by key."""

    totals: dict[str, int]
    rows: dict[Breakdown, dict[str, dict[str, int]]]


async def aggregate(
    connection: Connection, scope: Scope, period: Period, now: datetime
) -> Aggregates:
    """Every source's numbers for the scope and period (run inside one snapshot)."""
    breakdowns = BREAKDOWNS[scope.level]
    totals: dict[str, int] = {}
    rows: dict[Breakdown, dict[str, dict[str, int]]] = {b: defaultdict(dict) for b in breakdowns}
    arguments = {
        "offices": [office.code for office in scope.offices],
        "keys": [scope.office_key(office) for office in scope.offices],
        "zones": [office.time_zone for office in scope.offices],
        "start": period.start,
        "end": period.end,
        "pokmas": scope.pokmas_id,
        "now": now,
    }
    for source in SOURCES:
        (sql, names), grouped = _statement(source, breakdowns)
        for record in await connection.fetch(sql, *(arguments[name] for name in names)):
            values = {
                name: int(value or 0)
                for name, value in record.items()
                if name != "grouping" and not name.startswith("dim")
            }
            missing = record["grouping"]
            width = len(grouped)
            by = [b for i, b in enumerate(grouped) if not missing & (1 << (width - 1 - i))]
            if not by:
                totals.update(values)
            elif len(by) == 1 and (key := record[f"dim{grouped.index(by[0])}"]) is not None:
                rows[by[0]][key].update(values)
    return Aggregates(totals, rows)


def _month_keys(months: Mapping[str, Mapping[str, int]]) -> list[str]:
    """Every month from the first to the last that has a non-zero count, none skipped."""
    present = sorted(key for key, values in months.items() if any(values.values()))
    if not present:
        return []
    year, month = map(int, present[0].split("-"))
    last = present[-1]
    keys: list[str] = []
    while True:
        key = f"{year:04d}-{month:02d}"
        keys.append(key)
        if key >= last:
            return keys
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


async def answer(
    connection: Connection, scope: Scope, period: Period, now: datetime
) -> dict[str, Any]:
    """The JSON answer for the scope and period (see the service's API)."""
    async with connection.transaction(isolation="repeatable_read", readonly=True):
        # Each statement is planned for its parameters: a plan generic over "a period or
        # none, a Pokmas or none" was measured 2-3 times slower once PostgreSQL chose it.
        await connection.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        state = await connection.fetchrow("SELECT as_of, events_applied FROM figures_state")
        aggregates = await aggregate(connection, scope, period, now)
        keys = await _row_keys(connection, scope, aggregates)
    result: dict[str, Any] = {
        "scope": {"level": scope.level.value, "code": scope.code, "name": scope.name},
        "period": {
            "from": period.start.isoformat() if period.start else None,
            "to": period.end.isoformat() if period.end else None,
        },
        "as_of": _timestamp(state["as_of"]) if state else None,
        "totals": figures_of(aggregates.totals, not_applicable(scope.level, None)),
    }
    for breakdown in BREAKDOWNS[scope.level]:
        missing = not_applicable(scope.level, breakdown)
        found = aggregates.rows[breakdown]
        result[f"by_{breakdown.value}"] = [
            {
                "key": key,
                **({"name": name} if name is not None else {}),
                **figures_of(found.get(key, {}), missing),
            }
            for key, name in keys[breakdown]
        ]
    return result


async def _row_keys(
    connection: Connection, scope: Scope, aggregates: Aggregates
) -> dict[Breakdown, list[tuple[str, str | None]]]:
    """The rows each breakdown lists, fixed by the reference data (and the Pokmas known)."""
    keys: dict[Breakdown, list[tuple[str, str | None]]] = {}
    for breakdown in BREAKDOWNS[scope.level]:
        if breakdown is Breakdown.PROVINCE:
            keys[breakdown] = [(p, None) for p in sorted({o.province for o in scope.offices})]
        elif breakdown is Breakdown.BAPAS:
            keys[breakdown] = [(o.code, o.name) for o in sorted(scope.offices, key=_code)]
        elif breakdown is Breakdown.SKILL:
            keys[breakdown] = [(code, None) for code in sorted(skill_codes())]
        elif breakdown is Breakdown.MONTH:
            keys[breakdown] = [(month, None) for month in _month_keys(aggregates.rows[breakdown])]
        else:
            records = await connection.fetch(
                "SELECT pokmas_id::text AS key, name FROM pokmas"
                " WHERE bapas_code = ANY($1::text[]) ORDER BY name, pokmas_id",
                [office.code for office in scope.offices],
            )
            keys[breakdown] = [(record["key"], record["name"]) for record in records]
    return keys


def _code(office: BapasOffice) -> str:
    return office.code


def _timestamp(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.isoformat().replace("+00:00", "Z")


async def pokmas_office(connection: Connection, pokmas_id: UUID) -> tuple[str, str] | None:
    """The office and name of a Pokmas the projection knows, or ``None``."""
    record = await connection.fetchrow(
        "SELECT bapas_code, name FROM pokmas WHERE pokmas_id = $1", pokmas_id
    )
    return None if record is None else (record["bapas_code"], record["name"])


@dataclass(frozen=True)
class FiguresState:
    """How far the figures are: the time the newest event applied was recorded, the
    events applied since the last rebuild, and the rebuilds so far."""

    as_of: datetime | None
    events_applied: int
    rebuilds: int

    @property
    def version(self) -> tuple[int, int]:
        """What a kept answer is valid for: a rebuild brings the count of events applied
        back to where it was, so the rebuilds count too."""
        return (self.rebuilds, self.events_applied)


async def figures_state(connection: Connection) -> FiguresState:
    record = await connection.fetchrow("SELECT as_of, events_applied, rebuilds FROM figures_state")
    assert record is not None, "the migration inserts the one row"
    return FiguresState(record["as_of"], record["events_applied"], record["rebuilds"])


_ANSWER_JSON: TypeAdapter[dict[str, Any]] = TypeAdapter(dict[str, Any])


@dataclass(frozen=True)
class KeptAnswer:
    """An answer (see :func:`answer`) and its JSON."""

    figures: dict[str, Any]
    json: bytes

    @classmethod
    def of(cls, figures: dict[str, Any]) -> KeptAnswer:
        return cls(figures, _ANSWER_JSON.dump_json(figures))


class AnswerCache:
    """Answers by request, valid while the projection has applied nothing new.

    ``get`` returns the kept answer when the figures' version (:attr:`FiguresState.version`)
    and the hour are as they were;
    otherwise one caller computes it while the others asking the same wait for it.
    """

    def __init__(self, size: int = 512) -> None:
        self._size = size
        self._answers: dict[tuple[Any, ...], tuple[tuple[int, int], KeptAnswer]] = {}
        self._computing: dict[tuple[Any, ...], asyncio.Future[KeptAnswer]] = {}

    async def get(
        self,
        key: tuple[Any, ...],
        version: tuple[int, int],
        compute: Callable[[], Awaitable[KeptAnswer]],
    ) -> KeptAnswer:
        kept = self._answers.get(key)
        if kept is not None and kept[0] == version:
            return kept[1]
        running = self._computing.get(key)
        if running is not None:
            return await asyncio.shield(running)
        future: asyncio.Future[KeptAnswer] = asyncio.get_running_loop().create_future()
        self._computing[key] = future
        try:
            result = await compute()
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: waiters re-raise it, nobody else must
            raise
        finally:
            del self._computing[key]
        future.set_result(result)
        if len(self._answers) >= self._size:
            self._answers.pop(next(iter(self._answers)))
        self._answers[key] = (version, result)
        return result
