"""B6: an event recorded → the national figure it changes visible through the insights
API, at a steady rate of commands; its ceiling is B3's Kafka round trip.

The command registers a Pokmas (``POST /api/v1/pokmas``), as an officer of one office
in each province; its PokmasRegistered moves ``pokmas_registered`` of the national
answer, in the totals and in the row of the office's province. Commands are sent as
B3's are: open-loop on a fixed schedule over 32 keep-alive connections
(:mod:`bench.http_client`).

A watcher reads the figures as a dashboard would, on one connection: it polls
``GET /api/v1/as-of`` (one row) and, whenever ``events_applied`` moved, reads
``GET /api/v1/figures`` as the ministry. A count that a province's row shows for the
first time is visible from the moment that answer arrived.

Which command a count belongs to: one office sends in each province, and an office's
events keep their order (one key, one partition, the outbox's order), so the n-th
Pokmas registered in a province, in the order of their 201s, is the one that brings its
row to baseline + n. The latency runs from the command's 201 to the first answer that
showed it, so it includes what a dashboard waits besides the projection: an answer is
computed on the national tables after each batch, and an event applied while one was
being computed shows in the next.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from time import perf_counter
from typing import Any

from bench.end_to_end import VISIBILITY_TIMEOUT, EndToEnd
from bench.http_client import ConnectionPool, connection_pool
from bench.http_load import CONNECTIONS, Officer
from bench.insights import ministry_headers
from bench.latency import Latency
from shared.http import Role, issue_token
from shared.reference import bapas_office, bapas_offices
from shared.settings import AuthSettings

POLL_INTERVAL = 0.01
"""The watcher's pause between two ``as-of`` reads that found nothing new."""
QUIET_SECONDS = 1.0
QUIET_TIMEOUT = 60.0
"""Before the baseline: wait (at most this long) until nothing was applied for a second."""


@dataclass(frozen=True)
class Freshness:
    end_to_end: EndToEnd
    """Commands sent, accepted and visible; latencies from the 201 (and from sending) to
    the answer that first showed them."""
    provinces: int
    as_of_reads: int
    figures_reads: int
    figures_read_latency: Latency
    """How long each answer the watcher read took (computed after each batch)."""
    pokmas_registered_before: int
    pokmas_registered_after: int
    """National ``pokmas_registered`` before the commands and in the watcher's last answer."""


def province_officers() -> list[Officer]:
    """An officer of one office in each province (the first office by code)."""
    settings = AuthSettings()
    chosen: dict[str, str] = {}
    for office in sorted(bapas_offices(), key=lambda office: office.code):
        chosen.setdefault(office.province, office.code)
    return [
        Officer(
            code,
            issue_token(
                settings, role=Role.BAPAS_OFFICER, sub="bench", bapas=code, ttl=timedelta(hours=2)
            ),
        )
        for code in chosen.values()
    ]


def _registered(answer: dict[str, Any]) -> tuple[int, dict[str, int]]:
    """National ``pokmas_registered``, and by province."""
    rows = {row["key"]: row["pokmas_registered"] for row in answer["by_province"]}
    return answer["totals"]["pokmas_registered"], rows


async def _read(pool: ConnectionPool, path: str, headers: dict[str, str]) -> dict[str, Any]:
    response = await pool.request("GET", path, None, headers)
    if response.status != 200:
        raise RuntimeError(f"GET {path} answered {response.status}: {response.body[:300]!r}")
    answer: dict[str, Any] = response.json()
    return answer


async def _wait_until_quiet(pool: ConnectionPool, headers: dict[str, str]) -> None:
    """Until the projection applied nothing for :data:`QUIET_SECONDS` (at most
    :data:`QUIET_TIMEOUT`): the baseline must not move under the commands' counts."""
    deadline = perf_counter() + QUIET_TIMEOUT
    last = (await _read(pool, "/api/v1/as-of", headers))["events_applied"]
    still_since = perf_counter()
    while perf_counter() - still_since < QUIET_SECONDS and perf_counter() < deadline:
        await asyncio.sleep(0.1)
        applied = (await _read(pool, "/api/v1/as-of", headers))["events_applied"]
        if applied != last:
            last, still_since = applied, perf_counter()


