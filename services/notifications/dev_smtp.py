"""A local SMTP server for development and tests: every message it accepts is kept as
an ``.eml`` file in a folder, so a person can read what the service sent (any text
editor or mail client opens them) and a test can check it.

    python -m services.notifications.dev_smtp --port 8025 --folder var/mail

It accepts every message, never relays one, and offers neither TLS nor AUTH: it is
for the local stack only. Files are named by arrival time and written atomically
(a temporary name, then a rename), so a reader never sees half a message.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

from aiosmtpd.smtp import SMTP, Envelope, Session

from shared.observability.logs import configure_logging

log = logging.getLogger(__name__)

DEFAULT_PORT = 8025
DEFAULT_FOLDER = Path("var/mail")


class MailFolder:
    """aiosmtpd handler: stores each message in ``folder`` as ``<time>-<id>.eml``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{uuid4().hex[:8]}.eml"
        partial = self.folder / f".{name}.partial"
        partial.write_bytes(content)
        partial.rename(self.folder / name)
        log.info("kept a message to %s as %s", ", ".join(envelope.rcpt_tos), name)
        return "250 Message accepted for delivery"


async def start_server(
    handler: Any, *, host: str = "127.0.0.1", port: int = DEFAULT_PORT
) -> asyncio.Server:
    """Serve SMTP with ``handler`` (e.g. a :class:`MailFolder`) on the running loop;
    ``port=0`` picks a free port (read it from ``server.sockets``)."""
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: SMTP(handler, hostname="localhost", loop=loop), host=host, port=port
    )


async def serve(folder: Path, *, host: str, port: int) -> None:
    server = await start_server(MailFolder(folder), host=host, port=port)
    log.info("development SMTP server on %s:%d keeping messages in %s", host, port, folder)
    async with server:
        await server.serve_forever()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--folder", type=Path, default=DEFAULT_FOLDER)
    arguments = parser.parse_args(argv)
    configure_logging("dev_smtp")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(arguments.folder, host=arguments.host, port=arguments.port))


if __name__ == "__main__":
    main()
