"""One benchmark run, in the order that keeps each measurement clean.

1. A fresh bench stack (:mod:`bench.stack`).
2. The national workload published to the workload's own topics (:mod:`bench.publish`);
   then, each beside its ceiling (raw consumption of the same topics) and each result
   checked against what the workload implies (:mod:`bench.projection`): B1 and B4 for
   the pokmas service's seats, then for the insights service's figures, which are left
   in the insights service's database (:mod:`bench.insights`).
3. The services as processes (:mod:`bench.services`); the insights service reads the
   workload's topics beside the contract's, and finds them applied. The others start on
   empty databases and empty contract topics: they never catch up on two million
   events (the notifications service would read every enrolment event). In turn: B3
   and its Kafka round trip first, while nothing else runs; B6, the national figures'
   freshness (:mod:`bench.freshness`); B7, the national figures read by 32 clients,
   beside the no-op of the same server; B2's ceiling and B2; then B5, the peak memory
   each service reached. Where the CPU went during each is recorded (:mod:`bench.cpu`).
4. The stack stopped and wiped.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from time import perf_counter
from typing import Any

from bench.cpu import SampledCpu, children, cores_used, snapshot
from bench.end_to_end import EndToEnd, kafka_round_trip, programme_visibility
from bench.freshness import Freshness, figure_freshness, province_officers
from bench.http_load import (
    HttpLoad,
    no_op,
    officers,
    read_figures,
    register_pokmas,
    wrk_available,
)
from bench.insights import (
    INSIGHTS,
    SERVICE_TOPICS,
    check_answer,
    computed_answers,
    ministry_token,
    period_answers,
    verify_figures,
)
from bench.latency import Latency
from bench.projection import (
    SEATS,
    Consumption,
    catch_up,
    prepare_projection_database,
    raw_consumption,
    rebuild,
    verify_seats,
)
from bench.publish import Publication, publish_workload
from bench.report import Figure, Report, machine, versions
from bench.services import RunningServices, peak_rss_bytes, running_services
from bench.stack import (
    PROJECTION_DATABASE,
    ROUND_TRIP_TOPIC,
    BenchStack,
    running_bench_stack,
)
from bench.workload import FULL, QUICK, NationalWorkload, WorkloadSize
from shared.projections import Projection
from shared.stack.processes import running_pid

SEED = 2026
MIB = 2**20
B1_EVENTS_PER_SECOND = 30_000
B1_SHARE_OF_CEILING = 0.3
B2_COMMANDS_PER_SECOND = 1_000
B2_P99_MS = 100
B3_P99_MS = 250
B3_RATE_SHARE = 0.95
"""B3's (and B6's) latency counts at its rate: the service must keep up with 95 % of it."""
B4_SECONDS_PER_2M = 90
B5_MIB = 300
B6_P99_MS = 1_000
B6_MOONSHOT_P99_MS = 250
B7_P99_MS = 50


@dataclass(frozen=True)
class Profile:
    name: str
    size: WorkloadSize
    http_seconds: float
    """How long B2, B7 and their ceilings each run."""
    end_to_end_rate: float
    """Commands a second offered in B3 and in B6."""
    end_to_end_seconds: float
    """How long B3 and B6 each send commands."""
    round_trips: int


PROFILES = {
    "quick": Profile("quick", QUICK, 10, 300, 10, 200),
    "full": Profile("full", FULL, 30, 300, 60, 1_000),
}


@dataclass(frozen=True)
class Ports:
    kafka: int
    postgres: int
    services: int


@dataclass(frozen=True)
class FiguresQuery:
    """B7: the national figures read by 32 clients, and what was checked first."""

    load: HttpLoad
    no_op: HttpLoad
    computed: Latency
    """The national answer computed after an event, one request at a time."""
    computed_for_a_period: Latency
    """The national answer for a period no earlier request asked, one at a time."""
    answer: dict[str, Any]
    """The first answer's totals checked against the workload, and how long it took."""


@dataclass(frozen=True)
class ServiceFigures:
    round_trip: Latency
    end_to_end: EndToEnd
    freshness: Freshness
    figures: FiguresQuery
    no_op: HttpLoad
    commands: HttpLoad
    peak_rss: dict[str, int]
    cores: dict[str, dict[str, float]]
    """Cores each process kept busy during B3, B6, B7 and its ceiling, B2 and its ceiling."""


