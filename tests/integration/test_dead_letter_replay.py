"""Dead letters read back and replayed, against real Kafka and PostgreSQL.

The story an operator lives: a projection refuses registrations naming a skill missing
from its reference table, so they are dead-lettered while later events of the same
Pokmas are applied. The skill is added; ``bapas deadletters list`` and ``show`` tell
what failed and why; the replay re-publishes the registrations to their topic, the
projection applies each exactly once, and replaying them again changes nothing.

The test publishes to a topic of its own and its consumer dead-letters to a topic of its
own, so that no other test's dead letters (and none of the running platform's) mix in.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer
from typer.testing import CliRunner

from shared.cli.main import app
from shared.events.envelope import Actor, EventPayload, new_envelope
from shared.events.pokmas import PokmasContactChanged, PokmasRegistered
from shared.kafka.admin import topic_partitions
from shared.kafka.connection import KafkaConnection
from shared.projections import EventRejected, ProjectionConsumer
from shared.projections.deadletter import ERROR, REPLAY_FOR, REPLAY_OF
from shared.projections.deadletters import (
    DeadLetter,
    read_dead_letters,
    read_dead_letters_by_id,
    replay,
)
from tests.conftest import create_topic
from tests.support.counting_projection import (
    CountingProjection,
    Event,
    Record,
    prepare_database,
    publish,
    publish_events,
    record_of,
)
from tests.support.registry_events import contact, registered

CAUGHT_UP_TIMEOUT = 60.0
_ACTOR = Actor(role="bapas_admin", sub="test")


class SkilledCountingProjection(CountingProjection):
    """Counts events like :class:`CountingProjection`, but a registration naming a skill
    missing from the projection's reference table of skills is rejected."""

    @property
    def skills_table(self) -> str:
        return f"{self.name}_skills"

    async def create_tables(self, connection: asyncpg.Connection) -> None:
        await super().create_tables(connection)
        await connection.execute(f"CREATE TABLE {self.skills_table} (skill text PRIMARY KEY)")

    async def add_skill(self, connection: asyncpg.Connection, skill: str) -> None:
        await connection.execute(f"INSERT INTO {self.skills_table} VALUES ($1)", skill)

    async def apply(self, connection: asyncpg.Connection, events: Sequence[Event]) -> None:
        rows = await connection.fetch(f"SELECT skill FROM {self.skills_table}")
        known = {row["skill"] for row in rows}
        for event in events:
            skills = event.payload.skills if isinstance(event.payload, PokmasRegistered) else ()
            if missing := set(skills) - known:
                raise EventRejected(event, f"unknown skill {', '.join(sorted(missing))}")
        await super().apply(connection, events)


def _registration(bapas_code: str, skill: str) -> Event:
    payload = registered().model_copy(update={"skills": (skill,)})
    return _event(payload, bapas_code, 1)


def _contact_changed(registration: Event, version: int) -> Event:
    payload = PokmasContactChanged(pokmas_id=registration.aggregate_id, contact=contact())
    return _event(payload, registration.bapas_code, version)


def _event(payload: EventPayload, bapas_code: str, version: int) -> Event:
    return new_envelope(
        payload,
        bapas_code=bapas_code,
        aggregate_version=version,
        correlation_id=uuid.uuid4(),
        actor=_ACTOR,
        occurred_at=datetime.now(UTC),
    )


@dataclass
class Platform:
    bootstrap: str
    database_url: str
    topic: str
    dead_letters: str
    projection: SkilledCountingProjection
    others: list[SkilledCountingProjection] = field(default_factory=list)
    """More projections of the same topic, fed and fixed like the first."""

    @property
    def kafka(self) -> KafkaConnection:
        return KafkaConnection.to(self.bootstrap)

    async def add_projection(self) -> SkilledCountingProjection:
        another = SkilledCountingProjection(f"skilled_{uuid.uuid4().hex[:8]}", (self.topic,))
        connection = await asyncpg.connect(self.database_url)
        try:
            await another.create_tables(connection)
            await another.add_skill(connection, "ac_repair")
        finally:
            await connection.close()
        self.others.append(another)
        return another

    async def catch_up(self) -> None:
        """Every projection applies what is on the topic now."""
        for projection in (self.projection, *self.others):
            async with ProjectionConsumer(
                projection,
                kafka=self.kafka,
                database_url=self.database_url,
                dead_letter_topic=self.dead_letters,
            ) as consumer:
                await consumer.run_until_caught_up(timeout=CAUGHT_UP_TIMEOUT)

    async def applied(
        self, projection: SkilledCountingProjection | None = None
    ) -> tuple[dict[tuple[str, str], int], list[uuid.UUID]]:
        chosen = projection or self.projection
        connection = await asyncpg.connect(self.database_url)
        try:
            return await chosen.counts(connection), await chosen.applied_event_ids(connection)
        finally:
            await connection.close()

    async def add_skill(self, skill: str) -> None:
        """Fix the cause: every projection knows ``skill`` from now on."""
        connection = await asyncpg.connect(self.database_url)
        try:
            for projection in (self.projection, *self.others):
                await projection.add_skill(connection, skill)
        finally:
            await connection.close()

    async def dead_letters_now(self) -> list[DeadLetter]:
        return await read_dead_letters(self.kafka, topic=self.dead_letters)

    async def bapas(self, *args: str) -> tuple[int, str]:
        """Run ``bapas deadletters …`` on this platform's Kafka and dead-letter topic."""

        def invoke() -> tuple[int, str]:
            result = CliRunner().invoke(
                app,
                ["deadletters", *args, "--dead-letter-topic", self.dead_letters],
                env={"KAFKA_BOOTSTRAP_SERVERS": self.bootstrap, "COLUMNS": "250"},
            )
            return result.exit_code, result.output

        # The command runs its own event loop, so not on the test's.
        return await asyncio.to_thread(invoke)


