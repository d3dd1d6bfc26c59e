"""Jobs a service runs on a timer (the daily MoU expiry, the reminders).

Every instance runs them; each job makes its own effect happen once (an event the
aggregate refuses to record twice, a delivery row with a unique key), so two
instances or a restart never double it and no leader election is needed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


async def run_periodically(
    job: Callable[[], Awaitable[object]], *, every_seconds: float, name: str
) -> None:
    """Run ``job`` now and then every ``every_seconds``, until cancelled; a failing
    round is logged and the next one comes as planned."""
    while True:
        try:
            await job()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("periodic job %s failed; it runs again in %.0f s", name, every_seconds)
        await asyncio.sleep(every_seconds)
