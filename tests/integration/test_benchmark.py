"""The benchmark keeps working: its smallest run produces every figure of the quality bars.

It runs ``python -m bench`` with a tiny workload and a second or so of each load, on a
stack of its own (ports beside the test session's), and reads the JSON report. It
asserts that each figure was measured, checked and written, never how fast it was: a
timed test on a shared two-core machine would only measure the neighbours.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from shared.stack.paths import repository_root
from tests.support.infrastructure import TEST_KAFKA_PORT, TEST_POSTGRES_PORT

pytestmark = pytest.mark.stack

TINY = {
    "--bapas": 3,
    "--pokmas": 6,
    "--programmes": 12,
    "--clients": 200,
    "--events": 2_000,
    "--http-seconds": 1,
    "--rate": 50,
    "--end-to-end-seconds": 1,
    "--round-trips": 20,
}
BENCH_PORT_OFFSET = 300
"""The bench stack's ports sit this far above the test session's (fault tests use +200)."""


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    results = tmp_path_factory.mktemp("bench-results")
    arguments = [f"{flag}={value}" for flag, value in TINY.items()]
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            *arguments,
            f"--results={results}",
            f"--kafka-port={TEST_KAFKA_PORT + BENCH_PORT_OFFSET}",
            f"--postgres-port={TEST_POSTGRES_PORT + BENCH_PORT_OFFSET}",
            f"--service-port={TEST_KAFKA_PORT + BENCH_PORT_OFFSET + 10}",
        ],
        cwd=repository_root(),
        env={**os.environ, "PYTHONPATH": str(repository_root())},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert (results / "latest-custom.md").read_text().startswith("# Benchmark")
    found: dict[str, Any] = json.loads((results / "latest-custom.json").read_text())
    return found


def _positive(value: object) -> bool:
    return isinstance(value, int | float) and value > 0


def test_the_report_names_the_machine_the_versions_and_the_sizes(report: dict[str, Any]) -> None:
    assert report["machine"]["cores"] >= 1
    assert _positive(report["machine"]["memory_gib"])
    for software in ("python", "kafka", "postgresql"):
        assert report["versions"][software]
    assert report["sizes"]["events"] == TINY["--events"]
    assert report["workload"]["events"] == TINY["--events"]


@pytest.mark.parametrize(
    "figure", ["B1", "B1.insights", "B2", "B3", "B4", "B4.insights", "B6", "B7"]
)
def test_each_figure_is_measured_beside_its_ceiling(report: dict[str, Any], figure: str) -> None:
    measured = report["figures"][figure]
    assert _positive(measured["value"]), measured
    assert _positive(measured["ceiling"]), measured
    assert _positive(measured["ratio"]), measured
    assert isinstance(measured["met"], bool)


def test_latencies_are_percentiles_of_every_sample(report: dict[str, Any]) -> None:
    end_to_end = report["figures"]["B3"]["details"]["end_to_end"]
    fresh = report["figures"]["B6"]["details"]["freshness"]["end_to_end"]
    commands = report["figures"]["B2"]["details"]["commands"]
    figures = report["figures"]["B7"]["details"]
    for latency in (
        end_to_end["latency"],
        fresh["latency"],
        commands["latency"],
        figures["figures"]["latency"],
        figures["computed_answers"],
        figures["computed_answers_for_a_period"],
    ):
        assert latency["p50"] <= latency["p95"] <= latency["p99"] <= latency["max"]
        assert latency["samples"] > 0
    assert end_to_end["visible"] == end_to_end["sent"]


def test_every_pokmas_registered_is_seen_in_the_national_figures(report: dict[str, Any]) -> None:
    freshness = report["figures"]["B6"]["details"]["freshness"]
    fresh = freshness["end_to_end"]
    assert fresh["visible"] == fresh["accepted"] == fresh["sent"]
    moved = freshness["pokmas_registered_after"] - freshness["pokmas_registered_before"]
    assert moved == fresh["accepted"]
    assert freshness["figures_reads"] > 0


def test_the_figures_read_are_those_of_the_workload(report: dict[str, Any]) -> None:
    clients = TINY["--clients"]
    totals = report["figures"]["B7"]["details"]["answer_checked"]["totals"]
    assert totals["klien_released"] == totals["enrolments"] == clients
    assert totals["completions"] + totals["withdrawals"] == clients
    assert report["figures"]["B7"]["details"]["figures"]["errors"]["status"] == 0


def test_the_projection_figures_count_every_event_of_the_topic(report: dict[str, Any]) -> None:
    by_topic = report["workload"]["by_topic"]
    enrolment_events = by_topic["bench.enrolment.events.v1"]
    assert report["figures"]["B1"]["details"]["catch_up"]["events"] == enrolment_events
    assert report["figures"]["B4"]["details"]["rebuild"]["events"] == enrolment_events
    every_event = TINY["--events"]
    assert sum(by_topic.values()) == every_event
    insights = report["figures"]["B1.insights"]["details"]
    assert insights["catch_up"]["events"] == every_event
    assert report["figures"]["B4.insights"]["details"]["rebuild"]["events"] == every_event
    assert insights["figures_verified"]["klien_released"] == TINY["--clients"]


@pytest.mark.parametrize("service", ["pokmas", "enrolment", "notifications", "insights"])
def test_the_peak_memory_of_each_service_is_reported(report: dict[str, Any], service: str) -> None:
    assert _positive(report["figures"][f"B5.{service}"]["value"])


def test_the_run_leaves_no_stack_behind(report: dict[str, Any]) -> None:
    leftover = repository_root() / "var" / f"bench-{TEST_KAFKA_PORT + BENCH_PORT_OFFSET}"
    assert not leftover.exists()
