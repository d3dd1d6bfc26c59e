"""Latency percentiles over every sample (nearest rank), never an average: the tail is
what a user of a national system waits for."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Latency:
    """Percentiles in milliseconds, and how many samples they come from."""

    p50: float
    p95: float
    p99: float
    max: float
    samples: int

    def as_dict(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def of_seconds(cls, samples: Iterable[float]) -> Latency:
        """The percentiles of ``samples`` (seconds); at least one is needed."""
        ordered = sorted(samples)
        if not ordered:
            raise ValueError("no latency sample was taken")

        def rank(percent: float) -> float:
            index = max(math.ceil(percent / 100 * len(ordered)) - 1, 0)
            return round(ordered[index] * 1000, 3)

        return cls(rank(50), rank(95), rank(99), rank(100), len(ordered))
