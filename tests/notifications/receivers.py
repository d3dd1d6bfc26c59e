"""The other ends of the channels, running in the test process on free ports: the
development SMTP server (with a switch to refuse an address for a while) and a tiny
HTTP server that plays webhook subscriber and SMS gateway, and can be told to answer a
path with anything (a 500 with a banner, a redirect) or to hold its answer until the
test lets it go (a slow receiver). Every server listens on loopback only."""

from __future__ import annotations

import asyncio
import email
import email.policy
import math
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import TypeVar
from uuid import UUID

from aiosmtpd.smtp import SMTP, Envelope, Session

from services.notifications.dev_smtp import MailFolder, start_server

T = TypeVar("T")

WAIT_SECONDS = 30.0


async def eventually(probe: Callable[[], Awaitable[T]], *, timeout: float = WAIT_SECONDS) -> T:
    """The first truthy result of ``probe``, polled until ``timeout``."""
    async with asyncio.timeout(timeout):
        while True:
            result = await probe()
            if result:
                return result
            await asyncio.sleep(0.05)


class Mailbox(MailFolder):
    """The development server's folder, and addresses it refuses (451) some times."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.port = 0
        self._refusals: dict[str, float] = {}
        self.attempts: Counter[str] = Counter()

    def refuse(self, address: str, times: float = math.inf) -> None:
        """Answer ``451`` to ``times`` attempts to deliver to ``address`` (forever by default)."""
        self._refusals[address] = times

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        self.attempts[address] += 1
        left = self._refusals.get(address, 0)
        if left > 0:
            self._refusals[address] = left - 1
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def messages(self) -> list[EmailMessage]:
        found = []
        for path in sorted(self.folder.glob("*.eml")):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            found.append(message)
        return found

    def about(self, cause_event_id: UUID) -> list[EmailMessage]:
        """The messages announcing that event (or reminding of the date it set)."""
        return [m for m in self.messages() if m["X-Bapas-Cause-Event-Id"] == str(cause_event_id)]

    async def wait_about(self, cause_event_id: UUID, count: int) -> list[EmailMessage]:
        """The messages about that cause, once there are ``count`` of them."""

        async def enough() -> list[EmailMessage]:
            found = self.about(cause_event_id)
            return found if len(found) >= count else []

        return await eventually(enough)


@asynccontextmanager
async def mailbox(folder: Path) -> AsyncIterator[Mailbox]:
    box = Mailbox(folder)
    server = await start_server(box, port=0)
    box.port = server.sockets[0].getsockname()[1]
    try:
        yield box
    finally:
        server.close()
        await server.wait_closed()


@dataclass(frozen=True)
class Answer:
    """What the receiver answers to a path."""

    status: str = "200 OK"
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def encode(self) -> bytes:
        head = [f"HTTP/1.1 {self.status}", f"Content-Length: {len(self.body)}"]
        head += [f"{name}: {value}" for name, value in self.headers]
        head += ["Connection: close", "", ""]
        return "\r\n".join(head).encode() + self.body


FAILURE = Answer("500 Internal Server Error")


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    """Names in lower case."""
    body: bytes


class HttpReceiver:
    """Records every request; answers each path as told (200 by default), at once or
    when the test releases it."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self.requests: list[Request] = []
        self.waiting: Counter[str] = Counter()
        """Requests per path that arrived and are held, not answered yet."""
        self._answers: dict[str, Answer] = {}
        self._holds: dict[str, asyncio.Event] = {}

    def url(self, path: str) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{path}"

    def answer(self, path: str, answer: Answer) -> None:
        self._answers[path] = answer

    def fail(self, path: str) -> None:
        self.answer(path, FAILURE)

    def recover(self, path: str) -> None:
        self._answers.pop(path, None)

    def hold(self, path: str) -> asyncio.Event:
        """Hold the answers to ``path`` until the returned event is set."""
        release = asyncio.Event()
        self._holds[path] = release
        return release

    def to(self, path: str) -> list[Request]:
        return [request for request in self.requests if request.path == path]

    async def wait_to(self, path: str, count: int = 1) -> list[Request]:
        async def enough() -> list[Request]:
            found = self.to(path)
            return found if len(found) >= count else []

        return await eventually(enough)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            method, target, _ = (await reader.readline()).decode().split(" ", 2)
            headers: dict[str, str] = {}
            while (line := (await reader.readline()).decode().strip()) != "":
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.requests.append(Request(method, target, headers, body))
            await self._held(target)
            writer.write(self._answers.get(target, Answer()).encode())
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client gave up (a deadline): nothing to answer
        finally:
            writer.close()

    async def _held(self, path: str) -> None:
        release = self._holds.get(path)
        if release is None:
            return
        self.waiting[path] += 1
        try:
            await release.wait()
        finally:
            self.waiting[path] -= 1


@asynccontextmanager
async def http_receiver(host: str = "127.0.0.1") -> AsyncIterator[HttpReceiver]:
    """A receiver listening on ``host`` (a loopback address) on a free port."""
    receiver = HttpReceiver(host)
    server = await asyncio.start_server(receiver.handle, host, 0)
    receiver.port = server.sockets[0].getsockname()[1]
    try:
        yield receiver
    finally:
        server.close()
        await server.wait_closed()
