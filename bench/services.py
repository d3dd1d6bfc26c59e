"""The services as real processes on the bench stack, as ``make up`` runs them
(uvicorn, one worker, no access log), each with its own database, on ports of their own
(the first port, then one each in the order of ``shared.stack.services.SERVICES``);
and their peak memory (B5) read from ``/proc``.

Settings the benchmark gives them beyond the stack's (the insights service's topics)
are passed in their environment.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bench.stack import BenchStack
from shared.stack.services import SERVICES, ServiceProcess, ServiceRunner, environment_overrides

DEFAULT_FIRST_PORT = 29501
READY_TIMEOUT = 90.0


@dataclass(frozen=True)
class RunningServices:
    processes: Mapping[str, ServiceProcess]
    pids: Mapping[str, int]

    def url(self, service: str) -> str:
        return self.processes[service].url


def peak_rss_bytes(pid: int) -> int:
    """The process's peak resident set (``VmHWM``) since it started."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise LookupError(f"no VmHWM for process {pid}")


@asynccontextmanager
async def running_services(
    bench: BenchStack,
    *,
    first_port: int = DEFAULT_FIRST_PORT,
    environment: Mapping[str, str] | None = None,
) -> AsyncIterator[RunningServices]:
    """Start the services (with ``environment`` added to theirs), wait until each is
    ready, and stop them afterwards."""
    processes = {
        service.name: ServiceProcess(service.name, first_port + index)
        for index, service in enumerate(SERVICES)
    }
    runner = ServiceRunner(bench.stack, tuple(processes.values()))
    try:
        with environment_overrides(environment or {}):
            pids = runner.start(mail=False)
        services = RunningServices(processes, pids)
        await runner.wait_ready(timeout=READY_TIMEOUT)
        yield services
    finally:
        runner.stop()
