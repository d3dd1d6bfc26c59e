"""The benchmark's report: each figure beside its ceiling from the same run and their
ratio, the machine, the versions and the sizes, as JSON and as a Markdown table.

Every ratio is the figure divided by its ceiling: for a rate (B1, B2) the share of the
ceiling reached, higher is better; for a time or a latency (B3, B4) how many times the
ceiling it takes, lower is better.
"""

from __future__ import annotations

import json
import os
import platform
import re
from dataclasses import asdict, dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

PACKAGES = ("aiokafka", "asyncpg", "pydantic", "fastapi", "uvicorn")


@dataclass(frozen=True)
class Figure:
    id: str
    measures: str
    value: float
    unit: str
    bar: str
    met: bool
    ceiling: float | None = None
    ceiling_measures: str | None = None
    text: str = ""
    """The figure as the table shows it, when the value alone does not say enough."""
    ceiling_text: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.ceiling is None or self.ceiling == 0:
            return None
        return self.value / self.ceiling

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio}


@dataclass(frozen=True)
class Report:
    profile: str
    started_at: str
    seconds: float
    machine: dict[str, Any]
    versions: dict[str, str]
    sizes: dict[str, Any]
    workload: dict[str, Any]
    figures: list[Figure]
    notes: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "started_at": self.started_at,
            "seconds": round(self.seconds, 1),
            "machine": self.machine,
            "versions": self.versions,
            "sizes": self.sizes,
            "workload": self.workload,
            "figures": {figure.id: figure.as_dict() for figure in self.figures},
            "all_bars_met": all(figure.met for figure in self.figures),
            "notes": self.notes,
        }

    def write(self, folder: Path) -> tuple[Path, Path]:
        """``latest-<profile>.json`` and ``.md`` in ``folder``; returns both paths."""
        folder.mkdir(parents=True, exist_ok=True)
        json_path = folder / f"latest-{self.profile}.json"
        markdown_path = folder / f"latest-{self.profile}.md"
        json_path.write_text(json.dumps(self.as_dict(), indent=2) + "\n")
        markdown_path.write_text(self.markdown())
        return json_path, markdown_path

    def markdown(self) -> str:
        machine = self.machine
        lines = [
            f"# Benchmark, {self.profile} profile",
            "",
            f"Run {self.started_at} in {self.seconds:.0f} s on {machine['cores']} cores, "
            f"{machine['memory_gib']} GiB ({machine['cpu']}); load average "
            f"{machine['load_average_before']} before, {machine['load_average_after']} after.",
            "Versions: " + ", ".join(f"{name} {value}" for name, value in self.versions.items()),
            "",
            "Sizes: " + ", ".join(f"{name} {_number(value)}" for name, value in self.sizes.items()),
            "",
            "| id | measures | figure | ceiling in the same run | ratio | bar | met |",
            "|---|---|---|---|---|---|---|",
        ]
        for figure in self.figures:
            ratio = "—" if figure.ratio is None else f"{figure.ratio:.2f}"
            ceiling = figure.ceiling_text or "—"
            if figure.ceiling_measures:
                ceiling = f"{ceiling} ({figure.ceiling_measures})"
            text = figure.text or f"{_number(figure.value)} {figure.unit}"
            met = "yes" if figure.met else "**no**"
            lines.append(
                f"| {figure.id} | {figure.measures} | {text} | {ceiling} | {ratio} "
                f"| {figure.bar} | {met} |"
            )
        lines += ["", "Ratio: the figure divided by its ceiling.", ""]
        lines += [f"- {note}" for note in self.notes]
        return "\n".join(lines).rstrip() + "\n"


def _number(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if value >= 100 else f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def machine(load_before: tuple[float, ...], load_after: tuple[float, ...]) -> dict[str, Any]:
    """Cores, memory, CPU model and how busy the machine was around the run."""
    memory_kib = 0
    cpu = platform.processor() or platform.machine()
    try:
        meminfo = Path("/proc/meminfo").read_text()
        total = re.search(r"MemTotal:\s+(\d+)", meminfo)
        memory_kib = int(total.group(1)) if total else 0
        cpuinfo = Path("/proc/cpuinfo").read_text()
        found = re.search(r"model name\s*:\s*(.+)", cpuinfo)
        if found:
            cpu = found.group(1).strip()
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kib / 2**20, 1),
        "cpu": cpu,
        "platform": platform.platform(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
    }


def versions(kafka: str, postgres: str, wrk: str | None) -> dict[str, str]:
    found = {"python": platform.python_version(), "kafka": kafka, "postgresql": postgres}
    found.update({package: version(package) for package in PACKAGES})
    found["wrk"] = wrk or "missing (Python client)"
    return found
