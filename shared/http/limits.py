"""What a request may weigh and carry before any route reads it.

A body over the limit (1 MiB unless ``BAPAS_MAX_BODY_BYTES`` says otherwise) is
answered 413 before it is parsed: by its ``Content-Length`` when it declares one, and
by counting while it arrives when it is sent in chunks, so that no caller can make a
service read and parse megabytes. A NUL in the path or the query is answered 422 here
too: PostgreSQL refuses NUL in a text, and a filter holding one would otherwise reach
the database.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote_to_bytes

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.http.problems import FieldError, Problem, Unprocessable

DEFAULT_MAX_BODY_BYTES = 1024 * 1024


class RequestLimits(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BAPAS_", extra="ignore")

    max_body_bytes: int = Field(default=DEFAULT_MAX_BODY_BYTES, ge=1024)


class PayloadTooLarge(Problem):
    status = 413
    title = "Body too large"
    slug = "payload-too-large"


class RequestLimitMiddleware:
    """Refuses a body over ``max_body_bytes`` (413) and a NUL in the path or query (422)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = _declared_length(scope)
        refusal = self._refusal(scope, length)
        if refusal is None and length is None:
            body, refusal = await self._read_chunked(receive)
            if refusal is None:
                receive = _replay(body, receive)
        if refusal is not None:
            await refusal.to_response(scope["path"])(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope, length: int | None) -> Problem | None:
        where = _holding_nul(scope)
        if where is not None:
            return Unprocessable(
                f"{where} holds a NUL character",
                errors=[FieldError(where, "must not contain a NUL character")],
            )
        if length is not None and length > self.max_body_bytes:
            return self._too_large()
        return None

    def _too_large(self) -> Problem:
        return PayloadTooLarge(f"the body is over {self.max_body_bytes:,} bytes")

    async def _read_chunked(self, receive: Receive) -> tuple[bytes, Problem | None]:
        """A body without ``Content-Length``, read up to the limit."""
        parts: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return b"", self._too_large()
            parts.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(parts), None


def _holding_nul(scope: Scope) -> str | None:
    """Where a NUL is in the request's path or query (``query.<name>``), if anywhere."""
    if "\x00" in scope["path"]:
        return "path"
    query: bytes = scope["query_string"]
    if b"\x00" not in unquote_to_bytes(query):
        return None
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if "\x00" in value or "\x00" in name:
            return f"query.{name.replace(chr(0), '')}"
    return "query"


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _replay(body: bytes, then: Receive) -> Receive:
    """A ``receive`` that gives the body already read, then what the server sends next
    (a disconnect, when it comes)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await then()

    return receive
