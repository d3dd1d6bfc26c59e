"""The insights service in the benchmark: its projection on the workload (B1 and B4),
the check that its figures are those the workload implies, and B7's pieces.

The projection is the service's own (``services.insights.projections``), reading the
workload's topics into the insights service's own database. When the services start,
the insights service reads those topics too, beside the contract's where the
benchmark's commands arrive (:data:`SERVICE_TOPICS`, its ``INSIGHTS_TOPICS``): it finds
them applied, and answers the figures of the whole workload.

B7 reads ``GET /api/v1/figures`` as the ministry. The service keeps an answer until its
projection applies another event (``services/insights/queries.py``), so 32 readers of
a quiet system are served the kept answer. What computing the answer costs on the
national tables, what the first reader pays after each batch the projection applies
(B6's watcher, every reader while events flow), is measured beside it, one request at
a time, each right after a Pokmas registered for it was applied; and what an answer
for a period costs (each request a period no other asked: ``from`` a distinct day
before any event, so the same figures).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from time import perf_counter
from typing import Any

import asyncpg

from bench.http_client import connection_pool
from bench.http_load import Officer
from bench.latency import Latency
from bench.projection import WrongResult, recorded_offsets
from bench.stack import WORKLOAD_TOPICS
from services.insights import queries
from services.insights.figures import Level
from services.insights.projections import FiguresProjection, figures_projection
from services.insights.queries import Period, Scope
from shared.http import Role, issue_token
from shared.kafka.topics import EMPLOYMENT_EVENTS, ENROLMENT_EVENTS, POKMAS_EVENTS
from shared.reference import bapas_offices
from shared.settings import AuthSettings

INSIGHTS: FiguresProjection = figures_projection(WORKLOAD_TOPICS)
"""B1's and B4's second projection: the insights figures, on the workload's topics."""
SERVICE_TOPICS = (POKMAS_EVENTS, ENROLMENT_EVENTS, EMPLOYMENT_EVENTS, *WORKLOAD_TOPICS)
"""What the insights service reads while the services are measured."""
COMPUTED_SAMPLES = 20
"""Answers computed one at a time on the national tables, beside B7."""
APPLIED_TIMEOUT = 10.0
"""How long a Pokmas registered may take to reach the figures before B7 gives up."""
ANSWER_CHECKED = (
    "klien_released",
    "klien_under_supervision",
    "enrolments",
    "completions",
    "withdrawals",
)
"""National totals no command of the services' phase moves: the workload's alone."""


def ministry_token() -> str:
    """A bearer token of the ministry, which reads the national figures."""
    return issue_token(AuthSettings(), role=Role.MINISTRY, sub="bench", ttl=timedelta(hours=2))


def ministry_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {ministry_token()}"}


def national_totals(answer: Mapping[str, Any]) -> dict[str, int]:
    """The counts of an answer's totals, nested ones as ``withdrawals_by_reason.moved``
    (rates left out)."""
    found: dict[str, int] = {}
    for name, value in answer["totals"].items():
        if isinstance(value, dict):
            found.update({f"{name}.{key}": count for key, count in value.items()})
        elif isinstance(value, int):
            found[name] = value
    return found


def _mismatches(found: Mapping[str, int], expected: Mapping[str, int]) -> list[str]:
    return [
        f"{name} {found.get(name)} (expected {value:,})"
        for name, value in expected.items()
        if found.get(name) != value
    ]


