"""``bapas demo``: plays the Balikpapan scenario against the stack ``make up`` started,
narrating each step and the events it published, and ends with the office's figures
as the insights service computes them, the notifications sent, and the dashboard link."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime

import httpx
from aiokafka.errors import KafkaError
from rich.table import Table

from shared.cli.console import console, fail, kafka_of_the_environment
from shared.demo.balikpapan import BAPAS, Scenario
from shared.demo.client import DemoError, PlatformClient, ServiceUrls, eventually, token_for
from shared.demo.watch import EventWatcher
from shared.http import Role
from shared.kafka.connection import KafkaConnection
from shared.stack.errors import StackError


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
            scenario = Scenario(client, narrate=lambda line: console.print(f"[green]●[/] {line}"))
            console.rule(f"Bapas Kelas II Balikpapan — demo run {scenario.mark}")
            for step in (
                scenario.register_pokmas_and_sign_mous,
                scenario.open_programmes,
                scenario.release_and_enrol_klien,
                scenario.attend_complete_and_withdraw,
                scenario.terminate_one_mou,
                scenario.record_employment,
                scenario.wait_until_pokmas_counts_the_seats,
            ):
                await step()
                _show_events(await watcher.since_last())
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
    deliveries = [
        item
        for item in await client.read_all(
            "notifications", "/notifications", token=scenario.officer, bapas_code=BAPAS
        )
        if datetime.fromisoformat(item["created_at"]) >= since
    ]
    counts = Counter((item["template"], item["channel"], item["status"]) for item in deliveries)
    table = Table(title="Notifications of this run")
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
