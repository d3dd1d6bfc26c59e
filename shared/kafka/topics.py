"""The topics of the event contract and how they are created.

Event topics keep their events forever, so that a new subscriber or a rebuilt
projection reads them from the beginning; the key is the Bapas office code, so one
office's events keep their order in one partition.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, for_code

from shared.kafka.connection import KafkaConnection

POKMAS_EVENTS = "pokmas.events.v1"
ENROLMENT_EVENTS = "enrolment.events.v1"
NOTIFICATIONS_EVENTS = "notifications.events.v1"
EMPLOYMENT_EVENTS = "employment.events.v1"
DEAD_LETTERS = "deadletter.v1"

EVENT_TOPICS = (POKMAS_EVENTS, ENROLMENT_EVENTS, NOTIFICATIONS_EVENTS, EMPLOYMENT_EVENTS)
TOPIC_OF_SERVICE = {
    "pokmas": POKMAS_EVENTS,
    "enrolment": ENROLMENT_EVENTS,
    "notifications": NOTIFICATIONS_EVENTS,
    "employment": EMPLOYMENT_EVENTS,
}
"""The topic each service writes its events to (and no other service writes)."""
ALL_TOPICS = (*EVENT_TOPICS, DEAD_LETTERS)
DEFAULT_PARTITIONS = 12


@dataclass(frozen=True)
class TopicCreation:
    topic: str
    created: bool


async def create_topics(
    kafka: KafkaConnection,
    topics: tuple[str, ...] = ALL_TOPICS,
    *,
    partitions: int = DEFAULT_PARTITIONS,
) -> list[TopicCreation]:
    """Create ``topics`` with infinite retention; existing topics are left as they are."""
    admin = AIOKafkaAdminClient(**kafka.client_options(), request_timeout_ms=15_000)
    await admin.start()
    try:
        brokers = len((await admin.describe_cluster())["brokers"])
        replication = min(3, brokers)
        response = await admin.create_topics(
            [
                NewTopic(
                    name=topic,
                    num_partitions=partitions,
                    replication_factor=replication,
                    topic_configs={"retention.ms": "-1"},
                )
                for topic in topics
            ],
            timeout_ms=15_000,
        )
    finally:
        await admin.close()
    results: list[TopicCreation] = []
    for topic, code, *_ in response.topic_errors:
        if code == 0:
            results.append(TopicCreation(topic, created=True))
        elif code == TopicAlreadyExistsError.errno:
            results.append(TopicCreation(topic, created=False))
        else:
            raise for_code(code)(f"could not create topic {topic}")
    return results