async def figure_freshness(
    pokmas_url: str,
    insights_url: str,
    callers: list[Officer],
    *,
    rate: float,
    seconds: float,
) -> Freshness:
    """Register ``rate`` Pokmas a second for ``seconds``, by ``callers`` in turn (one
    office per province, :func:`province_officers`); time each until the national
    figures show it."""
    province = {caller.bapas_code: bapas_office(caller.bapas_code).province for caller in callers}
    if len(set(province.values())) < len(callers):
        raise ValueError("two callers share a province: their counts could not be told apart")
    headers = ministry_headers()
    total = max(round(rate * seconds), 1)
    accepted: dict[str, list[tuple[float, float]]] = defaultdict(list)
    """(201 received, request sent) per province, in the order the 201s came."""
    visible: dict[str, list[float]] = defaultdict(list)
    """When each count above the baseline was first shown, per province."""
    reads: list[float] = []
    as_of_reads = 0
    done = asyncio.Event()

    async with connection_pool(insights_url, 1) as watch_pool:
        await _wait_until_quiet(watch_pool, headers)
        before_total, baseline = _registered(await _read(watch_pool, "/api/v1/figures", headers))
        last_total = before_total

        def show(answer: dict[str, Any], at: float) -> None:
            nonlocal last_total
            last_total, rows = _registered(answer)
            for key, count in rows.items():
                shown = visible[key]
                shown.extend([at] * (count - baseline.get(key, 0) - len(shown)))

        async def watch() -> None:
            nonlocal as_of_reads
            last_applied: int | None = None
            hard_deadline = perf_counter() + seconds + VISIBILITY_TIMEOUT + 30
            while not done.is_set() and perf_counter() < hard_deadline:
                applied = (await _read(watch_pool, "/api/v1/as-of", headers))["events_applied"]
                as_of_reads += 1
                if applied == last_applied:
                    await asyncio.sleep(POLL_INTERVAL)
                    continue
                last_applied = applied
                started = perf_counter()
                answer = await _read(watch_pool, "/api/v1/figures", headers)
                at = perf_counter()
                reads.append(at - started)
                show(answer, at)

        def all_shown() -> bool:
            return all(len(visible[p]) >= len(times) for p, times in accepted.items())

        watcher = asyncio.create_task(watch())
        try:
            async with connection_pool(pokmas_url, CONNECTIONS) as pool:

                async def register(number: int) -> None:
                    caller = callers[number % len(callers)]
                    body = caller.pokmas_body(number) | {"name": f"Pokmas Segar {number}"}
                    sent = perf_counter()
                    response = await pool.request("POST", "/api/v1/pokmas", body, caller.headers)
                    if response.status == 201:
                        accepted[province[caller.bapas_code]].append((perf_counter(), sent))

                began = perf_counter()
                commands: list[asyncio.Task[None]] = []
                for number in range(total):
                    await asyncio.sleep(max(began + number / rate - perf_counter(), 0))
                    commands.append(asyncio.create_task(register(number)))
                await asyncio.gather(*commands)
                elapsed = perf_counter() - began
            deadline = perf_counter() + VISIBILITY_TIMEOUT
            while not all_shown() and perf_counter() < deadline and not watcher.done():
                await asyncio.sleep(0.05)
        finally:
            done.set()
            await watcher

    from_answer: list[float] = []
    from_sending: list[float] = []
    command: list[float] = []
    for key, times in accepted.items():
        ordered = sorted(times)
        command.extend(answered - sent for answered, sent in ordered)
        for (answered, sent), shown in zip(ordered, visible[key], strict=False):
            # Shown before the client read its 201 (the answer was slower than the whole
            # path): counted as zero, as B3 does.
            from_answer.append(max(shown - answered, 0.0))
            from_sending.append(shown - sent)
    accepted_count = sum(len(times) for times in accepted.values())
    return Freshness(
        end_to_end=EndToEnd(
            rate=rate,
            sent=total,
            accepted=accepted_count,
            visible=len(from_answer),
            seconds=elapsed,
            latency=Latency.of_seconds(from_answer),
            latency_from_sending=Latency.of_seconds(from_sending),
            command_latency=Latency.of_seconds(command),
        ),
        provinces=len(callers),
        as_of_reads=as_of_reads,
        figures_reads=len(reads),
        figures_read_latency=Latency.of_seconds(reads),
        pokmas_registered_before=before_total,
        pokmas_registered_after=last_total,
    )
