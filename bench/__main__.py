"""``python -m bench``: run the benchmark (B1–B7) and write its report.

``--profile quick`` (the default, a few minutes) or ``--profile full`` (the national
size); any size or duration flag turns the run into a ``custom`` one, so its report
never overwrites a profile's. Results go to ``bench/results/latest-<profile>.json``
and ``.md`` unless ``--results`` names another folder.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
from pathlib import Path
from typing import Annotated

import typer

from bench.run import PROFILES, Ports, Profile, run_benchmark
from bench.services import DEFAULT_FIRST_PORT
from bench.stack import DEFAULT_KAFKA_PORT, DEFAULT_POSTGRES_PORT

RESULTS = Path(__file__).parent / "results"


def _port(variable: str, default: int) -> int:
    return int(os.environ.get(variable, default))


def main(
    profile: Annotated[str, typer.Option(help="quick or full.")] = "quick",
    bapas: Annotated[int | None, typer.Option(min=1, help="Bapas offices.")] = None,
    pokmas: Annotated[int | None, typer.Option(min=1, help="Pokmas.")] = None,
    programmes: Annotated[int | None, typer.Option(min=1, help="Programmes.")] = None,
    clients: Annotated[int | None, typer.Option(min=1, help="Klien.")] = None,
    events: Annotated[int | None, typer.Option(min=1, help="Events in all.")] = None,
    http_seconds: Annotated[
        float | None, typer.Option(min=1, help="B2 and B7 duration (each, and each ceiling).")
    ] = None,
    rate: Annotated[float | None, typer.Option(min=1, help="B3 and B6 commands/s.")] = None,
    end_to_end_seconds: Annotated[
        float | None, typer.Option(min=0.1, help="B3 and B6 duration (each).")
    ] = None,
    round_trips: Annotated[int | None, typer.Option(min=1, help="Kafka round trips.")] = None,
    results: Annotated[Path, typer.Option(help="Folder of the reports.")] = RESULTS,
    kafka_port: Annotated[
        int, typer.Option(help="Bench Kafka port (BAPAS_BENCH_KAFKA_PORT).")
    ] = _port("BAPAS_BENCH_KAFKA_PORT", DEFAULT_KAFKA_PORT),
    postgres_port: Annotated[
        int, typer.Option(help="Bench PostgreSQL port (BAPAS_BENCH_POSTGRES_PORT).")
    ] = _port("BAPAS_BENCH_POSTGRES_PORT", DEFAULT_POSTGRES_PORT),
    service_port: Annotated[
        int,
        typer.Option(
            help="First of the services' ports, one each in order (BAPAS_BENCH_SERVICE_PORT)."
        ),
    ] = _port("BAPAS_BENCH_SERVICE_PORT", DEFAULT_FIRST_PORT),
) -> None:
    """Measure B1–B7 beside their ceilings on a stack of the benchmark's own."""
    if profile not in PROFILES:
        raise typer.BadParameter(f"choose one of {', '.join(PROFILES)}", param_hint="--profile")
    chosen = PROFILES[profile]
    size = {
        name: value
        for name, value in {
            "bapas": bapas,
            "pokmas": pokmas,
            "programmes": programmes,
            "clients": clients,
            "events": events,
        }.items()
        if value is not None
    }
    timing = (http_seconds, rate, end_to_end_seconds, round_trips)
    if size or any(value is not None for value in timing):
        try:
            workload = dataclasses.replace(chosen.size, **size)
        except ValueError as error:
            raise typer.BadParameter(str(error)) from None
        chosen = Profile(
            name="custom",
            size=workload,
            http_seconds=http_seconds or chosen.http_seconds,
            end_to_end_rate=rate or chosen.end_to_end_rate,
            end_to_end_seconds=end_to_end_seconds or chosen.end_to_end_seconds,
            round_trips=round_trips or chosen.round_trips,
        )
    ports = Ports(kafka=kafka_port, postgres=postgres_port, services=service_port)
    report = asyncio.run(run_benchmark(chosen, ports))
    json_path, markdown_path = report.write(results)
    typer.echo(report.markdown())
    typer.echo(f"written: {json_path} and {markdown_path}")


if __name__ == "__main__":
    typer.run(main)
