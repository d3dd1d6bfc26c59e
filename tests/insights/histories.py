"""A small history written by hand for a figures test: envelopes numbered per aggregate,
as the services' event stores number them, in the order the test adds them."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from uuid import UUID, uuid4

from shared.events.envelope import Actor, Envelope, EventPayload, new_envelope


class NumberedHistory:
    """The events added so far, each in its envelope, recorded by ``actor``."""

    def __init__(self, actor: Actor) -> None:
        self.actor = actor
        self.events: list[Envelope[EventPayload]] = []
        self._versions: Counter[UUID] = Counter()

    def add(self, office: str, payload: EventPayload) -> None:
        self._versions[payload.aggregate_id] += 1
        self.events.append(
            new_envelope(
                payload,
                bapas_code=office,
                aggregate_version=self._versions[payload.aggregate_id],
                correlation_id=uuid4(),
                actor=self.actor,
                occurred_at=datetime.now(UTC),
            )
        )
