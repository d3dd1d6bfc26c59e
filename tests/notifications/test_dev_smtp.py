"""The development SMTP server, run as the lead's ``make up`` runs it, keeps each
message as a file a person can read."""

from __future__ import annotations

import asyncio
import email
import email.policy
import sys
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib

from tests.notifications.receivers import eventually
from tests.support.ports import free_port


async def test_the_dev_smtp_command_keeps_messages_as_files(tmp_path: Path) -> None:
    port, folder = free_port(), tmp_path / "mail"
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.notifications.dev_smtp",
        "--port",
        str(port),
        "--folder",
        str(folder),
    )
    message = EmailMessage()
    message["From"] = "notifikasi@bapas.example"
    message["To"] = "budi@bapas.example"
    message["Subject"] = "Uji coba"
    message.set_content("Pesan percobaan.")

    async def sent() -> bool:
        try:
            await aiosmtplib.send(message, hostname="127.0.0.1", port=port, timeout=2)
        except (aiosmtplib.SMTPException, OSError):
            return False
        return True

    try:
        await eventually(sent, timeout=20)
    finally:
        server.terminate()
        await server.wait()
    [kept] = list(folder.glob("*.eml"))
    read = email.message_from_bytes(kept.read_bytes(), policy=email.policy.default)

    assert read["Subject"] == "Uji coba"
    assert read["To"] == "budi@bapas.example"
