"""One benchmark run, in the order that keeps each measurement clean.

1. A fresh bench stack (:mod:`bench.stack`).
2. The national workload published (:mod:`bench.publish`); then B1's ceiling, B1 and
   B4 on the enrolment topic (:mod:`bench.projection`), each result checked against
   what the workload implies.
3. The topics emptied (deleted and created again), so that the services do not spend
   the run catching up on two million events (the notifications service reads every
   enrolment event); the broker keeps its warm JIT.
4. The three services as processes, on empty databases (:mod:`bench.services`): B3
   and its Kafka round trip first, while nothing else runs, then B2's ceiling and B2,
   then B5, the peak memory each service reached. Where the CPU went during each is
   recorded (:mod:`bench.cpu`).
5. The stack stopped and wiped.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from time import perf_counter

from bench.cpu import children, cores_used, snapshot
from bench.end_to_end import EndToEnd, kafka_round_trip, programme_visibility
from bench.http_load import HttpLoad, no_op, officers, register_pokmas, wrk_available
from bench.latency import Latency
from bench.projection import (
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
    empty_topics,
    running_bench_stack,
)
from bench.workload import FULL, QUICK, NationalWorkload, WorkloadSize
from shared.kafka.topics import ENROLMENT_EVENTS
from shared.stack.processes import running_pid

SEED = 2026
MIB = 2**20
B1_EVENTS_PER_SECOND = 30_000
B1_SHARE_OF_CEILING = 0.3
B2_COMMANDS_PER_SECOND = 1_000
B2_P99_MS = 100
B3_P99_MS = 250
B3_RATE_SHARE = 0.95
"""B3's latency counts at its rate: the service must keep up with 95 % of it."""
B4_SECONDS_PER_2M = 90
B5_MIB = 300


@dataclass(frozen=True)
class Profile:
    name: str
    size: WorkloadSize
    http_seconds: float
    """How long B2 and its ceiling each run."""
    end_to_end_rate: float
    end_to_end_seconds: float
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
class ServiceFigures:
    round_trip: Latency
    end_to_end: EndToEnd
    no_op: HttpLoad
    commands: HttpLoad
    peak_rss: dict[str, int]
    cores: dict[str, dict[str, float]]
    """Cores each process kept busy during B3, B2's ceiling and B2."""


def _processes(bench_stack: BenchStack, services: RunningServices) -> dict[str, list[int]]:
    """The benchmark's processes by name, PostgreSQL with its backends."""
    postmaster = bench_stack.stack.postgres.running_pid()
    kafka = bench_stack.stack.kafka
    brokers = [running_pid(kafka.pid_file(node)) for node in kafka.cluster.nodes]
    return {
        **{name: [pid] for name, pid in services.pids.items()},
        "kafka": [pid for pid in brokers if pid is not None],
        "postgres": [] if postmaster is None else [postmaster, *children(postmaster)],
        "bench": [os.getpid()],
    }


@dataclass(frozen=True)
class LogFigures:
    publication: Publication
    raw: Consumption
    catch_up: Consumption
    join_seconds: float
    """How long B1's consumer took to join its group, before its clock started."""
    rebuild: Consumption


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
    async with running_services(bench_stack, first_port=ports.services) as services:
        pokmas = services.url("pokmas")
        round_trip = await kafka_round_trip(
            bench_stack.bootstrap_servers, ROUND_TRIP_TOPIC, profile.round_trips
        )
        before = snapshot(_processes(bench_stack, services))
        end_to_end = await programme_visibility(
            pokmas,
            bench_stack.database_url("enrolment"),
            callers,
            rate=profile.end_to_end_rate,
            seconds=profile.end_to_end_seconds,
        )
        cores["B3"] = cores_used(before, snapshot(_processes(bench_stack, services)))
        before = snapshot(_processes(bench_stack, services))
        ceiling = await no_op(pokmas, profile.http_seconds)
        after = snapshot(_processes(bench_stack, services))
        cores["B2 ceiling"] = cores_used(before, after, {"wrk": ceiling.client_cpu_seconds})
        before = snapshot(_processes(bench_stack, services))
        commands = await register_pokmas(pokmas, profile.http_seconds, callers)
        after = snapshot(_processes(bench_stack, services))
        cores["B2"] = cores_used(before, after, {"wrk": commands.client_cpu_seconds})
        peak_rss = {name: peak_rss_bytes(pid) for name, pid in services.pids.items()}
    return ServiceFigures(round_trip, end_to_end, ceiling, commands, peak_rss, cores)


