"""``bapas demo``: plays the Balikpapan scenario against the stack ``make up`` started,
narrating each step and the events it published, and ends with the employers, vacancies
and placements of the run, a certificate's public verification, the wajib lapor of the
klien recommended for revocation, who reads the klien transferred to Samarinda, the
office's figures as the insights service computes them, the notifications sent, and the
dashboard link.

The scenario runs the check of wajib lapor on demand, on the enrolment database the
enrolment service's settings name, as ``bapas supervision check-reports`` does."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
from aiokafka.errors import KafkaError
from rich.table import Table

from services.enrolment.settings import EnrolmentSettings
from shared.cli.console import console, fail, kafka_of_the_environment
from shared.cli.supervision import check_reports_at
from shared.demo.balikpapan import BAPAS, Scenario
from shared.demo.client import DemoError, PlatformClient, ServiceUrls, eventually, token_for
from shared.demo.supervision import NEW_OFFICE, ReportCheck
from shared.demo.watch import EventWatcher
from shared.events.envelope import Envelope, EventPayload
from shared.http import Role
from shared.kafka.connection import KafkaConnection
from shared.stack.errors import StackError


def report_check(settings: EnrolmentSettings) -> ReportCheck:
    """The check of wajib lapor now, on the enrolment database of ``settings``: what
    ``bapas supervision check-reports`` runs."""

    async def check() -> list[Envelope[EventPayload]]:
        try:
            return await check_reports_at(settings, datetime.now(UTC))
        except (OSError, asyncpg.PostgresError) as error:
            raise DemoError(f"the enrolment database does not answer: {error}") from None

    return check


def _show_events(counts: Counter[tuple[str, str]]) -> None:
    for (topic, event_type), count in sorted(counts.items()):
        console.print(f"    [dim]{topic}[/]  {event_type} ×{count}")


async def _play(kafka: KafkaConnection, urls: ServiceUrls) -> None:
    watcher = EventWatcher(kafka)
    started = datetime.now(UTC)
    try:
        await watcher.start()
        async with httpx.AsyncClient(timeout=30) as http:
            client = PlatformClient(urls, http)
            scenario = Scenario(
                client,
                report_check(EnrolmentSettings()),
                narrate=lambda line: console.print(f"[green]●[/] {line}"),
            )
            console.rule(f"Bapas Kelas II Balikpapan — demo run {scenario.mark}")
            for step in scenario.steps():
                await step()
                _show_events(await watcher.since_last())
            await _show_employment(scenario)
            await _show_supervision(scenario)
            await _show_figures(client, scenario)
            await _show_notifications(client, scenario, started)
            _show_dashboard_link(client.urls)
    finally:
        await watcher.stop()


async def _figures_settled(client: PlatformClient, token: str) -> None:
    """Wait until the insights service has applied what the steps published: its count
    of events applied holds still across a poll (the watcher already let the relays
    publish everything)."""
    last: object = None

    async def settled() -> bool:
        nonlocal last
        now = await client.read("insights", "/as-of", token=token)
        steady: bool = now == last
        last = now
        return steady

    await eventually("the insights service to apply the events", settled)


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.0%}"


def _cell(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "—" if value is None else str(value)


def _rows_table(title: str, rows: Sequence[Mapping[str, Any]]) -> Table:
    """A table of ``rows``, one column per key, numbers on the right."""
    table = Table(title=title)
    for column, value in rows[0].items():
        numeric = isinstance(value, int) and not isinstance(value, bool)
        table.add_column(column.replace("_", " "), justify="right" if numeric else "left")
    for row in rows:
        table.add_row(*(_cell(value) for value in row.values()))
    return table


async def _show_employment(scenario: Scenario) -> None:
    hiring = scenario.hiring
    run = f"run {scenario.mark} (employment service)"
    console.print(_rows_table(f"Employers of {run}", await hiring.employer_rows()))
    vacancies = await hiring.vacancy_rows()
    console.print(_rows_table(f"Vacancies of {run}; candidates of this run", vacancies))
    console.print(_rows_table(f"Placements of {run}", await hiring.placement_rows()))
    console.print("The certificate's public verification (enrolment service, JSON):")
    console.print_json(data=hiring.certificate_check)


async def _show_supervision(scenario: Scenario) -> None:
    supervision = scenario.supervision
    lapse, move = supervision.lapse, supervision.move
    if lapse is None or move is None:
        raise DemoError("the supervision steps were not played")
    title = f"Wajib lapor of klien {lapse.register_number} (enrolment service)"
    console.print(_rows_table(title, await supervision.due_date_rows()))
    compliance = await supervision.compliance()
    console.print(_rows_table("Its reporting compliance", [compliance]))
    title = f"Who reads klien {move.register_number} after its transfer (enrolment service)"
    console.print(_rows_table(title, supervision.readers_of_the_move()))


EMPLOYER_FIGURES = (
    ("employers with a fair-chance pledge", "employers_pledged"),
    ("vacancies posted", "vacancies_posted"),
    ("positions offered", "positions_offered"),
    ("klien placed", "klien_placed"),
    ("retained at the 6-week check", "placements_retained_6_weeks"),
    ("retained at the 6-month check", "placements_retained_6_months"),
    ("retention rate at 6 months", "retention_rate_6_months"),
    ("placements ended", "placements_ended"),
)
"""The employer figures, shown when the insights service computes them."""

SUPERVISION_FIGURES = (
    ("reports recorded", "reports_recorded"),
    ("due dates missed", "reports_missed"),
    ("klien recommended for revocation", "klien_recommended_for_revocation"),
    ("revocations awaiting a decision", "klien_revocation_pending"),
    ("klien transferred in", "transfers_in"),
    ("klien transferred out", "transfers_out"),
)
"""The figures of wajib lapor and transfers, shown when the insights service computes
them."""


def _figure(key: str, value: object) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{reason} {count}" for reason, count in value.items() if count) or "0"
    if key.endswith("_rate") or "_rate_" in key:
        return _percent(value if isinstance(value, float | int) else None)
    return "—" if value is None else str(value)


async def _show_figures(client: PlatformClient, scenario: Scenario) -> None:
    await _figures_settled(client, scenario.officer)
    office = await client.read("insights", f"/figures/bapas/{BAPAS}", token=scenario.officer)
    totals = office["totals"]
    summary = Table(title=f"{office['scope']['name']}, every run (insights service)")
    summary.add_column("figure")
    summary.add_column("value", justify="right")
    for label, value in (
        ("klien released", totals["klien_released"]),
        ("enrolments", totals["enrolments"]),
        ("completions", totals["completions"]),
        ("withdrawals", totals["withdrawals"]),
        ("klien employed", totals["klien_employed"]),
        ("completion rate", _percent(totals["completion_rate"])),
        ("employed after training", _percent(totals["employment_rate_after_training"])),
        ("withdrawn for work, no employment recorded", totals["withdrawn_for_work_unrecorded"]),
    ):
        summary.add_row(label, str(value))
    for label, key in (*EMPLOYER_FIGURES, *SUPERVISION_FIGURES):
        if key in totals:
            summary.add_row(label, _figure(key, totals[key]))
    console.print(summary)
    table = Table(title=f"The Pokmas of run {scenario.mark} (insights service)")
    table.add_column("Pokmas", no_wrap=True)
    for column in ("enrolled", "completed", "withdrawn", "suspended", "employed"):
        table.add_column(column, justify="right")
    run = f" ({scenario.mark})"
    for row in office["by_pokmas"]:
        if row["name"].endswith(run):
            table.add_row(
                row["name"].removesuffix(run),
                *(
                    str(row[key])
                    for key in (
                        "enrolments",
                        "completions",
                        "withdrawals",
                        "enrolments_suspended",
                        "klien_employed_after_training",
                    )
                ),
            )
    console.print(table)


def _show_dashboard_link(urls: ServiceUrls) -> None:
    token = token_for(Role.MINISTRY, sub="demo")
    console.print(
        "The dashboard (ministry view; development sign-in):\n"
        f"  {urls.insights}/dashboard/sign-in?token={token}",
        soft_wrap=True,
    )


async def _show_notifications(client: PlatformClient, scenario: Scenario, since: datetime) -> None:
    await asyncio.sleep(3)  # the delivery worker sends within a poll interval or two
    offices = ((BAPAS, scenario.officer), (NEW_OFFICE, scenario.supervision.new_officer))
    deliveries = [
        item
        for office, officer in offices
        for item in await client.read_all(
            "notifications", "/notifications", token=officer, bapas_code=office
        )
        if datetime.fromisoformat(item["created_at"]) >= since
    ]
    counts = Counter((item["template"], item["channel"], item["status"]) for item in deliveries)
    table = Table(title="Notifications of this run (Balikpapan and Samarinda)")
    for column in ("template", "channel", "status", "count"):
        table.add_column(column, justify="right" if column == "count" else "left")
    for (template, channel, status), count in sorted(counts.items()):
        table.add_row(template, channel, status, str(count))
    console.print(table)


def demo() -> None:
    """Play the Balikpapan scenario against the running stack (``make up``), reaching
    the services on the ports their settings name (``POKMAS_PORT`` …)."""
    kafka = kafka_of_the_environment()
    try:
        urls = ServiceUrls()
        asyncio.run(_play(kafka, urls))
    except (httpx.ConnectError, KafkaError) as error:
        raise fail(f"the stack does not answer: is it up (`make up`)? ({error!r})") from None
    except (DemoError, StackError) as error:
        raise fail(str(error)) from None
