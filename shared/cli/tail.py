"""``bapas events tail``: a readable live view of the event topics, one line per
event, for a person watching the platform work (and for the demo)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError, UnknownTopicOrPartitionError

from shared.cli.console import console, fail, kafka_does_not_answer, kafka_of_the_environment
from shared.events.registry import Event, InvalidEvent, UnknownEventType, parse_event
from shared.kafka.admin import topic_partitions
from shared.kafka.connection import KafkaConnection
from shared.kafka.topics import EVENT_TOPICS

events_app = typer.Typer(help="Watch the events on the topics.")

_SKIPPED_FIELDS = frozenset({"address", "contact", "pk_officer", "location", "note", "reason"})


def describe(event: Event) -> str:
    """One line: time, office, type, aggregate, and the payload's short fields."""
    fields = event.payload.model_dump(mode="json")
    details = " ".join(
        f"{name}={value}"
        for name, value in fields.items()
        if name not in _SKIPPED_FIELDS and not name.endswith("_id") and not isinstance(value, dict)
    )
    return (
        f"[dim]{event.recorded_at:%H:%M:%S}[/] [cyan]{event.bapas_code:<14}[/] "
        f"[bold]{event.event_type:<22}[/] {event.aggregate_type.value}:"
        f"{str(event.aggregate_id)[:8]} v{event.aggregate_version} {details}"
    )


async def _tail(
    kafka: KafkaConnection, topics: list[str], from_beginning: bool, types: set[str]
) -> None:
    try:
        partitions = await topic_partitions(kafka, topics)
    except UnknownTopicOrPartitionError as missing:
        raise fail(f"{missing} at {kafka.describe()}") from None
    consumer = AIOKafkaConsumer(
        **kafka.client_options(),
        enable_auto_commit=False,
        # The reset assign() starts races with the seek below: make both agree.
        auto_offset_reset="earliest" if from_beginning else "latest",
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        if from_beginning:
            await consumer.seek_to_beginning(*partitions)
        else:
            await consumer.seek_to_end(*partitions)
        async for record in consumer:
            try:
                event = parse_event(record.value or b"")
            except UnknownEventType as unknown:
                console.print(f"[yellow]{record.topic}@{record.offset}: {unknown}[/]")
                continue
            except InvalidEvent as invalid:
                console.print(f"[red]{record.topic}@{record.offset}: {invalid}[/]")
                continue
            if not types or event.event_type in types:
                console.print(describe(event), soft_wrap=True)
    finally:
        await consumer.stop()


@events_app.command("tail")
def tail(
    topic: Annotated[list[str] | None, typer.Option(help="A topic (repeatable).")] = None,
    from_beginning: Annotated[bool, typer.Option(help="Start at the oldest event.")] = False,
    type_: Annotated[
        list[str] | None, typer.Option("--type", help="Only this event type (repeatable).")
    ] = None,
) -> None:
    """Print the events as they arrive, until Ctrl-C."""
    kafka = kafka_of_the_environment()
    try:
        asyncio.run(_tail(kafka, topic or list(EVENT_TOPICS), from_beginning, set(type_ or ())))
    except KafkaError as error:
        raise fail(kafka_does_not_answer(kafka, error)) from None
    except KeyboardInterrupt:
        pass
