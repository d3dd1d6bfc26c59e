"""The local stack's services: where each one listens, and starting them as background
processes of the stack, each with its own database URL, logging to
``var/log/<service>.log``.

Ports are settings, read from the variables the services themselves read
(``POKMAS_PORT`` … ``INSIGHTS_PORT``, and the notifications service's
``NOTIFICATIONS_SMTP_PORT`` for the development mail server), so that a second stack
can run beside the first and every tool that talks to the stack finds it. Which Kafka
cluster the running stack has (one node or a cluster) is read from the nodes that run.
"""

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
from shared.stack.local import LocalStack, port_setting
from shared.stack.processes import (
    require_free_ports,
    running_pid,
    start_detached,
    stop_pid_file,
    tail,
)

MAX_KAFKA_NODES = 5
"""The largest Kafka cluster ``bapas stack up`` starts."""


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


@dataclass(frozen=True)
class LocalService:
    """A service of the local stack, and the port it listens on when its
    ``<SERVICE>_PORT`` setting is unset (the service's own default)."""

    name: str
    default_port: int

    @property
    def port_variable(self) -> str:
        return f"{self.name.upper()}_PORT"

    def process(self) -> ServiceProcess:
        """The service on the port its setting names in this environment."""
        return ServiceProcess(self.name, port_setting(self.port_variable, self.default_port))


SERVICES = (
    LocalService("pokmas", 8001),
    LocalService("enrolment", 8002),
    LocalService("notifications", 8003),
    LocalService("insights", 8004),
    LocalService("employment", 8005),
)
"""The five services, in the order they are started and listed."""

MAIL_PORT_VARIABLE = "NOTIFICATIONS_SMTP_PORT"
DEFAULT_MAIL_PORT = 8025
"""The development SMTP server's port when the notifications service's SMTP port
setting is unset (that setting's own default)."""


def local_services() -> tuple[ServiceProcess, ...]:
    """The local stack's services, each on the port its setting names."""
    return tuple(service.process() for service in SERVICES)


def local_service(name: str) -> ServiceProcess:
    """One service of the local stack (``"insights"``…), on the port its setting names."""
    return next(service.process() for service in SERVICES if service.name == name)


def mail_port() -> int:
    """The development mail server's port: where the notifications service sends."""
    return port_setting(MAIL_PORT_VARIABLE, DEFAULT_MAIL_PORT)


def running_local_stack() -> LocalStack:
    """The local stack with the Kafka cluster ``stack up`` started: of the shapes it can
    start, the one whose nodes run here; the single node when none runs."""
    for nodes in range(1, MAX_KAFKA_NODES + 1):
        stack = LocalStack.from_environment(nodes)
        if stack.kafka.running_nodes():
            return stack
    return LocalStack.from_environment()


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
    where it is meant to be trusted. Logs are readable lines (``BAPAS_LOG_FORMAT=console``)
    unless the caller asks for JSON.
    """
    env = dict(os.environ)
    env.setdefault("BAPAS_ENVIRONMENT", "development")
    env.setdefault("BAPAS_JWT_SECRET", DEVELOPMENT_JWT_SECRET)
    env.setdefault("BAPAS_LOG_FORMAT", "console")  # the log files are read by people
    env["KAFKA_BOOTSTRAP_SERVERS"] = stack.bootstrap_servers
    env[f"{service.env_prefix}DATABASE_URL"] = stack.database_url(service.name)
    env[f"{service.env_prefix}PORT"] = str(service.port)
    return env


class ServiceRunner:
    """Starts, waits for and stops ``services`` (the local stack's four, on the ports
    their settings name, unless told otherwise) as detached processes of ``stack``."""

    def __init__(self, stack: LocalStack, services: Sequence[ServiceProcess] | None = None) -> None:
        self.stack = stack
        self.services = local_services() if services is None else tuple(services)

    def _pid_file(self, service: ServiceProcess) -> Path:
        return self.stack.paths.pids / f"{service.name}.pid"

    @property
    def mail_folder(self) -> Path:
        return self.stack.paths.var / "mail"

    def start(self, *, mail: bool = True) -> dict[str, int]:
        """Start the development mail server (if ``mail``), then every service not
        running yet; returns the process ids of the services it started."""
        mail_pid = self.stack.paths.pids / "mail.pid"
        port = mail_port()
        start_mail = mail and running_pid(mail_pid) is None
        pending = [s for s in self.services if running_pid(self._pid_file(s)) is None]
        ports = {f"{s.name} service": s.port for s in pending}
        if start_mail:
            ports["development mail server"] = port
        require_free_ports(ports)
        if start_mail:
            start_detached(
                [
                    sys.executable,
                    "-m",
                    "services.notifications.dev_smtp",
                    "--port",
                    str(port),
                    "--folder",
                    str(self.mail_folder),
                ],
                pid_file=mail_pid,
                log_file=self.stack.paths.logs / "mail.log",
                env={
                    **os.environ,
                    "BAPAS_LOG_FORMAT": os.environ.get("BAPAS_LOG_FORMAT", "console"),
                },
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
