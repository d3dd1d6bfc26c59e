"""B2: commands through the HTTP API from 32 concurrent clients, and the same server
answering a no-op (``GET /health/live``), its ceiling; B7 uses the same loads for
``GET /api/v1/figures`` on the insights service.

The load comes from ``wrk`` (Debian's package), a C client whose per-request cost is a
fraction of the server's, as measured on this hardware; its latency percentiles come
from its histogram of every response. Where ``wrk`` is missing (``make bench`` installs it
with apt when it can), a Python client takes its place and the report says so: it
shares the two cores with the server, so its figures understate the server.
"""

from __future__ import annotations

import asyncio
import json
import resource
import shutil
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from time import perf_counter

from bench.http_client import ConnectionPool, connection_pool
from bench.latency import Latency
from shared.http import Role, issue_token
from shared.reference import bapas_offices
from shared.reference.skills import skill_codes
from shared.settings import AuthSettings

CONNECTIONS = 32
WRK_THREADS = 2
SCRIPTS = Path(__file__).parent / "wrk"
RESULT_MARKER = "BENCH-RESULT "
ERROR_KINDS = ("connect", "read", "write", "status", "timeout")


@dataclass(frozen=True)
class HttpLoad:
    client: str
    requests: int
    seconds: float
    errors: dict[str, int]
    latency: Latency
    client_cpu_seconds: float = 0.0
    """CPU the load generator used (wrk; the Python client is the benchmark itself)."""

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds


SKILL = sorted(skill_codes())[0]
"""The skill of every Pokmas, MoU and programme the benchmark creates."""


@dataclass(frozen=True)
class Officer:
    """A Bapas officer the benchmark sends commands as; each office has its own.

    Commands are spread over the offices, as a national system's are.
    """

    bapas_code: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def pokmas_body(self, number: int) -> dict[str, object]:
        return {
            "bapas_code": self.bapas_code,
            "name": f"Pokmas Bench {number}",
            "kind": "organisation",
            "contact": {
                "name": "Kontak",
                "phone": "+62 812 0000 0000",
                "email": "kontak@pokmas.example",
            },
            "address": "Jl. Contoh 1",
            "skills": [SKILL],
        }


def officers(count: int = CONNECTIONS) -> list[Officer]:
    """Officers of ``count`` offices (at most the offices there are), with their tokens."""
    settings = AuthSettings()
    return [
        Officer(
            office.code,
            issue_token(
                settings,
                role=Role.BAPAS_OFFICER,
                sub="bench",
                bapas=office.code,
                ttl=timedelta(hours=2),
            ),
        )
        for office in bapas_offices()[:count]
    ]


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


async def _wrk(url: str, seconds: float, scenario: str | None, arguments: list[str]) -> HttpLoad:
    script = (SCRIPTS / "report.lua").read_text()
    if scenario is not None:
        script = (SCRIPTS / scenario).read_text() + "\n" + script
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as file:
        file.write(script)
        file.flush()
        process = await asyncio.create_subprocess_exec(
            "wrk",
            f"-t{WRK_THREADS}",
            f"-c{CONNECTIONS}",
            f"-d{max(round(seconds), 1)}s",
            "--timeout",
            "10s",
            "-s",
            file.name,
            url,
            "--",
            *arguments,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await process.communicate()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    text = output.decode(errors="replace")
    lines = [line for line in text.splitlines() if line.startswith(RESULT_MARKER)]
    if process.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed (exit code {process.returncode}):\n{text[-2000:]}")
    result = json.loads(lines[-1].removeprefix(RESULT_MARKER))
    percentiles = {key: value / 1000 for key, value in result["latency_us"].items()}
    return HttpLoad(
        client="wrk",
        requests=result["requests"],
        seconds=result["duration_us"] / 1e6,
        errors=result["errors"],
        latency=Latency(samples=result["requests"], **percentiles),
        client_cpu_seconds=(after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
    )


async def _python_client(
    base_url: str,
    path: str,
    seconds: float,
    method: str,
    callers: list[Officer],
    fixed_headers: dict[str, str] | None = None,
) -> HttpLoad:
    """32 closed-loop clients in this process: the fallback when ``wrk`` is missing.

    With ``callers`` each request registers a Pokmas as one of them in turn; otherwise
    each sends ``fixed_headers`` and no body."""
    samples: list[float] = []
    errors = dict.fromkeys(ERROR_KINDS, 0)
    deadline = perf_counter() + seconds

    async def client_loop(pool: ConnectionPool, number: int) -> None:
        request = 0
        while perf_counter() < deadline:
            request += 1
            body: object | None = None
            headers: dict[str, str] = fixed_headers or {}
            if callers:
                caller = callers[(number + request) % len(callers)]
                body = caller.pokmas_body(number * 1_000_000 + request)
                headers = caller.headers
            started = perf_counter()
            try:
                response = await asyncio.wait_for(
                    pool.request(method, path, body, headers), timeout=10
                )
            except TimeoutError:
                errors["timeout"] += 1
                return  # the connection is lost with the request
            except (OSError, asyncio.IncompleteReadError):
                errors["read"] += 1
                return
            samples.append(perf_counter() - started)
            if response.status >= 400:
                errors["status"] += 1

    started = perf_counter()
    async with connection_pool(base_url, CONNECTIONS) as pool:
        await asyncio.gather(*(client_loop(pool, number) for number in range(CONNECTIONS)))
    return HttpLoad(
        client="python (bench.http_client): wrk is missing",
        requests=len(samples),
        seconds=perf_counter() - started,
        errors=errors,
        latency=Latency.of_seconds(samples),
    )


async def no_op(base_url: str, seconds: float) -> HttpLoad:
    """B2's ceiling: ``GET /health/live`` on the same server."""
    if wrk_available():
        return await _wrk(f"{base_url}/health/live", seconds, None, [])
    return await _python_client(base_url, "/health/live", seconds, "GET", [])


async def read_figures(base_url: str, seconds: float, token: str) -> HttpLoad:
    """B7: ``GET /api/v1/figures`` with a ministry's bearer token."""
    if wrk_available():
        return await _wrk(base_url, seconds, "figures.lua", [token])
    headers = {"Authorization": f"Bearer {token}"}
    return await _python_client(base_url, "/api/v1/figures", seconds, "GET", [], headers)


async def register_pokmas(base_url: str, seconds: float, callers: list[Officer]) -> HttpLoad:
    """B2: ``POST /api/v1/pokmas``, each request a new Pokmas, by the officers in turn."""
    if wrk_available():
        arguments = [SKILL]
        for caller in callers:
            arguments += [caller.bapas_code, caller.token]
        return await _wrk(base_url, seconds, "register_pokmas.lua", arguments)
    return await _python_client(base_url, "/api/v1/pokmas", seconds, "POST", callers)
