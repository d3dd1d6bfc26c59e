"""Prometheus metrics of the projection consumers, labelled by projection.

Registered once, in the default registry, so they appear on every service's
``/metrics`` (:mod:`shared.http.metrics`). Labels stay bounded: projection names are
code, topics and partitions are few.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import Counter, Gauge, Histogram

if TYPE_CHECKING:
    from shared.projections.applier import BatchOutcome

EVENTS_APPLIED = Counter(
    "projection_events_applied",
    "Events applied to a projection (new to it: not redelivered, not duplicates).",
    ("projection",),
)
EVENTS_DEAD_LETTERED = Counter(
    "projection_events_dead_lettered",
    "Messages a projection could not parse, validate or apply, sent to the dead letters.",
    ("projection",),
)
EVENTS_SKIPPED = Counter(
    "projection_events_skipped",
    "Messages a projection skipped: unknown_type (a newer producer's event), duplicate "
    "(aggregate version already applied), redelivered (offset already applied), "
    "not_handled (a type the projection does not read, never parsed).",
    ("projection", "reason"),
)
EVENTS_HELD = Counter(
    "projection_events_held",
    "Events a projection held back because they came before the klien's transfer out of "
    "its previous office was applied (read from the new office's partition first).",
    ("projection",),
)
EVENTS_RELEASED = Counter(
    "projection_events_released",
    "Held events a projection released once the klien's transfer out was applied.",
    ("projection",),
)
LAG = Gauge(
    "projection_lag_events",
    "Messages on the partition not yet applied by this instance (highwater - next offset).",
    ("projection", "topic", "partition"),
)
HALTED = Gauge(
    "projection_halted",
    "1 while a projection applies nothing because a topic it reads is not the one it "
    "applied (created anew, another cluster, offsets past the end); a rebuild clears it.",
    ("projection", "topic"),
)
BATCH_DURATION = Histogram(
    "projection_batch_duration_seconds",
    "Time to parse and apply one batch and record its offsets, in one transaction.",
    ("projection",),
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

SKIPPED_UNKNOWN_TYPE = "unknown_type"
SKIPPED_DUPLICATE = "duplicate"
SKIPPED_REDELIVERED = "redelivered"
SKIPPED_NOT_HANDLED = "not_handled"


def record_batch(projection: str, outcome: BatchOutcome) -> None:
    """Count what one batch of ``projection`` did."""
    BATCH_DURATION.labels(projection).observe(outcome.duration)
    if outcome.applied:
        EVENTS_APPLIED.labels(projection).inc(outcome.applied)
    if outcome.dead_lettered:
        EVENTS_DEAD_LETTERED.labels(projection).inc(outcome.dead_lettered)
    if outcome.held:
        EVENTS_HELD.labels(projection).inc(outcome.held)
    if outcome.released:
        EVENTS_RELEASED.labels(projection).inc(outcome.released)
    for reason, count in (
        (SKIPPED_UNKNOWN_TYPE, outcome.skipped_unknown_type),
        (SKIPPED_DUPLICATE, outcome.skipped_duplicate),
        (SKIPPED_REDELIVERED, outcome.skipped_redelivered),
        (SKIPPED_NOT_HANDLED, outcome.skipped_not_handled),
    ):
        if count:
            EVENTS_SKIPPED.labels(projection, reason).inc(count)
