"""A small client of the services' HTTP APIs, speaking as one caller each time:
what the demo and the end-to-end test need, and nothing a service needs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import httpx

from shared.http import Role, issue_token
from shared.settings import development_tool_auth_settings
from shared.stack.services import local_service


class DemoError(RuntimeError):
    """A service answered what the scenario did not expect; the message says what."""


def _of_the_local_stack(service: str) -> Callable[[], str]:
    return lambda: local_service(service).url


@dataclass(frozen=True)
class ServiceUrls:
    """Where each service answers; unless given, the local stack's, on the port its
    setting names (``POKMAS_PORT`` … ``EMPLOYMENT_PORT``) when the URLs are made."""

    pokmas: str = field(default_factory=_of_the_local_stack("pokmas"))
    enrolment: str = field(default_factory=_of_the_local_stack("enrolment"))
    notifications: str = field(default_factory=_of_the_local_stack("notifications"))
    insights: str = field(default_factory=_of_the_local_stack("insights"))
    employment: str = field(default_factory=_of_the_local_stack("employment"))


def token_for(
    role: Role, *, bapas: str | None = None, pokmas_id: UUID | None = None, sub: str = "demo"
) -> str:
    """A token the services of ``make up`` accept (see :func:`development_tool_auth_settings`)."""
    settings = development_tool_auth_settings()
    return issue_token(settings, role=role, sub=sub, bapas=bapas, pokmas_id=pokmas_id)


class PlatformClient:
    """Calls the services; ``as_`` picks the caller (a token) for each call."""

    def __init__(self, urls: ServiceUrls, http: httpx.AsyncClient) -> None:
        self.urls = urls
        self.http = http

    async def command(
        self, service: str, path: str, body: Mapping[str, Any], *, token: str
    ) -> dict[str, Any]:
        """POST a command; returns the ``{id, version, event_id}`` answer."""
        response = await self.http.post(
            f"{getattr(self.urls, service)}/api/v1{path}",
            json=dict(body),
            headers={"Authorization": f"Bearer {token}"},
        )
        if response.status_code != 201:
            raise DemoError(
                f"POST {service}{path} answered {response.status_code}: {_detail(response)}"
            )
        answer: dict[str, Any] = response.json()
        return answer

    async def read(self, service: str, path: str, *, token: str, **query: object) -> Any:
        response = await self.http.get(
            f"{getattr(self.urls, service)}/api/v1{path}",
            params={name: str(value) for name, value in query.items() if value is not None},
            headers={"Authorization": f"Bearer {token}"},
        )
        if response.status_code != 200:
            raise DemoError(
                f"GET {service}{path} answered {response.status_code}: {_detail(response)}"
            )
        return response.json()

    async def answer_to(self, service: str, path: str, *, token: str) -> int:
        """The status a GET answers the caller: what it may read, and what not (404)."""
        response = await self.http.get(
            f"{getattr(self.urls, service)}/api/v1{path}",
            headers={"Authorization": f"Bearer {token}"},
        )
        return response.status_code

    async def read_all(self, service: str, path: str, *, token: str, **query: object) -> list[Any]:
        """Every item of a paged list."""
        items: list[Any] = []
        cursor: str | None = None
        while True:
            page = await self.read(service, path, token=token, limit=500, cursor=cursor, **query)
            items.extend(page["items"])
            cursor = page["next_cursor"]
            if cursor is None:
                return items

    async def verify_certificate(self, code: str, *, name: str) -> dict[str, Any]:
        """What anyone holding the paper learns at the certificate's public address (no
        token), as JSON: whether it is genuine, and whether ``name`` is the one printed."""
        response = await self.http.get(
            f"{self.urls.enrolment}/verify/{code}",
            params={"name": name},
            headers={"Accept": "application/json"},
        )
        if response.status_code != 200:
            raise DemoError(
                f"GET enrolment/verify/{code} answered {response.status_code}: {_detail(response)}"
            )
        answer: dict[str, Any] = response.json()
        return answer


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail", response.text))
    except ValueError:
        return response.text[:200]


async def eventually(what: str, check: Any, *, timeout: float = 60.0) -> Any:
    """Poll the async ``check`` until it returns something truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        outcome = await check()
        if outcome:
            return outcome
        if time.monotonic() > deadline:
            raise DemoError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(0.3)
