"""Whether an error means PostgreSQL or Kafka was unavailable, rather than a bug or a
refusal: the one answer every loop that retries gives (a service starting, the outbox
relay, the projection consumers).

An outage is worth waiting out: a connection refused, reset or timed out; Kafka's own
errors (a leader moving, a broker down); and PostgreSQL's classes of connection
exceptions (08), transaction rollbacks such as deadlocks (40), insufficient resources
(53), operator intervention such as a shutdown or a server still starting (57) and
system errors (58); and asyncpg's report of a call on a connection the server closed.
Anything else (a missing table, a wrong password, a value the database refuses) would
fail the same way again, and retrying would only hide it.
"""

from __future__ import annotations

import asyncpg
from aiokafka.errors import KafkaError

_OUTAGE_SQLSTATE_CLASSES = frozenset({"08", "40", "53", "57", "58"})


def is_outage(error: BaseException) -> bool:
    """Whether retrying later may succeed: PostgreSQL or Kafka was unavailable."""
    if isinstance(error, asyncpg.PostgresError):
        return (error.sqlstate or "")[:2] in _OUTAGE_SQLSTATE_CLASSES
    if isinstance(error, asyncpg.InterfaceError):
        return "closed" in str(error)  # "connection is closed": the server went away
    return isinstance(error, OSError | TimeoutError | KafkaError)
