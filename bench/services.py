"""The three services as real processes on the bench stack, as ``make up`` runs them
(uvicorn, one worker, no access log), each with its own database, on ports of their own;
and their peak memory (B5) read from ``/proc``.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

from bench.stack import BenchStack
from shared.stack.errors import StackError
from shared.stack.processes import require_free_ports, running_pid, start_detached, stop_pid_file
from shared.stack.services import ServiceProcess, service_environment

SERVICE_NAMES = ("pokmas", "enrolment", "notifications")
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


async def _wait_ready(bench: BenchStack, services: RunningServices) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    async with httpx.AsyncClient(timeout=2.0) as client:
        for name, service in services.processes.items():
            while True:
                if running_pid(bench.paths.pids / f"{name}.pid") is None:
                    raise StackError(f"the {name} service exited; see {bench.paths.logs}")
                try:
                    response = await client.get(f"{service.url}/health/ready")
                    if response.status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise StackError(f"the {name} service is not ready at {service.url}")
                await asyncio.sleep(0.3)


@asynccontextmanager
async def running_services(
    bench: BenchStack, *, first_port: int = DEFAULT_FIRST_PORT
) -> AsyncIterator[RunningServices]:
    """Start the services, wait until each is ready, and stop them afterwards."""
    processes = {
        name: ServiceProcess(name, first_port + index) for index, name in enumerate(SERVICE_NAMES)
    }
    require_free_ports({f"{name} service": p.port for name, p in processes.items()})
    pid_files = {name: bench.paths.pids / f"{name}.pid" for name in processes}
    try:
        pids = {
            name: start_detached(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "--factory",
                    f"services.{name}.app:create_app",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(process.port),
                    "--no-access-log",
                ],
                pid_file=pid_files[name],
                log_file=bench.paths.logs / f"{name}.log",
                env=service_environment(bench.stack, process),
                cwd=bench.paths.root,
            )
            for name, process in processes.items()
        }
        services = RunningServices(processes, pids)
        await _wait_ready(bench, services)
        yield services
    finally:
        for pid_file in pid_files.values():
            stop_pid_file(pid_file)