@pytest.fixture
async def platform(kafka_bootstrap: str, database_url: str) -> Platform:
    topic = await create_topic(kafka_bootstrap, partitions=3)
    dead_letters = await create_topic(kafka_bootstrap, partitions=1, prefix="deadletter")
    projection = SkilledCountingProjection(f"skilled_{uuid.uuid4().hex[:8]}", (topic,))
    await prepare_database(database_url, projection)
    connection = await asyncpg.connect(database_url)
    try:
        await projection.add_skill(connection, "ac_repair")
    finally:
        await connection.close()
    return Platform(kafka_bootstrap, database_url, topic, dead_letters, projection)


async def test_dead_letters_fixed_and_replayed_are_applied_exactly_once(
    platform: Platform,
) -> None:
    kupang = _registration("kupang", "welding")
    medan = _registration("medan", "welding")
    accepted = _registration("makassar", "ac_repair")
    later = [_contact_changed(kupang, 2), _contact_changed(medan, 2), _contact_changed(medan, 3)]
    await publish_events(platform.bootstrap, platform.topic, [kupang, medan, accepted])
    await publish_events(platform.bootstrap, platform.topic, later)

    await platform.catch_up()

    _, applied = await platform.applied()
    assert sorted(applied) == sorted(e.event_id for e in [accepted, *later])
    dead = await platform.dead_letters_now()
    assert sorted(d.event_id or "" for d in dead) == sorted(
        str(e.event_id) for e in (kupang, medan)
    )

    await platform.add_skill("welding")  # the cause, fixed

    code, listed = await platform.bapas("list")
    assert code == 0
    for letter in dead:
        line = next(line for line in listed.splitlines() if line.startswith(f" {letter.id} "))
        assert letter.origin in line
        assert "PokmasRegistered v1" in line
        assert str(letter.event_id) in line
        assert f"rejected by {platform.projection.name}: unknown skill welding" in line
    code, none = await platform.bapas("list", "--projection", "another_projection")
    assert (code, none.strip()) == (
        0,
        f"No dead letters on {platform.dead_letters} (of projection another_projection): "
        "none match.",
    )

    code, shown = await platform.bapas("show", str(dead[0].id))
    assert code == 0
    assert f"{platform.dead_letters}[0]@{dead[0].offset}" in shown
    assert f"projection.{platform.projection.name}" in shown
    assert '"skills": [\n      "welding"\n    ]' in shown

    # The command replays only to the platform's event topics; this test's is not one.
    ends = await _end_offsets(platform.kafka, platform.topic)
    code, refused = await platform.bapas("replay", "--all", "--yes")
    assert code == 1
    assert "nothing replayed" in refused
    assert f"came from {platform.topic}, which is not an event topic of the platform" in (
        " ".join(refused.split())
    )
    assert await _end_offsets(platform.kafka, platform.topic) == ends

    replayed = await replay(platform.kafka, dead, event_topics={platform.topic})
    assert replayed == Counter({platform.topic: 2})
    await platform.catch_up()

    counts, applied = await platform.applied()
    everything = [kupang, medan, accepted, *later]
    assert Counter(applied) == Counter(e.event_id for e in everything)
    assert counts[("kupang", "PokmasRegistered")] == 1
    assert counts[("medan", "PokmasRegistered")] == 1
    assert [d.id for d in await platform.dead_letters_now()] == [d.id for d in dead]

    again = await read_dead_letters_by_id(
        platform.kafka, [d.id for d in dead], topic=platform.dead_letters
    )
    replayed = await replay(platform.kafka, list(again.values()), event_topics={platform.topic})
    assert replayed == Counter({platform.topic: 2})
    await platform.catch_up()

    counts_again, applied_again = await platform.applied()
    assert counts_again == counts
    assert sorted(applied_again) == sorted(applied)
    assert [d.id for d in await platform.dead_letters_now()] == [d.id for d in dead]


