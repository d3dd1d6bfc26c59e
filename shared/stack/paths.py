"""Where the stack keeps its files: the repository's ignored ``var/`` and ``infra/``.

``BAPAS_HOME`` moves them elsewhere; by default they sit beside ``pyproject.toml``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def repository_root() -> Path:
    configured = os.environ.get("BAPAS_HOME")
    if configured:
        return Path(configured).resolve()
    return Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class StackPaths:
    """``root`` holds ``infra/``; ``var`` holds data, logs and pids (a test stack has its own)."""

    root: Path
    var: Path

    @property
    def logs(self) -> Path:
        return self.var / "log"

    @property
    def pids(self) -> Path:
        return self.var / "run"

    @property
    def kafka_infra(self) -> Path:
        return self.root / "infra" / "kafka"

    @property
    def kafka_lib(self) -> Path:
        return self.kafka_infra / "lib"

    def kafka_data(self, cluster: str) -> Path:
        return self.var / "kafka" / cluster

    @property
    def postgres_data(self) -> Path:
        return self.var / "postgres" / "data"

    @property
    def postgres_socket_dir(self) -> Path:
        return self.var / "postgres" / "run"


def default_paths() -> StackPaths:
    root = repository_root()
    return StackPaths(root=root, var=root / "var")
