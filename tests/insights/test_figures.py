"""Every figure the insights API answers equals the one computed independently from the
events it was fed, at every level and for several periods, live and after a rebuild.

The service is fed a seeded, realistic history (``scenario``) on three private topics,
as the pokmas, enrolment and employment services' relays publish it, and its answers are compared
whole (totals and every breakdown row, keys in order) with what ``oracle`` computes from
the same list of events. The projection is then rebuilt from the topics and compared
again: a read model that only adds up right while it runs live is not rebuildable.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from services.insights.app import create_app
from services.insights.projections import figures_projection
from shared.events.envelope import Envelope, EventPayload
from shared.http import Role
from shared.kafka.connection import KafkaConnection
from shared.projections import rebuild_projection
from shared.reference.offices import offices_in_province
from tests.insights.conftest import InsightsTopics, publish, wait_until_all_applied
from tests.insights.oracle import Oracle, Period, csv_columns, csv_values
from tests.insights.scenario import PERIODS, build_scenario, missing_coverage
from tests.support.service_app import bearer, running_service

Event = Envelope[EventPayload]

TOLERANCE = 1e-9
MINISTRY = bearer(Role.MINISTRY)
SHOWN = 80
"""How many differences a failure lists (the count says how many there are)."""


@dataclass(frozen=True)
class Fed:
    """The events the service was fed, the oracle's view of them, and the service."""

    events: list[Event]
    oracle: Oracle
    api: httpx.AsyncClient


def _levels(oracle: Oracle) -> list[tuple[str, str | None, str]]:
    """(level, code, path) of every scope the scenario touches: the nation, each of its
    provinces, every office of those provinces (with events or not) and each Pokmas."""
    levels: list[tuple[str, str | None, str]] = [("national", None, "/api/v1/figures")]
    provinces = oracle.provinces()
    levels += [
        ("province", province, f"/api/v1/figures/provinces/{province}") for province in provinces
    ]
    offices = sorted(office.code for p in provinces for office in offices_in_province(p))
    levels += [("bapas", code, f"/api/v1/figures/bapas/{code}") for code in offices]
    levels += [
        ("pokmas", str(pokmas_id), f"/api/v1/figures/pokmas/{pokmas_id}")
        for pokmas_id in oracle.pokmas_ids()
    ]
    return levels


