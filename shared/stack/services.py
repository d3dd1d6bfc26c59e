"""Starts the services as background processes of the local stack, each with
its own database URL and port, logging to ``var/log/<service>.log``."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from shared.settings import DEVELOPMENT_JWT_SECRET
from shared.stack.errors import StackError
from shared.stack.local import LocalStack
from shared.stack.processes import (
    require_free_ports,
    running_pid,
    start_detached,
    stop_pid_file,
    tail,
)


@dataclass(frozen=True)
class ServiceProcess:
    name: str
    port: int

    @property
    def env_prefix(self) -> str:
        return self.name.upper() + "_"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def command(self) -> list[str]:
        """How the service runs as a process: uvicorn, one worker, no access log."""
        return [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            f"services.{self.name}.app:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--no-access-log",
        ]


MAIL_PORT = 8025
"""The development SMTP server's port: the notifications service's default."""

SERVICES = (
    ServiceProcess("pokmas", 8001),
    ServiceProcess("enrolment", 8002),
    ServiceProcess("notifications", 8003),
    ServiceProcess("insights", 8004),
)


@contextmanager
def environment_overrides(values: Mapping[str, str]) -> Iterator[None]:
    """``values`` in this process's environment meanwhile (services started or built in
    it read them), the previous values restored afterwards."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def service_environment(stack: LocalStack, service: ServiceProcess) -> dict[str, str]:
    """The environment a service process gets from the local stack.

    ``BAPAS_ENVIRONMENT=development`` unless the caller says otherwise: a service trusts
    the development secret only when that is said explicitly, and the local stack is
    where it is meant to be trusted.
    """
    env = dict(os.environ)
    env.setdefault("BAPAS_ENVIRONMENT", "development")
    env.setdefault("BAPAS_JWT_SECRET", DEVELOPMENT_JWT_SECRET)
    env["KAFKA_BOOTSTRAP_SERVERS"] = stack.bootstrap_servers
    env[f"{service.env_prefix}DATABASE_URL"] = stack.database_url(service.name)
    env[f"{service.env_prefix}PORT"] = str(service.port)
    return env


class ServiceRunner:
    """Starts, waits for and stops ``services`` (the three, on their usual ports, unless
    told otherwise) as detached processes of ``stack``."""

    def __init__(self, stack: LocalStack, services: Sequence[ServiceProcess] = SERVICES) -> None:
        self.stack = stack
        self.services = tuple(services)

    def _pid_file(self, service: ServiceProcess) -> Path:
        return self.stack.paths.pids / f"{service.name}.pid"

    @property
    def mail_folder(self) -> Path:
        return self.stack.paths.var / "mail"

    def start(self, *, mail: bool = True) -> dict[str, int]:
        """Start the development mail server (if ``mail``), then every service not
        running yet; returns the process ids of the services it started."""
        mail_pid = self.stack.paths.pids / "mail.pid"
        start_mail = mail and running_pid(mail_pid) is None
        pending = [s for s in self.services if running_pid(self._pid_file(s)) is None]
        ports = {f"{s.name} service": s.port for s in pending}
        if start_mail:
            ports["development mail server"] = MAIL_PORT
        require_free_ports(ports)
        if start_mail:
            start_detached(
                [
                    sys.executable,
                    "-m",
                    "services.notifications.dev_smtp",
                    "--port",
                    str(MAIL_PORT),
                    "--folder",
                    str(self.mail_folder),
                ],
                pid_file=mail_pid,
                log_file=self.stack.paths.logs / "mail.log",
                cwd=self.stack.paths.root,
            )
        return {
            service.name: start_detached(
                service.command,
                pid_file=self._pid_file(service),
                log_file=self.stack.paths.logs / f"{service.name}.log",
                env=service_environment(self.stack, service),
                cwd=self.stack.paths.root,
            )
            for service in pending
        }

    def stop(self) -> list[str]:
        """Stop the services and the mail server; returns the names of those stopped."""
        stopped = [s.name for s in self.services if stop_pid_file(self._pid_file(s))]
        if stop_pid_file(self.stack.paths.pids / "mail.pid"):
            stopped.append("development mail")
        return stopped

    async def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=2.0) as client:
            for service in self.services:
                while True:
                    if running_pid(self._pid_file(service)) is None:
                        log = self.stack.paths.logs / f"{service.name}.log"
                        raise StackError(
                            f"the {service.name} service exited; the end of {log}:\n{tail(log)}"
                        )
                    try:
                        response = await client.get(f"{service.url}/health/ready")
                        if response.status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    if time.monotonic() > deadline:
                        raise StackError(
                            f"the {service.name} service is not ready at {service.url}"
                        )
                    await asyncio.sleep(0.3)