def _stack_processes(bench_stack: BenchStack) -> dict[str, list[int]]:
    """Kafka's brokers, and PostgreSQL with its backends."""
    postmaster = bench_stack.stack.postgres.running_pid()
    kafka = bench_stack.stack.kafka
    brokers = [running_pid(kafka.pid_file(node)) for node in kafka.cluster.nodes]
    return {
        "kafka": [pid for pid in brokers if pid is not None],
        "postgres": [] if postmaster is None else [postmaster, *children(postmaster)],
    }


def _processes(bench_stack: BenchStack, services: RunningServices) -> dict[str, list[int]]:
    """The benchmark's processes by name, PostgreSQL with its backends."""
    return {
        **{name: [pid] for name, pid in services.pids.items()},
        **_stack_processes(bench_stack),
        "bench": [os.getpid()],
    }


@dataclass(frozen=True)
class ProjectionFigures:
    """B1 and B4 of one projection, and their ceiling."""

    raw: Consumption
    catch_up: Consumption
    join_seconds: float
    """How long B1's consumer took to join its group, before its clock started."""
    rebuild: Consumption
    catch_up_cores: dict[str, float]
    rebuild_cores: dict[str, float]
    """Cores each process kept busy during B1 and B4 (``consumer``: the benchmark's
    process, which runs the projection)."""


@dataclass(frozen=True)
class LogFigures:
    publication: Publication
    seats: ProjectionFigures
    insights: ProjectionFigures
    insights_found: dict[str, int]
    """The national figures the rebuilt insights projection holds (all as expected)."""


def _wrk_version() -> str | None:
    if not wrk_available():
        return None
    result = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    first = (result.stdout or result.stderr).splitlines()
    return first[0].split(" [")[0].removeprefix("wrk ") if first else "unknown"


async def _services_phase(
    bench_stack: BenchStack, profile: Profile, ports: Ports
) -> ServiceFigures:
    callers = officers()
    cores: dict[str, dict[str, float]] = {}
    expected = profile.size.expected_figures()
    environment = {"INSIGHTS_TOPICS": ",".join(SERVICE_TOPICS)}
    async with running_services(
        bench_stack, first_port=ports.services, environment=environment
    ) as services:
        pokmas, insights = services.url("pokmas"), services.url("insights")

        def processes() -> dict[str, list[int]]:
            return _processes(bench_stack, services)

        round_trip = await kafka_round_trip(
            bench_stack.bootstrap_servers, ROUND_TRIP_TOPIC, profile.round_trips
        )
        before = snapshot(processes())
        end_to_end = await programme_visibility(
            pokmas,
            bench_stack.database_url("enrolment"),
            callers,
            rate=profile.end_to_end_rate,
            seconds=profile.end_to_end_seconds,
        )
        cores["B3"] = cores_used(before, snapshot(processes()))
        before = snapshot(processes())
        freshness = await figure_freshness(
            pokmas,
            insights,
            province_officers(),
            rate=profile.end_to_end_rate,
            seconds=profile.end_to_end_seconds,
        )
        cores["B6"] = cores_used(before, snapshot(processes()))
        answer = await check_answer(insights, expected)
        computed = await computed_answers(insights, pokmas, callers[0])
        for_a_period = await period_answers(insights)
        before = snapshot(processes())
        figures_ceiling = await no_op(insights, profile.http_seconds)
        after = snapshot(processes())
        cores["B7 ceiling"] = cores_used(before, after, {"wrk": figures_ceiling.client_cpu_seconds})
        before = snapshot(processes())
        figures = await read_figures(insights, profile.http_seconds, ministry_token())
        after = snapshot(processes())
        cores["B7"] = cores_used(before, after, {"wrk": figures.client_cpu_seconds})
        before = snapshot(processes())
        ceiling = await no_op(pokmas, profile.http_seconds)
        after = snapshot(processes())
        cores["B2 ceiling"] = cores_used(before, after, {"wrk": ceiling.client_cpu_seconds})
        before = snapshot(processes())
        commands = await register_pokmas(pokmas, profile.http_seconds, callers)
        after = snapshot(processes())
        cores["B2"] = cores_used(before, after, {"wrk": commands.client_cpu_seconds})
        peak_rss = {name: peak_rss_bytes(pid) for name, pid in services.pids.items()}
    return ServiceFigures(
        round_trip=round_trip,
        end_to_end=end_to_end,
        freshness=freshness,
        figures=FiguresQuery(figures, figures_ceiling, computed, for_a_period, answer),
        no_op=ceiling,
        commands=commands,
        peak_rss=peak_rss,
        cores=cores,
    )


