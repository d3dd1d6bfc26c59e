"""``bapas demo``: plays the Balikpapan scenario against the stack ``make up`` started,
narrating each step and the events it published, and ends with the programmes and
the notifications sent."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from datetime import UTC, datetime

import httpx
from aiokafka.errors import KafkaError
from rich.table import Table

from shared.cli.console import console, fail
from shared.demo.balikpapan import BAPAS, Scenario
from shared.demo.client import DemoError, PlatformClient, ServiceUrls
from shared.demo.watch import EventWatcher
from shared.stack.local import LocalStack


def _show_events(counts: Counter[tuple[str, str]]) -> None:
    for (topic, event_type), count in sorted(counts.items()):
        console.print(f"    [dim]{topic}[/]  {event_type} ×{count}")


async def _play(bootstrap: str) -> None:
    watcher = EventWatcher(bootstrap)
    started = datetime.now(UTC)
    try:
        await watcher.start()
        async with httpx.AsyncClient(timeout=30) as http:
            client = PlatformClient(ServiceUrls(), http)
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
            await _show_programmes(scenario)
            await _show_notifications(client, scenario, started)
    finally:
        await watcher.stop()


async def _show_programmes(scenario: Scenario) -> None:
    table = Table(title="Programmes of this run (enrolment service; seats from the pokmas view)")
    for column in ("programme", "enrolled", "completed", "withdrawn", "suspended", "seats taken"):
        table.add_column(column, justify="left" if column == "programme" else "right")
    for row in await scenario.programme_table():
        table.add_row(
            row["programme"],
            *(str(row[key]) for key in ("enrolled", "completed", "withdrawn", "suspended")),
            str(row["seats_taken"]),
        )
    console.print(table)


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
    """Play the Balikpapan scenario against the running stack (``make up``)."""
    bootstrap = (
        os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or LocalStack.from_environment().bootstrap_servers
    )
    try:
        asyncio.run(_play(bootstrap))
    except (httpx.ConnectError, KafkaError) as error:
        raise fail(f"the stack does not answer: is it up (`make up`)? ({error!r})") from None
    except DemoError as error:
        raise fail(str(error)) from None
