"""A small HTTP/1.1 client for the benchmark's own loads (B3, and B2 when ``wrk`` is
missing): a fixed set of keep-alive connections, one request at a time on each.

httpx cost this process more than half a core at a hundred requests a second once
requests queued in its pool, CPU taken from the services it measures on two cores.
This client only writes a request and reads a response with a ``Content-Length``,
which is all the services send.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def exchange(self, request: bytes) -> Response:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        body = await self.reader.readexactly(length) if length else b""
        return Response(status, body)


class ConnectionPool:
    """``size`` connections to one server; a request waits for a free one."""

    def __init__(self, base_url: str, size: int) -> None:
        parts = urlsplit(base_url)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 80
        self._size = size
        self._free: asyncio.Queue[_Connection] = asyncio.Queue()
        self._all: list[_Connection] = []

    async def open(self) -> None:
        for _ in range(self._size):
            reader, writer = await asyncio.open_connection(self._host, self._port)
            connection = _Connection(reader, writer)
            self._all.append(connection)
            self._free.put_nowait(connection)

    async def close(self) -> None:
        for connection in self._all:
            connection.writer.close()
        for connection in self._all:
            await connection.writer.wait_closed()

    async def request(
        self, method: str, path: str, body: object | None, headers: Mapping[str, str]
    ) -> Response:
        """Send one request (``body`` as JSON, when given) on the next free connection."""
        payload = b"" if body is None else json.dumps(body).encode()
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: {self._host}:{self._port}",
            f"Content-Length: {len(payload)}",
            *(f"{name}: {value}" for name, value in headers.items()),
        ]
        if body is not None:
            lines.append("Content-Type: application/json")
        request = ("\r\n".join(lines) + "\r\n\r\n").encode() + payload
        connection = await self._free.get()
        try:
            response = await connection.exchange(request)
        except BaseException:
            connection.writer.close()
            raise
        self._free.put_nowait(connection)
        return response


@asynccontextmanager
async def connection_pool(base_url: str, size: int) -> AsyncIterator[ConnectionPool]:
    pool = ConnectionPool(base_url, size)
    try:
        await pool.open()
        yield pool
    finally:
        await pool.close()
