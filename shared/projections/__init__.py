"""Projections: read models fed by events, exactly-once in effect.

A service writes a :class:`Projection` (a name, its topics, ``apply`` and ``reset``)
and runs it with a :class:`ProjectionConsumer`; :func:`rebuild_projection` computes it
again from the event log. See :mod:`shared.projections.consumer` for the guarantees.
"""

from shared.projections.applier import BatchOutcome, ConsumerStats
from shared.projections.consumer import ProjectionConsumer
from shared.projections.projection import EventRejected, Projection
from shared.projections.rebuild import RebuildProgress, rebuild_projection

__all__ = [
    "BatchOutcome",
    "ConsumerStats",
    "EventRejected",
    "Projection",
    "ProjectionConsumer",
    "RebuildProgress",
    "rebuild_projection",
]