async def _projection_phase(
    bench_stack: BenchStack,
    projection: Projection,
    database_url: str,
    verify: Callable[[int], Awaitable[object]],
) -> ProjectionFigures:
    """Ceiling, B1 and B4 of ``projection``, each result checked by ``verify`` (given the
    events up to the end of the topics), with the cores each process kept busy."""
    bootstrap = bench_stack.bootstrap_servers
    raw = await raw_consumption(bootstrap, projection.topics)

    def processes() -> dict[str, list[int]]:
        return {"consumer": [os.getpid()], **_stack_processes(bench_stack)}

    async with SampledCpu(processes) as caught_up_cpu:
        caught_up, join_seconds = await catch_up(projection, bootstrap, database_url)
    await verify(caught_up.events)
    async with SampledCpu(processes) as rebuilt_cpu:
        rebuilt = await rebuild(projection, bootstrap, database_url)
    await verify(caught_up.events)
    return ProjectionFigures(
        raw, caught_up, join_seconds, rebuilt, caught_up_cpu.cores, rebuilt_cpu.cores
    )


async def _log_phase(bench_stack: BenchStack, size: WorkloadSize) -> LogFigures:
    publication = await publish_workload(bench_stack.bootstrap_servers, size, SEED)
    workload = NationalWorkload(size, seed=SEED)
    for _ in workload.pokmas_events():  # draws the programmes as the publication did
        pass
    expected = workload.expected_seats()
    seats_database = bench_stack.database_url(PROJECTION_DATABASE)
    await prepare_projection_database(seats_database, "pokmas")

    async def verify_the_seats(end_offsets: int) -> None:
        await verify_seats(seats_database, expected, end_offsets)

    seats = await _projection_phase(bench_stack, SEATS, seats_database, verify_the_seats)

    # The insights figures, in the insights service's own database, which it will read.
    insights_database = bench_stack.database_url("insights")
    await prepare_projection_database(insights_database, "insights")
    found: dict[str, int] = {}

    async def verify_the_figures(end_offsets: int) -> None:
        found.update(await verify_figures(insights_database, size.expected_figures(), end_offsets))

    insights = await _projection_phase(bench_stack, INSIGHTS, insights_database, verify_the_figures)
    return LogFigures(publication, seats, insights, found)


PLATFORM = ("pokmas", "enrolment", "notifications", "insights", "kafka", "postgres")


def _platform_cpu_ms(cores: dict[str, float], per_second: float) -> float:
    """Milliseconds of CPU the platform's processes spent per command."""
    return round(sum(cores.get(name, 0.0) for name in PLATFORM) / per_second * 1000, 2)


def _latency_text(latency: Latency) -> str:
    return f"p50 {latency.p50:.1f} ms, p95 {latency.p95:.1f} ms, p99 {latency.p99:.1f} ms"


def _load_text(load: HttpLoad, unit: str = "requests/s") -> str:
    return f"{load.requests_per_second:,.0f} {unit}; " + _latency_text(load.latency)


def _projection_figures(
    suffix: str, what: str, figures: ProjectionFigures, details: dict[str, Any]
) -> list[Figure]:
    """B1 and B4 of one projection, beside raw consumption of the same topics."""
    raw_rate = figures.raw.events_per_second
    rate = figures.catch_up.events_per_second
    rebuilt = figures.rebuild
    b4_bar = B4_SECONDS_PER_2M * rebuilt.events / 2_000_000
    b4_ceiling = rebuilt.events / raw_rate
    return [
        Figure(
            id=f"B1{suffix}",
            measures=f"{what} catching up from offset 0, effectively-once into Postgres",
            value=rate,
            unit="events/s",
            bar="≥ 30,000 events/s and ≥ 0.3 × ceiling",
            met=rate >= B1_EVENTS_PER_SECOND and rate >= B1_SHARE_OF_CEILING * raw_rate,
            ceiling=raw_rate,
            ceiling_measures="raw aiokafka getmany of the same topics",
            text=f"{rate:,.0f} events/s "
            f"({figures.catch_up.events:,} in {figures.catch_up.seconds:.1f} s)",
            ceiling_text=f"{raw_rate:,.0f} events/s",
            details={
                "catch_up": asdict(figures.catch_up),
                "raw": asdict(figures.raw),
                "group_join_seconds": round(figures.join_seconds, 3),
                "cores_used": figures.catch_up_cores,
                **details,
            },
        ),
        Figure(
            id=f"B4{suffix}",
            measures=f"rebuilding {what} from the event log",
            value=rebuilt.seconds,
            unit="s",
            bar=f"≤ 90 s per 2,000,000 events ({b4_bar:.1f} s for these)",
            met=rebuilt.seconds <= b4_bar,
            ceiling=b4_ceiling,
            ceiling_measures="the events at B1's ceiling rate",
            text=f"{rebuilt.seconds:.1f} s for {rebuilt.events:,} events "
            f"({rebuilt.events_per_second:,.0f} events/s)",
            ceiling_text=f"{b4_ceiling:.1f} s",
            details={"rebuild": asdict(rebuilt), "cores_used": figures.rebuild_cores, **details},
        ),
    ]


