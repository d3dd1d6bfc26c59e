"""The subscriber's own database (SQLite): what it learnt, and which events it handled.

Kafka delivers at least once: after a crash, a rebalance or a replay from the earliest
offset, the same event arrives again. So the subscriber records each ``event_id`` it
handles *in the same transaction* as the change the event causes; a second delivery
finds the id, changes nothing, and is counted as a duplicate. Recording ids anywhere
else (a Python set, another database) would leave a window where the change is made
and the id is not, or the other way round.

An in-memory set of ids (or ``OutcomeStore(":memory:")``) is enough for a demo, but it
forgets everything on restart: the subscriber would then count every event again when
it re-reads the topic. Keep the ids as long as you keep what they changed.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from examples.subscriber.reader import TrainingOutcomeEvent

_SCHEMA = """
CREATE TABLE IF NOT EXISTS handled_events (
    event_id   TEXT PRIMARY KEY,
    event_type TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS klien_outcomes (
    client_id             TEXT PRIMARY KEY,
    bapas_code            TEXT NOT NULL,
    enrolments            INTEGER NOT NULL DEFAULT 0,
    competent_completions INTEGER NOT NULL DEFAULT 0,
    employments           INTEGER NOT NULL DEFAULT 0,
    last_employer         TEXT
);
"""

_COUNTERS = {
    "ClientEnrolled": "enrolments",
    "TrainingCompleted": "competent_completions",
    "ClientEmployed": "employments",
}


@dataclass(frozen=True)
class KlienOutcome:
    """What this subscriber knows of one klien (by the pseudonymous ``client_id``)."""

    client_id: str
    bapas_code: str
    enrolments: int
    competent_completions: int
    employments: int
    last_employer: str | None


class OutcomeStore:
    """Training outcomes per klien, and the ids of the events already applied."""

    def __init__(self, path: Path | str) -> None:
        self._db = sqlite3.connect(path)
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def apply(self, event: TrainingOutcomeEvent) -> bool:
        """Apply an event once: ``False`` (and no change) if its id was applied before."""
        with self._db:  # one transaction: the id and the change commit together
            inserted = self._db.execute(
                "INSERT INTO handled_events (event_id, event_type) VALUES (?, ?) "
                "ON CONFLICT (event_id) DO NOTHING",
                (event.event_id, event.event_type),
            )
            if inserted.rowcount == 0:
                return False
            self._db.execute(
                "INSERT INTO klien_outcomes (client_id, bapas_code) VALUES (?, ?) "
                "ON CONFLICT (client_id) DO NOTHING",
                (event.client_id, event.bapas_code),
            )
            if event.event_type == "TrainingCompleted" and event.assessment != "competent":
                return True  # handled, and nothing to count
            counter = _COUNTERS[event.event_type]  # a column name from code, not the message
            self._db.execute(
                f"UPDATE klien_outcomes SET {counter} = {counter} + 1, "
                "last_employer = COALESCE(?, last_employer) WHERE client_id = ?",
                (event.employer_name, event.client_id),
            )
        return True

    def handled_event_ids(self) -> list[str]:
        rows = self._db.execute("SELECT event_id FROM handled_events ORDER BY event_id")
        return [event_id for (event_id,) in rows]

    def outcomes(self) -> list[KlienOutcome]:
        rows = self._db.execute(
            "SELECT client_id, bapas_code, enrolments, competent_completions, employments, "
            "last_employer FROM klien_outcomes ORDER BY client_id"
        )
        return [KlienOutcome(*row) for row in rows]
