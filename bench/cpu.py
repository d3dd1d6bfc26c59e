"""Where the CPU went during a measurement: each service, Kafka, PostgreSQL, and the
rest of the machine, read from ``/proc``.

On two cores every process of the platform competes with every other, so a figure such
as B2 is limited by the CPU the whole path costs (the service, its relay, the broker,
the downstream consumers, PostgreSQL), not by the service alone. The report shows each
one's share, and how busy the machine was with work that is not the benchmark's.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter
from types import TracebackType

_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int | str) -> list[str]:
    """The fields of ``/proc/<pid>/stat`` after the command name (field 3 onwards)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    """User and system CPU the process has used; 0 once it is gone."""
    try:
        fields = _stat_fields(pid)
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS


def children(parent: int) -> list[int]:
    """The processes whose parent is ``parent`` (PostgreSQL's backends and workers)."""
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int(_stat_fields(entry.name)[1]) == parent:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


def machine_busy_seconds() -> float:
    """CPU time all cores spent on anything but idling, since boot."""
    values = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values[:8]) - idle) / _TICKS


@dataclass(frozen=True)
class CpuSnapshot:
    at: float
    processes: dict[str, float]
    machine: float


def snapshot(groups: Mapping[str, Iterable[int]]) -> CpuSnapshot:
    """The CPU used so far by each named group of processes, and by the machine."""
    return CpuSnapshot(
        at=perf_counter(),
        processes={name: sum(cpu_seconds(pid) for pid in pids) for name, pids in groups.items()},
        machine=machine_busy_seconds(),
    )


def cores_used(
    before: CpuSnapshot, after: CpuSnapshot, extra: Mapping[str, float] | None = None
) -> dict[str, float]:
    """Cores each group kept busy between the snapshots (1.0 is one whole core), with
    ``extra`` CPU seconds of processes measured otherwise, the machine in all, and what
    the machine did besides them all (other people's work)."""
    seconds = after.at - before.at
    used = {
        name: (after.processes[name] - before.processes[name]) / seconds
        for name in before.processes
    }
    used.update({name: value / seconds for name, value in (extra or {}).items()})
    return _shares(used, (after.machine - before.machine) / seconds)


def _shares(used: Mapping[str, float], machine: float) -> dict[str, float]:
    """Rounded cores by group, the machine's, and what the machine did besides them."""
    shares = {name: round(value, 2) for name, value in used.items()}
    shares["machine"] = round(machine, 2)
    shares["not the benchmark"] = round(max(machine - sum(used.values()), 0.0), 2)
    return shares


class SampledCpu:
    """``async with SampledCpu(groups) as cpu:``, then ``cpu.cores``: the cores each group
    kept busy while the block ran, for groups whose processes come and go inside it (the
    PostgreSQL backend of a connection a projection opens and closes). ``groups`` is
    called and ``/proc`` read every ``every`` seconds: a process that ends inside the
    block loses at most its last interval; one that starts inside counts whole."""

    def __init__(
        self, groups: Callable[[], Mapping[str, Iterable[int]]], every: float = 1.0
    ) -> None:
        self._groups = groups
        self._every = every
        self._baseline: dict[int, float] = {}
        self._seen: dict[str, dict[int, float]] = {}
        self._began = 0.0
        self._machine = 0.0
        self._task: asyncio.Task[None] | None = None
        self.cores: dict[str, float] = {}

    def _sample(self) -> None:
        for name, pids in self._groups().items():
            seen = self._seen.setdefault(name, {})
            for pid in pids:
                used = cpu_seconds(pid)
                if used:
                    seen[pid] = max(seen.get(pid, 0.0), used)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._every)
            self._sample()

    async def __aenter__(self) -> SampledCpu:
        self._began, self._machine = perf_counter(), machine_busy_seconds()
        self._baseline = {pid: cpu_seconds(pid) for pids in self._groups().values() for pid in pids}
        self._sample()
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._sample()
        seconds = perf_counter() - self._began
        used = {
            name: sum(cpu - self._baseline.get(pid, 0.0) for pid, cpu in seen.items()) / seconds
            for name, seen in self._seen.items()
        }
        self.cores = _shares(used, (machine_busy_seconds() - self._machine) / seconds)
