"""``bapas deadletters``: what the consumers could not process, why, and its replay once
the cause is fixed.

An operator lists the dead letters (one line each, named ``<partition>:<offset>``),
reads one whole (headers, the full error, the value), and replays chosen ones to their
original topics. Values and headers come from anywhere, so everything printed from a
message is escaped: a dead letter cannot style the output or send control sequences
to the operator's terminal.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import typer
from aiokafka.errors import KafkaError, UnknownTopicOrPartitionError
from rich import box
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from shared.cli.console import console, fail, kafka_does_not_answer, kafka_of_the_environment
from shared.kafka.connection import KafkaConnection
from shared.kafka.topics import DEAD_LETTERS
from shared.projections.deadletters import (
    READ_TIMEOUT,
    DeadLetter,
    DeadLetterFilter,
    DeadLetterId,
    NotReplayable,
    check_replayable,
    parse_dead_letter_id,
    parse_since,
    read_dead_letters,
    read_dead_letters_by_id,
    replay,
)

deadletters_app = typer.Typer(
    help="Messages the consumers could not process: list, read and replay them.",
    no_args_is_help=True,
)

T = TypeVar("T")

DeadLetterTopic = Annotated[
    str, typer.Option("--dead-letter-topic", help="The topic the consumers send them to.")
]
OriginalTopic = Annotated[
    str | None, typer.Option("--topic", help="Only those first published to this topic.")
]
ProjectionName = Annotated[
    str | None, typer.Option("--projection", help="Only those this projection could not apply.")
]
Since = Annotated[
    str | None,
    typer.Option(
        "--since",
        help="Only those dead-lettered since a duration ago (30m, 2h, 7d) or a date or "
        "time (2026-11-30, 2026-11-30T08:00+07:00; UTC without an offset).",
    ),
]


def printable(text: str) -> str:
    """``text`` with every character a terminal would not simply show (controls, escape
    sequences, bidirectional overrides) written as a Python escape; lines and tabs kept."""
    return "".join(c if c.isprintable() or c in "\n\t" else _escaped(c) for c in text)


def _escaped(character: str) -> str:
    code = ord(character)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def readable_bytes(raw: bytes) -> str:
    """Bytes as text: UTF-8 where they are, ``\\xNN`` where they are not."""
    return printable(raw.decode("utf-8", errors="backslashreplace"))


def render_value(value: bytes | None) -> tuple[str, str]:
    """A title and the text of a dead letter's value: pretty JSON when it parses, else
    the bytes shown safely."""
    if value is None:
        return "value: none", ""
    try:
        parsed = json.loads(value)
    except (ValueError, RecursionError):
        return f"value (not JSON, {len(value):,} bytes)", readable_bytes(value)
    return "value (JSON)", printable(json.dumps(parsed, indent=2, ensure_ascii=False))


def _when(letter: DeadLetter) -> str:
    return f"{letter.timestamp:%Y-%m-%d %H:%M:%S}"


def _event(letter: DeadLetter) -> str:
    if letter.event_type is None:
        return "?"
    version = "" if letter.schema_version is None else f" v{letter.schema_version}"
    return f"{letter.event_type}{version}"


def dead_letters_table(letters: Sequence[DeadLetter], *, title: str) -> Table:
    """One line per dead letter: its id, when, who failed it, where from, which event, why.

    The id, time and event type stay whole; in a narrow terminal the other columns are
    cut short, the widest first (``show`` prints everything).
    """
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("id", "when (UTC)", "projection", "from", "event", "event id", "error"):
        table.add_column(column, no_wrap=column in _WHOLE)
    for letter in letters:
        table.add_row(
            *(
                Text(printable(cell), no_wrap=True, overflow="ellipsis")
                for cell in (
                    str(letter.id),
                    _when(letter),
                    letter.projection or "?",
                    letter.origin,
                    _event(letter),
                    letter.event_id or "?",
                    letter.reason,
                )
            )
        )
    return table


_WHOLE = frozenset({"id", "when (UTC)", "event"})


def describe_filter(chosen: DeadLetterFilter) -> str:
    """The criteria in words, e.g. ``from pokmas.events.v1, since 2026-11-30 00:00 UTC``."""
    parts: list[str] = []
    if chosen.topic is not None:
        parts.append(f"from {chosen.topic}")
    if chosen.projection is not None:
        parts.append(f"of projection {chosen.projection}")
    if chosen.since is not None:
        parts.append(f"since {chosen.since.astimezone(UTC):%Y-%m-%d %H:%M} UTC")
    return ", ".join(parts)


def _chosen(topic: str | None, projection: str | None, since: str | None) -> DeadLetterFilter:
    try:
        since_at = parse_since(since, now=datetime.now(UTC)) if since else None
    except ValueError as error:
        raise fail(escape(str(error))) from None
    return DeadLetterFilter(topic=topic, projection=projection, since=since_at)


def _ids(texts: Sequence[str], dead_letter_topic: str) -> list[DeadLetterId]:
    try:
        return [parse_dead_letter_id(text, topic=dead_letter_topic) for text in texts]
    except ValueError as error:
        raise fail(escape(str(error))) from None


def _with_kafka(kafka: KafkaConnection, topic: str, work: Coroutine[Any, Any, T]) -> T:
    """Run ``work``; Kafka away, or the dead-letter topic missing, is a clear failure."""
    try:
        return asyncio.run(work)
    except UnknownTopicOrPartitionError:
        raise fail(
            f"there is no topic {topic} at {kafka.describe()} "
            "(`bapas topics create` makes the platform's topics)"
        ) from None
    except TimeoutError:
        raise fail(
            f"Kafka at {kafka.describe()} did not deliver the messages of {topic} "
            f"within {READ_TIMEOUT:.0f} s; is a broker down?"
        ) from None
    except (KafkaError, OSError) as error:
        raise fail(kafka_does_not_answer(kafka, error)) from None


@deadletters_app.command("list")
def list_dead_letters(
    topic: OriginalTopic = None,
    projection: ProjectionName = None,
    since: Since = None,
    dead_letter_topic: DeadLetterTopic = DEAD_LETTERS,
) -> None:
    """One line per dead letter, oldest first: its id (for show and replay), when, the
    projection that failed it, where it was first published, its event and why."""
    chosen = _chosen(topic, projection, since)
    kafka = kafka_of_the_environment()
    letters = _with_kafka(
        kafka,
        dead_letter_topic,
        read_dead_letters(kafka, topic=dead_letter_topic, chosen=chosen),
    )
    criteria = f" ({describe_filter(chosen)})" if chosen.chooses else ""
    if not letters:
        console.print(
            f"No dead letters on {dead_letter_topic}{criteria}: "
            + ("none match." if criteria else "no consumer has refused a message."),
            markup=False,
        )
        return
    console.print(
        dead_letters_table(
            letters, title=f"{len(letters):,} dead letter(s) on {dead_letter_topic}{criteria}"
        )
    )


@deadletters_app.command("show")
def show(
    id_: Annotated[str, typer.Argument(metavar="ID", help="As `list` shows it, e.g. 3:17.")],
    dead_letter_topic: DeadLetterTopic = DEAD_LETTERS,
) -> None:
    """Everything about one dead letter: its headers, the whole error, and its value."""
    wanted = _ids([id_], dead_letter_topic)[0]
    kafka = kafka_of_the_environment()
    found = _with_kafka(
        kafka,
        dead_letter_topic,
        read_dead_letters_by_id(kafka, [wanted], topic=dead_letter_topic),
    )
    letter = found.get(wanted)
    if letter is None:
        raise fail(f"no dead letter {wanted} on {dead_letter_topic}")
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    for name, fact in (
        ("dead letter", f"{dead_letter_topic}[{letter.partition}]@{letter.offset}"),
        ("when (UTC)", _when(letter)),
        ("projection", letter.projection or "?"),
        ("consumer group", letter.consumer_group or "?"),
        ("first published", letter.origin),
        ("event", _event(letter)),
        ("event id", letter.event_id or "?"),
        ("key", "none" if letter.key is None else readable_bytes(letter.key)),
    ):
        facts.add_row(name, Text(printable(fact)))
    console.print(facts)
    headers = Table(title="headers", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    headers.add_column("name", no_wrap=True)
    headers.add_column("value", overflow="fold")
    for name, value in letter.headers:
        headers.add_row(Text(printable(name)), Text(readable_bytes(value)))
    console.print(headers)
    console.print(Text("error", style="bold"))
    console.print(Text(printable(letter.error or "none given")))
    title, body = render_value(letter.value)
    console.print(Text(title, style="bold"))
    console.print(Text(body), soft_wrap=True)


@deadletters_app.command("replay")
def replay_dead_letters(
    ids: Annotated[
        list[str] | None, typer.Argument(metavar="ID", help="As `list` shows them, e.g. 3:17.")
    ] = None,
    every: Annotated[
        bool, typer.Option("--all", help="Every dead letter the filters choose.")
    ] = False,
    topic: OriginalTopic = None,
    projection: ProjectionName = None,
    since: Since = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Replay without asking.")] = False,
    dead_letter_topic: DeadLetterTopic = DEAD_LETTERS,
) -> None:
    """Publish the chosen dead letters again to their original topics, with their
    original key and value, once their cause is fixed.

    The projection that failed each one applies it once; the other consumers of the
    topic already have the event and skip it, and a second replay changes nothing.
    """
    if bool(ids) == every:
        raise fail("name the dead letters to replay (e.g. 3:17 3:18) or pass --all, not both")
    chosen = _chosen(topic, projection, since)
    kafka = kafka_of_the_environment()
    if ids:
        wanted = _ids(ids, dead_letter_topic)
        found = _with_kafka(
            kafka,
            dead_letter_topic,
            read_dead_letters_by_id(kafka, wanted, topic=dead_letter_topic),
        )
        if missing := sorted({str(i) for i in wanted if i not in found}):
            raise fail(f"no dead letter {', '.join(missing)} on {dead_letter_topic}")
        letters = [letter for letter in found.values() if chosen.admits(letter)]
    else:
        letters = _with_kafka(
            kafka,
            dead_letter_topic,
            read_dead_letters(kafka, topic=dead_letter_topic, chosen=chosen),
        )
    if not letters:
        console.print(
            f"Nothing to replay: no dead letter on {dead_letter_topic} is chosen.", markup=False
        )
        return
    try:
        check_replayable(letters)
    except NotReplayable as refused:
        raise fail(escape(f"nothing replayed: {refused}")) from None
    console.print(dead_letters_table(letters, title=f"{len(letters):,} dead letter(s) to replay"))
    if not yes and not typer.confirm(f"Replay these {len(letters):,} to their original topics?"):
        console.print("Nothing replayed.")
        raise typer.Exit(code=1)
    replayed = _with_kafka(kafka, dead_letter_topic, replay(kafka, letters))
    console.print(
        Text.assemble(
            ("✓", "green"),
            f" replayed {replayed.total():,} dead letter(s): ",
            ", ".join(f"{count:,} to {topic}" for topic, count in sorted(replayed.items())),
        )
    )
