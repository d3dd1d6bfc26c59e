"""The signs that a topic is not the one a projection applied, read from offsets alone,
and the message an operator gets: which topic, why, and the rebuild to run."""

from __future__ import annotations

from aiokafka import TopicPartition

from shared.projections.topic_guard import TopicChanged, offsets_gone_back, offsets_past_the_end

TOPIC = "pokmas.events.v1"


def test_a_recorded_offset_past_the_partition_end_stops_the_projection() -> None:
    changed = offsets_past_the_end(
        "enrolment.pokmas",
        {(TOPIC, 0): 10, (TOPIC, 1): 7},
        {TopicPartition(TOPIC, 0): 10, TopicPartition(TOPIC, 1): 3},
    )

    assert changed is not None
    assert changed.topic == TOPIC
    assert "partition 1 ends at offset 3" in changed.reason
    assert "up to offset 7" in changed.reason


def test_offsets_at_or_before_the_end_are_consistent() -> None:
    assert (
        offsets_past_the_end(
            "enrolment.pokmas",
            {(TOPIC, 0): 10},
            {TopicPartition(TOPIC, 0): 10, TopicPartition(TOPIC, 1): 0},
        )
        is None
    )


def test_messages_below_the_applied_position_mean_the_offsets_were_reset() -> None:
    positions = {TopicPartition(TOPIC, 0): 50, TopicPartition(TOPIC, 1): 4}

    assert offsets_gone_back("p.q", {TopicPartition(TOPIC, 0): 50}, positions) is None
    assert offsets_gone_back("p.q", {TopicPartition(TOPIC, 2): 0}, positions) is None
    changed = offsets_gone_back("p.q", {TopicPartition(TOPIC, 1): 0}, positions)
    assert changed is not None
    assert "from offset 0, below offset 4" in changed.reason


def test_the_message_names_the_topic_and_the_rebuild_to_run() -> None:
    message = str(TopicChanged("enrolment.pokmas", TOPIC, "it was created anew"))

    assert TOPIC in message
    assert "it was created anew" in message
    assert "`bapas projection rebuild enrolment pokmas`" in message