async def test_an_event_two_projections_dead_lettered_is_applied_once_by_each_after_replay(
    platform: Platform,
) -> None:
    another = await platform.add_projection()
    rejected = _registration("kupang", "welding")
    await publish_events(platform.bootstrap, platform.topic, [rejected])
    await platform.catch_up()
    letters = await platform.dead_letters_now()
    assert sorted(letter.projection or "" for letter in letters) == sorted(
        [platform.projection.name, another.name]
    )
    await platform.add_skill("welding")

    await replay(platform.kafka, letters, event_topics={platform.topic})
    await platform.catch_up()

    for projection in (platform.projection, another):
        _, applied = await platform.applied(projection)
        assert applied == [rejected.event_id], projection.name


async def test_a_replay_names_the_position_it_replays_and_the_projection_it_is_for(
    platform: Platform,
) -> None:
    rejected = _registration("jayapura", "welding")
    await publish_events(platform.bootstrap, platform.topic, [rejected])
    await platform.catch_up()
    (letter,) = await platform.dead_letters_now()

    await replay(platform.kafka, [letter], event_topics={platform.topic})

    (original, replayed) = [
        message
        for message in await _read_all(platform.kafka, platform.topic)
        if message.key == record_of(rejected).key
    ]
    headers = dict(replayed.headers)
    assert headers[REPLAY_OF] == (
        f"{platform.topic}:{original.partition}:{original.offset}".encode()
    )
    assert headers[REPLAY_FOR] == platform.projection.name.encode()
    assert headers["event_id"] == str(rejected.event_id).encode()
    assert ERROR not in headers
    assert (replayed.key, replayed.value) == (original.key, original.value)


async def test_list_show_and_replay_tell_what_they_cannot_find(platform: Platform) -> None:
    code, empty = await platform.bapas("list")
    assert (code, empty.strip()) == (
        0,
        f"No dead letters on {platform.dead_letters}: no consumer has refused a message.",
    )

    code, missing = await platform.bapas("show", "0:5")
    assert (code, missing.strip()) == (1, f"error: no dead letter 0:5 on {platform.dead_letters}")

    code, missing = await platform.bapas("replay", "0:5", "7:1", "--yes")
    assert code == 1
    assert f"no dead letter 0:5, 7:1 on {platform.dead_letters}" in missing


async def test_a_value_that_is_not_json_is_listed_and_shown_safely(platform: Platform) -> None:
    garbage = b"\x00\xffnot an event\x1b[2J"
    await publish(platform.bootstrap, platform.topic, [Record(b"kupang", garbage, [])])
    await platform.catch_up()

    code, listed = await platform.bapas("list")
    assert code == 0
    line = next(line for line in listed.splitlines() if line.startswith(" 0:0 "))
    assert f"{platform.topic}[" in line
    assert "not an event envelope" in line

    code, shown = await platform.bapas("show", "0:0")
    assert code == 0
    assert "value (not JSON, 18 bytes)" in shown
    assert "\\x00\\xffnot an event\\x1b[2J" in shown
    assert "\x1b" not in shown


async def _end_offsets(kafka: KafkaConnection, topic: str) -> dict[Any, int]:
    consumer = AIOKafkaConsumer(**kafka.client_options())
    await consumer.start()
    try:
        ends: dict[Any, int] = await consumer.end_offsets(await topic_partitions(kafka, [topic]))
    finally:
        await consumer.stop()
    return ends


async def _read_all(kafka: KafkaConnection, topic: str) -> list[Any]:
    """Every message on ``topic`` now, in partition and offset order."""
    partitions = await topic_partitions(kafka, [topic])
    consumer = AIOKafkaConsumer(**kafka.client_options(), auto_offset_reset="earliest")
    await consumer.start()
    try:
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        messages: list[Any] = []
        async with asyncio.timeout(CAUGHT_UP_TIMEOUT):
            while any([await consumer.position(tp) < end for tp, end in ends.items()]):
                batch = await consumer.getmany(timeout_ms=200)
                for tp in sorted(batch):
                    messages.extend(batch[tp])
    finally:
        await consumer.stop()
    return sorted(messages, key=lambda m: (m.partition, m.offset))
