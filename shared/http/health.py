"""Liveness and readiness endpoints, the same in every service.

The API contract asks for ``GET /health/live`` and ``GET /health/ready`` (database and Kafka
reachable). Liveness says only that the process still answers, so an orchestrator
restarts a hung process but not one whose database is down; readiness runs each
dependency check with a short timeout, so a slow dependency cannot hang the probe,
and names the checks that failed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from fastapi import APIRouter
from pydantic import BaseModel

from shared.http.problems import PROBLEM_RESPONSES, ServiceUnavailable

ReadinessCheck = Callable[[], Awaitable[None]]
"""Returns if the dependency answers, raises otherwise."""


class NotReady(Exception):
    """Raised by a check whose reason an operator must read in the probe's answer (what
    is wrong and the way out); other errors are reported by their type only."""


DEFAULT_CHECK_TIMEOUT_SECONDS = 2.0
CHECK_PASSED = "ok"

logger = logging.getLogger(__name__)


class Liveness(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    checks: dict[str, str]


async def _outcome(name: str, check: ReadinessCheck, seconds: float) -> str:
    try:
        async with asyncio.timeout(seconds):
            await check()
    except TimeoutError:
        outcome = f"timed out after {seconds:g} s"
    except NotReady as error:
        outcome = f"failed: {error}"
    except Exception as error:
        outcome = f"failed: {type(error).__name__}"
    else:
        return CHECK_PASSED
    logger.warning("readiness check %s %s", name, outcome)
    return outcome


def health_router(
    checks: Mapping[str, ReadinessCheck],
    *,
    timeout: float = DEFAULT_CHECK_TIMEOUT_SECONDS,
) -> APIRouter:
    """``/health/live`` and ``/health/ready``, the latter running ``checks`` concurrently."""
    router = APIRouter(prefix="/health", tags=["health"])

    @router.get("/live")
    async def live() -> Liveness:
        return Liveness(status="live")

    @router.get("/ready", responses={503: PROBLEM_RESPONSES[503]})
    async def ready() -> Readiness:
        names = list(checks)
        outcomes = await asyncio.gather(*(_outcome(name, checks[name], timeout) for name in names))
        results = dict(zip(names, outcomes, strict=True))
        failed = [name for name, outcome in results.items() if outcome != CHECK_PASSED]
        if failed:
            raise ServiceUnavailable(
                "not ready: " + "; ".join(f"{name} {results[name]}" for name in failed),
                extensions={"checks": results},
            )
        return Readiness(status="ready", checks=results)

    return router
