"""``bapas deadletters``: the parts an operator meets before Kafka is asked anything.
Ids and ``--since`` are read as written, filters choose the right dead letters, a value
that is not JSON is shown safely, and a dead letter from a topic that is not one of
the platform's is refused before anything is published."""

from __future__ import annotations

import socket
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from rich.console import Console
from typer.testing import CliRunner

from shared.cli import deadletters as deadletters_cli
from shared.cli.deadletters import dead_letters_table, render_value
from shared.cli.main import app
from shared.kafka.connection import KafkaConnection
from shared.kafka.topics import DEAD_LETTERS, POKMAS_EVENTS
from shared.projections.deadletter import dead_letter_headers
from shared.projections.deadletters import (
    DeadLetter,
    DeadLetterFilter,
    DeadLetterId,
    NotReplayable,
    check_replayable,
    dead_letter_of,
    parse_dead_letter_id,
    parse_since,
    replay,
)
from tests.support.counting_projection import pokmas_registered, record_of

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class FakeRecord:
    """A Kafka record as aiokafka's consumer returns it."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]
    timestamp: int = int(NOW.timestamp() * 1000)


def _dead_letter(
    *,
    original_topic: str = POKMAS_EVENTS,
    projection: str = "insights.figures",
    error: str = "rejected by insights.figures: no office has the code 'atlantis'",
    value: bytes | None = None,
    at: datetime = NOW,
    offset: int = 17,
) -> DeadLetter:
    """A dead letter of a pokmas event first published at ``original_topic[2]@40``."""
    event = pokmas_registered("medan")
    original = record_of(event)
    message = FakeRecord(original_topic, 2, 40, original.key, original.value, original.headers)
    headers = dead_letter_headers(
        message, consumer_group=f"projection.{projection}", projection=projection, error=error
    )
    return dead_letter_of(
        FakeRecord(
            DEAD_LETTERS,
            3,
            offset,
            original.key,
            original.value if value is None else value,
            headers,
            int(at.timestamp() * 1000),
        )
    )


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["deadletters", *args], env={"COLUMNS": "200"})
    return result.exit_code, result.output


@pytest.mark.parametrize("written", ["3:17", " 3:17 ", "deadletter.v1[3]@17"])
def test_an_id_is_read_as_list_shows_it_or_as_logs_write_it(written: str) -> None:
    assert parse_dead_letter_id(written) == DeadLetterId(partition=3, offset=17)


def test_the_long_form_of_an_id_must_name_the_dead_letter_topic() -> None:
    assert parse_dead_letter_id("dlq.test[0]@5", topic="dlq.test") == DeadLetterId(0, 5)
    with pytest.raises(ValueError, match=r"a message of pokmas\.events\.v1, not of deadletter"):
        parse_dead_letter_id("pokmas.events.v1[3]@17")


@pytest.mark.parametrize("written", ["17", "3-17", "3:x", "a:b", "deadletter.v1@17", ""])
def test_what_is_not_an_id_is_refused_with_an_example(written: str) -> None:
    with pytest.raises(ValueError, match=r"e\.g\. 3:17"):
        parse_dead_letter_id(written)


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("90s", NOW - timedelta(seconds=90)),
        ("30m", NOW - timedelta(minutes=30)),
        ("2h", NOW - timedelta(hours=2)),
        ("7d", NOW - timedelta(days=7)),
        ("1w", NOW - timedelta(weeks=1)),
        ("2026-11-29", datetime(2026, 11, 29, tzinfo=UTC)),
        ("2026-11-29T08:30", datetime(2026, 11, 29, 8, 30, tzinfo=UTC)),
        ("2026-11-29T08:30+07:00", datetime(2026, 11, 29, 1, 30, tzinfo=UTC)),
    ],
)
def test_since_takes_a_duration_back_from_now_or_a_date_or_time(
    written: str, meant: datetime
) -> None:
    assert parse_since(written, now=NOW) == meant


@pytest.mark.parametrize("written", ["yesterday", "2h ago", "-2h", "2026-13-01", "2y"])
def test_since_refuses_what_it_cannot_read_and_says_what_it_takes(written: str) -> None:
    with pytest.raises(ValueError, match=r"a duration \(30m, 2h, 7d\), a date \(2026-11-30\)"):
        parse_since(written, now=NOW)


def test_a_dead_letter_says_where_it_came_from_who_refused_it_and_which_event_it_is() -> None:
    letter = _dead_letter(error="rejected by insights.figures: unknown office\nsee the offices")

    assert letter.id == DeadLetterId(3, 17)
    assert letter.timestamp == NOW
    assert letter.origin == "pokmas.events.v1[2]@40"
    assert (letter.projection, letter.consumer_group) == (
        "insights.figures",
        "projection.insights.figures",
    )
    assert (letter.event_type, letter.schema_version) == ("PokmasRegistered", 1)
    assert letter.event_id is not None
    assert letter.reason == "rejected by insights.figures: unknown office"


def test_a_message_without_the_dead_letter_headers_is_still_listed() -> None:
    letter = dead_letter_of(FakeRecord(DEAD_LETTERS, 0, 4, None, b"\x00\x01", []))

    assert letter.origin == "?[?]@?"
    assert (letter.projection, letter.event_type, letter.event_id, letter.reason) == (
        None,
        None,
        None,
        "",
    )


def test_filters_choose_by_original_topic_projection_and_time() -> None:
    old = _dead_letter(at=NOW - timedelta(days=3), offset=1)
    recent = _dead_letter(at=NOW - timedelta(minutes=5), offset=2)
    enrolment = _dead_letter(original_topic="enrolment.events.v1", offset=3)
    seats = _dead_letter(projection="enrolment.programme_seats", offset=4)
    letters = [old, recent, enrolment, seats]

    def chosen(criteria: DeadLetterFilter) -> list[int]:
        return [letter.offset for letter in letters if criteria.admits(letter)]

    assert chosen(DeadLetterFilter()) == [1, 2, 3, 4]
    assert chosen(DeadLetterFilter(since=parse_since("1h", now=NOW))) == [2, 3, 4]
    assert chosen(DeadLetterFilter(topic="enrolment.events.v1")) == [3]
    assert chosen(DeadLetterFilter(projection="enrolment.programme_seats")) == [4]
    assert chosen(DeadLetterFilter(topic=POKMAS_EVENTS, projection="insights.figures")) == [1, 2]


def test_a_json_value_is_pretty_printed() -> None:
    title, body = render_value(b'{"event_type":"PokmasRegistered","payload":{"name":"Maju"}}')

    assert title == "value (JSON)"
    assert body.splitlines()[:2] == ["{", '  "event_type": "PokmasRegistered",']


def test_a_value_that_is_not_json_is_shown_without_its_control_bytes() -> None:
    title, body = render_value(b"garbage \xff\xfe\x1b[2J\x07 {not json")

    assert title == "value (not JSON, 25 bytes)"
    assert body == "garbage \\xff\\xfe\\x1b[2J\\x07 {not json"
    assert "\x1b" not in body


def test_a_json_value_cannot_smuggle_terminal_controls_either() -> None:
    _, body = render_value('{"name": "Maju\u009b2J\u202e"}'.encode())

    assert "\\x9b2J\\u202e" in body
    assert "\u009b" not in body
    assert "\u202e" not in body


def test_a_dead_letter_without_a_value_says_so() -> None:
    assert render_value(None) == ("value: none", "")


def test_the_list_shows_an_error_as_written_not_as_markup() -> None:
    letter = _dead_letter(error="rejected by x: [bold]field[/bold] \x1b[31mred")
    console = Console(width=250, record=True)

    console.print(dead_letters_table([letter], title="1 dead letter(s)"))

    line = next(line for line in console.export_text().splitlines() if "3:17" in line)
    assert "2026-11-30 12:00:00" in line
    assert "pokmas.events.v1[2]@40" in line
    assert "PokmasRegistered v1" in line
    assert str(letter.event_id) in line
    assert "rejected by x: [bold]field[/bold] \\x1b[31mred" in line


def test_a_dead_letter_from_a_topic_that_is_not_the_platforms_is_refused() -> None:
    ours = _dead_letter(offset=1)
    foreign = _dead_letter(original_topic="payments.v1", offset=2)

    check_replayable([ours])
    with pytest.raises(NotReplayable) as refused:
        check_replayable([ours, foreign])

    assert "3:2 came from payments.v1, which is not an event topic of the platform" in str(
        refused.value
    )
    assert "3:1" not in str(refused.value)


def test_many_refused_dead_letters_are_named_by_topic_in_one_sentence() -> None:
    foreign = [_dead_letter(original_topic="payments.v1", offset=n) for n in range(8)]
    foreign.append(_dead_letter(original_topic="test.1234", offset=9))

    with pytest.raises(NotReplayable) as refused:
        check_replayable(foreign, event_topics=(POKMAS_EVENTS, "enrolment.events.v1"))

    assert str(refused.value) == (
        "3:0, 3:1, 3:2, 3:3, 3:4 and 3 more came from payments.v1, which is not an event "
        "topic of the platform; 3:9 came from test.1234, which is not an event topic of the "
        "platform (event topics: enrolment.events.v1, pokmas.events.v1)"
    )


def test_a_message_that_does_not_say_where_it_came_from_is_refused() -> None:
    anonymous = dead_letter_of(FakeRecord(DEAD_LETTERS, 0, 4, b"medan", b"{}", []))

    with pytest.raises(NotReplayable, match="0:4: no original topic and position in the headers"):
        check_replayable([anonymous])


async def test_a_refused_replay_publishes_nothing_and_needs_no_kafka() -> None:
    nowhere = KafkaConnection.to(f"127.0.0.1:{_closed_port()}")

    with pytest.raises(NotReplayable, match=r"payments\.v1"):
        await replay(nowhere, [_dead_letter(), _dead_letter(original_topic="payments.v1")])


def test_replay_wants_ids_or_all_but_not_both() -> None:
    for args in ([], ["3:17", "--all"]):
        code, output = _invoke("replay", *args)

        assert code == 1
        assert "name the dead letters to replay (e.g. 3:17 3:18) or pass --all" in output


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["show", "seventeen"], "'seventeen' does not name a dead letter"),
        (["replay", "3:17", "pokmas.events.v1[3]@17"], "not of deadletter.v1"),
        (["list", "--since", "yesterday"], "--since 'yesterday': give a duration"),
    ],
)
def test_what_the_operator_mistyped_is_named_before_kafka_is_asked(
    args: list[str], said: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{_closed_port()}")

    code, output = _invoke(*args)

    assert code == 1
    assert said in output
    assert "Kafka" not in output


@pytest.mark.parametrize("args", [["list"], ["show", "3:17"], ["replay", "--all", "--yes"]])
def test_without_kafka_each_command_asks_whether_the_stack_is_up(
    args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    port = _closed_port()
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{port}")

    code, output = _invoke(*args)

    assert code == 1
    assert f"Kafka does not answer at 127.0.0.1:{port}" in output
    assert "is the stack up (`make up`)?" in output
    assert "Traceback" not in output


class FakeKafka:
    """Stands in for the reads and the replay of ``bapas deadletters replay``."""

    def __init__(self, letters: list[DeadLetter]) -> None:
        self.letters = letters
        self.replayed: list[DeadLetter] = []

    async def read_dead_letters(self, kafka: KafkaConnection, **_: object) -> list[DeadLetter]:
        return self.letters

    async def replay(self, kafka: KafkaConnection, letters: list[DeadLetter]) -> Counter[str]:
        self.replayed.extend(letters)
        return Counter(letter.original_topic or "" for letter in letters)


@pytest.fixture
def fake_kafka(monkeypatch: pytest.MonkeyPatch) -> FakeKafka:
    fake = FakeKafka(
        [
            _dead_letter(offset=1),
            _dead_letter(offset=2),
            _dead_letter(original_topic="enrolment.events.v1", offset=3),
        ]
    )
    monkeypatch.setattr(deadletters_cli, "read_dead_letters", fake.read_dead_letters)
    monkeypatch.setattr(deadletters_cli, "replay", fake.replay)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    return fake


def test_replay_shows_what_it_will_publish_and_asks_first(fake_kafka: FakeKafka) -> None:
    result = CliRunner().invoke(
        app, ["deadletters", "replay", "--all"], input="y\n", env={"COLUMNS": "200"}
    )

    assert result.exit_code == 0
    assert "3 dead letter(s) to replay" in result.output
    assert "Replay these 3 to their original topics? [y/N]" in result.output
    assert "replayed 3 dead letter(s): 1 to enrolment.events.v1, 2 to pokmas.events.v1" in (
        result.output
    )
    assert fake_kafka.replayed == fake_kafka.letters


def test_replay_declined_publishes_nothing(fake_kafka: FakeKafka) -> None:
    result = CliRunner().invoke(app, ["deadletters", "replay", "--all"], input="n\n")

    assert result.exit_code == 1
    assert "Nothing replayed." in result.output
    assert fake_kafka.replayed == []


def test_replay_of_a_dead_letter_from_elsewhere_is_refused_before_the_question(
    fake_kafka: FakeKafka,
) -> None:
    fake_kafka.letters.append(_dead_letter(original_topic="payments.v1", offset=4))

    code, output = _invoke("replay", "--all")

    assert code == 1
    assert "nothing replayed: 3:4 came from payments.v1" in output
    assert "Replay these" not in output
    assert fake_kafka.replayed == []


def _closed_port() -> int:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port: int = closed.getsockname()[1]
    return port
