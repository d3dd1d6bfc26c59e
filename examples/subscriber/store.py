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

A klien's events do not all arrive in order: the topics are keyed by office, and a
klien who moves to another Bapas has its later events in another partition, which may
be read first. So every change here gives the same result in any order. Counters are
sums; a field that changes over time (the office that supervises the klien, its latest
employer) keeps the value of the klien's event with the highest ``aggregate_version``
seen, never the last one read. Duplicates are found by ``event_id`` only: skipping an
event whose version is not newer than one already applied would drop the klien's
earlier events whenever the new office's partition is read first.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from examples.subscriber.reader import KlienEvent

_SCHEMA = """
CREATE TABLE IF NOT EXISTS handled_events (
    event_id   TEXT PRIMARY KEY,
    event_type TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS klien_outcomes (
    client_id             TEXT PRIMARY KEY,
    bapas_code            TEXT,
    office_version        INTEGER NOT NULL DEFAULT 0,
    enrolments            INTEGER NOT NULL DEFAULT 0,
    competent_completions INTEGER NOT NULL DEFAULT 0,
    employments           INTEGER NOT NULL DEFAULT 0,
    last_employer         TEXT,
    employer_version      INTEGER NOT NULL DEFAULT 0
);
"""

_MOVE = (
    "UPDATE klien_outcomes SET bapas_code = :bapas_code, office_version = :version "
    "WHERE client_id = :client_id AND office_version < :version"
)
"""The klien is supervised by the event's office, unless a later event said otherwise."""

_CHANGES = {
    "ClientReleased": _MOVE,
    "ClientTransferredIn": _MOVE,
    "ClientEnrolled": (
        "UPDATE klien_outcomes SET enrolments = enrolments + 1 WHERE client_id = :client_id"
    ),
    "TrainingCompleted": (
        "UPDATE klien_outcomes SET competent_completions = competent_completions "
        "+ CASE WHEN :assessment = 'competent' THEN 1 ELSE 0 END WHERE client_id = :client_id"
    ),
    # Both CASEs read the row as it was before this update.
    "ClientEmployed": (
        "UPDATE klien_outcomes SET employments = employments + 1, "
        "last_employer = CASE WHEN :employer_name IS NOT NULL AND employer_version < :version "
        "THEN :employer_name ELSE last_employer END, "
        "employer_version = CASE WHEN :employer_name IS NOT NULL AND employer_version < :version "
        "THEN :version ELSE employer_version END "
        "WHERE client_id = :client_id"
    ),
}
"""What each event type it reads changes: one statement, whatever the order of arrival."""

_OUTCOMES = (
    "SELECT client_id, bapas_code, enrolments, competent_completions, employments, "
    "last_employer FROM klien_outcomes"
)


@dataclass(frozen=True)
class KlienOutcome:
    """What this subscriber knows of one klien (by the pseudonymous ``client_id``)."""

    client_id: str
    bapas_code: str | None
    """The office that supervises the klien now; ``None`` until its release or a
    transfer has been read."""
    enrolments: int
    competent_completions: int
    employments: int
    last_employer: str | None
    """The employer named by the klien's latest ClientEmployed that names one."""


class OutcomeStore:
    """Training outcomes per klien, and the ids of the events already applied."""

    def __init__(self, path: Path | str) -> None:
        self._db = sqlite3.connect(path)
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def apply(self, event: KlienEvent) -> KlienOutcome | None:
        """Apply an event once: the klien's outcome after it, or ``None`` (and no change)
        if its id was applied before."""
        with self._db:  # one transaction: the id and the change commit together
            inserted = self._db.execute(
                "INSERT INTO handled_events (event_id, event_type) VALUES (?, ?) "
                "ON CONFLICT (event_id) DO NOTHING",
                (event.event_id, event.event_type),
            )
            if inserted.rowcount == 0:
                return None
            self._db.execute(
                "INSERT INTO klien_outcomes (client_id) VALUES (?) ON CONFLICT DO NOTHING",
                (event.client_id,),
            )
            self._db.execute(
                _CHANGES[event.event_type],  # a statement from code, not from the message
                {
                    "client_id": event.client_id,
                    "bapas_code": event.bapas_code,
                    "version": event.aggregate_version,
                    "assessment": event.assessment,
                    "employer_name": event.employer_name,
                },
            )
            return self._outcome_of(event.client_id)

    def handled_event_ids(self) -> list[str]:
        rows = self._db.execute("SELECT event_id FROM handled_events ORDER BY event_id")
        return [event_id for (event_id,) in rows]

    def outcomes(self) -> list[KlienOutcome]:
        rows = self._db.execute(f"{_OUTCOMES} ORDER BY client_id")
        return [KlienOutcome(*row) for row in rows]

    def _outcome_of(self, client_id: str) -> KlienOutcome:
        [row] = self._db.execute(f"{_OUTCOMES} WHERE client_id = ?", (client_id,))
        return KlienOutcome(*row)