async def _log_phase(bench_stack: BenchStack, size: WorkloadSize) -> LogFigures:
    bootstrap = bench_stack.bootstrap_servers
    publication = await publish_workload(bootstrap, size, SEED)
    workload = NationalWorkload(size, seed=SEED)
    for _ in workload.pokmas_events():  # draws the programmes as the publication did
        pass
    expected = workload.expected_seats()
    raw = await raw_consumption(bootstrap, ENROLMENT_EVENTS)
    database_url = bench_stack.database_url(PROJECTION_DATABASE)
    await prepare_projection_database(database_url)
    caught_up, join_seconds = await catch_up(bootstrap, database_url)
    await verify_seats(database_url, expected, caught_up.events)
    rebuilt = await rebuild(bootstrap, database_url)
    await verify_seats(database_url, expected, caught_up.events)
    return LogFigures(publication, raw, caught_up, join_seconds, rebuilt)


PLATFORM = ("pokmas", "enrolment", "notifications", "kafka", "postgres")


def _platform_cpu_ms(cores: dict[str, float], per_second: float) -> float:
    """Milliseconds of CPU the platform's processes spent per command."""
    return round(sum(cores[name] for name in PLATFORM) / per_second * 1000, 2)


def _latency_text(latency: Latency) -> str:
    return f"p50 {latency.p50:.1f} ms, p95 {latency.p95:.1f} ms, p99 {latency.p99:.1f} ms"


def _figures(services: ServiceFigures, log: LogFigures) -> list[Figure]:
    raw_rate = log.raw.events_per_second
    b1_rate = log.catch_up.events_per_second
    commands, ceiling = services.commands, services.no_op
    end_to_end = services.end_to_end
    b4_bar = B4_SECONDS_PER_2M * log.rebuild.events / 2_000_000
    b4_ceiling = log.rebuild.events / raw_rate
    figures = [
        Figure(
            id="B1",
            measures="projection catching up from offset 0, effectively-once into Postgres",
            value=b1_rate,
            unit="events/s",
            bar="≥ 30,000 events/s and ≥ 0.3 × ceiling",
            met=b1_rate >= B1_EVENTS_PER_SECOND and b1_rate >= B1_SHARE_OF_CEILING * raw_rate,
            ceiling=raw_rate,
            ceiling_measures="raw aiokafka getmany of the same topic",
            text=f"{b1_rate:,.0f} events/s "
            f"({log.catch_up.events:,} in {log.catch_up.seconds:.1f} s)",
            ceiling_text=f"{raw_rate:,.0f} events/s",
            details={
                "catch_up": asdict(log.catch_up),
                "raw": asdict(log.raw),
                "group_join_seconds": round(log.join_seconds, 3),
            },
        ),
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
            text=f"{commands.requests_per_second:,.0f} commands/s; "
            + _latency_text(commands.latency),
            ceiling_text=f"{ceiling.requests_per_second:,.0f} requests/s; "
            + _latency_text(ceiling.latency),
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
        Figure(
            id="B4",
            measures="rebuilding the B1 projection from the event log",
            value=log.rebuild.seconds,
            unit="s",
            bar=f"≤ 90 s per 2,000,000 events ({b4_bar:.1f} s for these)",
            met=log.rebuild.seconds <= b4_bar,
            ceiling=b4_ceiling,
            ceiling_measures="the events at B1's ceiling rate",
            text=f"{log.rebuild.seconds:.1f} s for {log.rebuild.events:,} events "
            f"({log.rebuild.events_per_second:,.0f} events/s)",
            ceiling_text=f"{b4_ceiling:.1f} s",
            details={"rebuild": asdict(log.rebuild)},
        ),
    ]
    for name, peak in services.peak_rss.items():
        figures.append(
            Figure(
                id=f"B5.{name}",
                measures=f"peak RSS (VmHWM) of the {name} service, through B2 and B3",
                value=peak / MIB,
                unit="MiB",
                bar="≤ 300 MiB",
                met=peak <= B5_MIB * MIB,
                text=f"{peak / MIB:.0f} MiB",
            )
        )
    return figures


async def run_benchmark(profile: Profile, ports: Ports) -> Report:
    """Run every measurement of ``profile`` on a fresh bench stack; the report."""
    load_before = os.getloadavg()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    started = perf_counter()
    async with running_bench_stack(ports.kafka, ports.postgres) as bench_stack:
        postgres = await bench_stack.postgres_version()
        log = await _log_phase(bench_stack, profile.size)
        await empty_topics(bench_stack)
        services = await _services_phase(bench_stack, profile, ports)
    notes = [
        "Each ceiling is measured in the same run, on the same stack and machine.",
        f"The workload was published at {log.publication.events_per_second:,.0f} events/s "
        "(built by the contract models in a second process; not a bar).",
    ]
    if not wrk_available():
        notes.append("wrk is missing: B2 used a Python client sharing the cores (understated).")
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