def _figures(services: ServiceFigures, log: LogFigures) -> list[Figure]:
    commands, ceiling = services.commands, services.no_op
    end_to_end = services.end_to_end
    fresh = services.freshness.end_to_end
    query = services.figures
    seats = _projection_figures("", "the pokmas service's programme seats", log.seats, {})
    insights = _projection_figures(
        ".insights",
        "the insights figures (pokmas and enrolment topics)",
        log.insights,
        {"figures_verified": log.insights_found},
    )
    figures = [
        seats[0],
        insights[0],
        Figure(
            id="B2",
            measures="commands through the HTTP API (POST /api/v1/pokmas), 32 clients",
            value=commands.requests_per_second,
            unit="commands/s",
            bar="≥ 1,000 commands/s, p99 ≤ 100 ms",
            met=(
                commands.requests_per_second >= B2_COMMANDS_PER_SECOND
                and commands.latency.p99 <= B2_P99_MS
                and not any(commands.errors.values())
            ),
            ceiling=ceiling.requests_per_second,
            ceiling_measures="GET /health/live, same server and clients",
            text=_load_text(commands, "commands/s"),
            ceiling_text=_load_text(ceiling),
            details={
                "commands": asdict(commands),
                "no_op": asdict(ceiling),
                "cores_used": services.cores["B2"],
                "ceiling_cores_used": services.cores["B2 ceiling"],
                "platform_cpu_ms_per_command": _platform_cpu_ms(
                    services.cores["B2"], commands.requests_per_second
                ),
            },
        ),
        Figure(
            id="B3",
            measures=(
                f"programme opened in pokmas → committed in enrolment's projection, "
                f"{end_to_end.rate:.0f} commands/s offered: p99"
            ),
            value=end_to_end.latency.p99,
            unit="ms",
            bar="p99 ≤ 250 ms",
            met=(
                end_to_end.latency.p99 <= B3_P99_MS
                and end_to_end.visible == end_to_end.sent
                and end_to_end.achieved_rate >= B3_RATE_SHARE * end_to_end.rate
            ),
            ceiling=services.round_trip.p99,
            ceiling_measures="one Kafka produce→consume round trip: p99",
            text=_latency_text(end_to_end.latency)
            + f" ({end_to_end.visible:,} of {end_to_end.sent:,} visible; "
            f"{end_to_end.achieved_rate:,.0f} commands/s achieved)",
            ceiling_text=_latency_text(services.round_trip),
            details={
                "end_to_end": asdict(end_to_end),
                "achieved_rate": end_to_end.achieved_rate,
                "round_trip": asdict(services.round_trip),
                "cores_used": services.cores["B3"],
            },
        ),
        seats[1],
        insights[1],
    ]
    for name, peak in services.peak_rss.items():
        figures.append(
            Figure(
                id=f"B5.{name}",
                measures=f"peak RSS (VmHWM) of the {name} service, through B3, B6, B7 and B2",
                value=peak / MIB,
                unit="MiB",
                bar="≤ 300 MiB",
                met=peak <= B5_MIB * MIB,
                text=f"{peak / MIB:.0f} MiB",
            )
        )
    moonshot = "met" if fresh.latency.p99 <= B6_MOONSHOT_P99_MS else "not met"
    figures += [
        Figure(
            id="B6",
            measures=(
                f"Pokmas registered → national pokmas_registered shown by GET /api/v1/figures, "
                f"{fresh.rate:.0f} commands/s offered: p99"
            ),
            value=fresh.latency.p99,
            unit="ms",
            bar="p99 ≤ 1 s (moonshot 250 ms)",
            met=(
                fresh.latency.p99 <= B6_P99_MS
                and fresh.visible == fresh.sent
                and fresh.achieved_rate >= B3_RATE_SHARE * fresh.rate
            ),
            ceiling=services.round_trip.p99,
            ceiling_measures="B3's Kafka produce→consume round trip: p99",
            text=_latency_text(fresh.latency) + f" ({fresh.visible:,} of {fresh.sent:,} visible; "
            f"{fresh.achieved_rate:,.0f} commands/s achieved; moonshot {moonshot})",
            ceiling_text=_latency_text(services.round_trip),
            details={
                "freshness": asdict(services.freshness),
                "achieved_rate": fresh.achieved_rate,
                "moonshot_met": fresh.latency.p99 <= B6_MOONSHOT_P99_MS,
                "round_trip": asdict(services.round_trip),
                "cores_used": services.cores["B6"],
            },
        ),
        Figure(
            id="B7",
            measures="GET /api/v1/figures (national, as the ministry) after the workload, "
            "32 clients: p99",
            value=query.load.latency.p99,
            unit="ms",
            bar="p99 ≤ 50 ms",
            met=query.load.latency.p99 <= B7_P99_MS and not any(query.load.errors.values()),
            ceiling=query.no_op.latency.p99,
            ceiling_measures="GET /health/live, same server and clients: p99",
            text=_load_text(query.load)
            + f"; an answer computed after an event: p50 {query.computed.p50:.0f} ms, "
            f"max {query.computed.max:.0f} ms",
            ceiling_text=_load_text(query.no_op),
            details={
                "figures": asdict(query.load),
                "no_op": asdict(query.no_op),
                "share_of_ceiling_rate": round(
                    query.load.requests_per_second / query.no_op.requests_per_second, 3
                ),
                "computed_answers": asdict(query.computed),
                "computed_answers_for_a_period": asdict(query.computed_for_a_period),
                "answer_checked": query.answer,
                "cores_used": services.cores["B7"],
                "ceiling_cores_used": services.cores["B7 ceiling"],
            },
        ),
    ]
    return figures