def _differences(expected: Any, actual: Any, where: str, *, ordered: bool = True) -> list[str]:
    """Where ``actual`` (the API's JSON) differs from ``expected`` (the oracle's)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {actual!r}"]
        found: list[str] = []
        if list(actual) != list(expected) if ordered else set(actual) != set(expected):
            found.append(f"{where}: keys {list(actual)}, expected {list(expected)}")
        for key, value in expected.items():
            if key in actual:
                found += _differences(
                    value, actual[key], f"{where}.{key}", ordered=key not in {"scope", "period"}
                )
        return found
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{where}: expected a list, got {actual!r}"]
        expected_keys = [row["key"] for row in expected]
        actual_keys = [row.get("key") if isinstance(row, dict) else row for row in actual]
        found = []
        if actual_keys != expected_keys:
            found.append(f"{where}: row keys {actual_keys}, expected {expected_keys}")
        by_key = {key: row for key, row in zip(actual_keys, actual, strict=True)}
        for key, row in zip(expected_keys, expected, strict=True):
            if key in by_key:
                found += _differences(row, by_key[key], f"{where}[{key}]")
        return found
    if isinstance(expected, datetime):
        if not isinstance(actual, str) or datetime.fromisoformat(actual) != expected:
            return [f"{where}: {actual!r}, expected {expected.isoformat()}"]
        return []
    if isinstance(expected, float):
        if (
            isinstance(actual, bool)
            or not isinstance(actual, int | float)
            or abs(actual - expected) > TOLERANCE
        ):
            return [f"{where}: {actual!r}, expected {expected!r}"]
        return []
    if isinstance(expected, int) and (type(actual) is not int or actual != expected):
        return [f"{where}: {actual!r}, expected {expected!r}"]
    if expected != actual:
        return [f"{where}: {actual!r}, expected {expected!r}"]
    return []


async def _compare_every_level(fed: Fed, stage: str) -> None:
    problems: list[str] = []
    compared = 0
    for level, code, path in _levels(fed.oracle):
        for period in PERIODS:
            where = f"{stage} {path}?{'&'.join(f'{k}={v}' for k, v in period.params().items())}"
            before = datetime.now(UTC)
            response = await fed.api.get(path, params=period.params(), headers=MINISTRY)
            after = datetime.now(UTC)
            if response.status_code != 200:
                problems.append(f"{where}: {response.status_code} {response.text}")
                continue
            answer = response.json()
            found = _differences(
                fed.oracle.answer(level, code, period, before), answer, where, ordered=False
            )
            if found:  # a day may have begun at an office between the two instants
                found = min(
                    found,
                    _differences(
                        fed.oracle.answer(level, code, period, after), answer, where, ordered=False
                    ),
                    key=len,
                )
            problems += found
            compared += 1
    assert compared >= 100
    assert not problems, f"{len(problems)} differences:\n" + "\n".join(problems[:SHOWN])


def _cell_differences(expected: Any, cell: str, where: str) -> list[str]:
    if expected is None:
        return [] if cell == "" else [f"{where}: {cell!r}, expected an empty cell"]
    if isinstance(expected, float):
        try:
            if abs(float(cell) - expected) <= TOLERANCE:
                return []
        except ValueError:
            pass
        return [f"{where}: {cell!r}, expected {expected!r}"]
    return [] if cell == str(expected) else [f"{where}: {cell!r}, expected {expected!r}"]


async def _compare_csv(fed: Fed, period: Period, stage: str) -> None:
    """``Accept: text/csv`` on the national path: the by_province rows, cell by cell."""
    before = datetime.now(UTC)
    response = await fed.api.get(
        "/api/v1/figures", params=period.params(), headers={**MINISTRY, "Accept": "text/csv"}
    )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    assert "\n" not in text.replace("\r\n", ""), "lines end with CRLF"
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    expected = fed.oracle.answer("national", None, period, before)["by_province"]
    assert rows[0] == csv_columns(with_name=False)
    assert [row[0] for row in rows[1:]] == [row["key"] for row in expected]
    problems = [
        problem
        for row, cells in zip(expected, rows[1:], strict=True)
        for column, value, cell in zip(rows[0], csv_values(row), cells, strict=True)
        for problem in _cell_differences(value, cell, f"{stage} csv {row['key']}.{column}")
    ]
    assert not problems, "\n".join(problems[:SHOWN])


async def test_every_figure_equals_the_events_at_every_level_live_and_after_a_rebuild(
    kafka_bootstrap: str, database_url: str
) -> None:
    events = build_scenario(now=datetime.now(UTC))
    assert missing_coverage(events) == []
    oracle = Oracle(events)
    newest = max(event.recorded_at for event in events)
    assert oracle.as_of == newest, "the newest event is one the figures count"
    topics = await InsightsTopics.create(kafka_bootstrap, "insights-figures")
    await publish(kafka_bootstrap, topics, events)

    async with running_service(
        create_app,
        service="insights",
        database_url=database_url,
        kafka_bootstrap=kafka_bootstrap,
        extra_environment={"INSIGHTS_TOPICS": topics.setting},
    ) as api:
        fed = Fed(events, oracle, api)
        await wait_until_all_applied(api, events)
        await _compare_every_level(fed, "live")
        await _compare_csv(fed, PERIODS[0], "live")
        await _compare_csv(fed, PERIODS[2], "live")

        progress = await rebuild_projection(
            figures_projection(topics.names),
            kafka=KafkaConnection.to(kafka_bootstrap),
            database_url=database_url,
        )
        assert progress.processed == progress.total == len(events)
        await wait_until_all_applied(api, events)
        await _compare_every_level(fed, "rebuilt")
        await _compare_csv(fed, PERIODS[2], "rebuilt")