async def verify_figures(
    database_url: str, expected: Mapping[str, int], end_offsets: int
) -> dict[str, int]:
    """Raise :class:`WrongResult` unless the national answer computed from the
    projection's tables, as the API computes it, has the totals ``expected``
    (:meth:`bench.workload.WorkloadSize.expected_figures`) and the projection's recorded
    offsets reach the end of the topics; returns the totals, with ``events_applied``.
    So a projection that is fast but wrong fails the run."""
    connection = await asyncpg.connect(database_url)
    try:
        national = Scope(Level.NATIONAL, None, None, bapas_offices())
        answer = await queries.answer(connection, national, Period(), datetime.now(UTC))
        events_applied = (await queries.figures_state(connection)).events_applied
        recorded = await recorded_offsets(connection, INSIGHTS.name)
    finally:
        await connection.close()
    totals = national_totals(answer)
    wrong = _mismatches(totals, expected)
    if wrong:
        raise WrongResult("the insights figures are wrong: " + "; ".join(wrong))
    if recorded != end_offsets:
        raise WrongResult(f"insights offsets recorded up to {recorded} of {end_offsets} events")
    return {**{name: totals[name] for name in expected}, "events_applied": events_applied}


async def check_answer(insights_url: str, expected: Mapping[str, int]) -> dict[str, Any]:
    """The national answer once, as the ministry: raise :class:`WrongResult` unless its
    totals of :data:`ANSWER_CHECKED` are the workload's; returns what was checked, and
    how long the answer took (it may have been computed, or kept)."""
    async with connection_pool(insights_url, 1) as pool:
        started = perf_counter()
        response = await pool.request("GET", "/api/v1/figures", None, ministry_headers())
        seconds = perf_counter() - started
    if response.status != 200:
        raise WrongResult(f"GET /api/v1/figures answered {response.status}: {response.body!r}")
    answer = response.json()
    totals = {name: national_totals(answer)[name] for name in ANSWER_CHECKED}
    wrong = _mismatches(totals, {name: expected[name] for name in ANSWER_CHECKED})
    if wrong:
        raise WrongResult("the national figures answered are wrong: " + "; ".join(wrong))
    return {"totals": totals, "as_of": answer["as_of"], "ms": round(seconds * 1000, 3)}


async def computed_answers(
    insights_url: str, pokmas_url: str, officer: Officer, samples: int = COMPUTED_SAMPLES
) -> Latency:
    """The national answer computed ``samples`` times, one request at a time: before each,
    ``officer`` registers a Pokmas and the benchmark waits until the projection applied
    it (``events_applied`` moved), so no kept answer serves the request that follows."""
    headers = ministry_headers()
    times: list[float] = []
    async with connection_pool(insights_url, 1) as pool, connection_pool(pokmas_url, 1) as pokmas:

        async def applied() -> int:
            response = await pool.request("GET", "/api/v1/as-of", None, headers)
            count: int = response.json()["events_applied"]
            return count

        for number in range(samples):
            before = await applied()
            body = officer.pokmas_body(number) | {"name": f"Pokmas Hitung {number}"}
            response = await pokmas.request("POST", "/api/v1/pokmas", body, officer.headers)
            if response.status != 201:
                raise WrongResult(f"POST /api/v1/pokmas answered {response.status}")
            async with asyncio.timeout(APPLIED_TIMEOUT):
                while await applied() == before:
                    await asyncio.sleep(0.005)
            started = perf_counter()
            response = await pool.request("GET", "/api/v1/figures", None, headers)
            times.append(perf_counter() - started)
            if response.status != 200:
                raise WrongResult(f"GET /api/v1/figures answered {response.status}")
    return Latency.of_seconds(times)


async def period_answers(insights_url: str, samples: int = COMPUTED_SAMPLES) -> Latency:
    """The national answer for a period, computed ``samples`` times in a row, one request
    at a time: each asks a period starting on a day no other request named, all before
    the first event, so no kept answer serves it and every figure is the same."""
    headers = ministry_headers()
    times: list[float] = []
    async with connection_pool(insights_url, 1) as pool:
        for number in range(samples):
            start = date(1900, 1, 1) + timedelta(days=number)
            started = perf_counter()
            response = await pool.request(
                "GET", f"/api/v1/figures?from={start.isoformat()}", None, headers
            )
            times.append(perf_counter() - started)
            if response.status != 200:
                raise WrongResult(f"GET /api/v1/figures answered {response.status}")
    return Latency.of_seconds(times)