async def run_benchmark(profile: Profile, ports: Ports) -> Report:
    """Run every measurement of ``profile`` on a fresh bench stack; the report."""
    load_before = os.getloadavg()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    started = perf_counter()
    async with running_bench_stack(ports.kafka, ports.postgres) as bench_stack:
        postgres = await bench_stack.postgres_version()
        log = await _log_phase(bench_stack, profile.size)
        services = await _services_phase(bench_stack, profile, ports)
    notes = [
        "Each ceiling is measured in the same run, on the same stack and machine.",
        f"The workload was published at {log.publication.events_per_second:,.0f} events/s "
        "(built by the contract models in a second process; not a bar).",
        "B7 reads a quiet system: the insights service keeps an answer until its projection "
        "applies another event; the answer computed after an event is measured beside it "
        "(details.computed_answers), and one for a period (computed_answers_for_a_period).",
    ]
    size = profile.size
    if size.distinct_offices < size.bapas:
        notes.append(
            f"The reference data knows {size.distinct_offices} offices: the workload's "
            f"{size.bapas} Bapas share their codes in turn (the insights service refuses "
            "events of an unknown office)."
        )
    if not wrk_available():
        notes.append(
            "wrk is missing: B2 and B7 used a Python client sharing the cores (understated)."
        )
    sizes = {
        **asdict(profile.size),
        "http_seconds": profile.http_seconds,
        "end_to_end_rate": profile.end_to_end_rate,
        "end_to_end_seconds": profile.end_to_end_seconds,
        "round_trips": profile.round_trips,
    }
    return Report(
        profile=profile.name,
        started_at=started_at,
        seconds=perf_counter() - started,
        machine=machine(load_before, os.getloadavg()),
        versions=versions(bench_stack.kafka_version, postgres, _wrk_version()),
        sizes=sizes,
        workload={
            "events": log.publication.events,
            "by_topic": log.publication.by_topic,
            "seconds": round(log.publication.seconds, 2),
        },
        figures=_figures(services, log),
        notes=notes,
    )
