"""Lists page with ``limit`` and an opaque ``cursor`` carrying the last sort key."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Annotated
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import Depends, FastAPI
from pydantic import BaseModel

from shared.http import CursorCodec, Page, PageRequest, install_problem_handlers, page_request


class Programme(BaseModel):
    id: UUID
    opened_at: datetime


SortKey = tuple[datetime, UUID]
CURSOR = CursorCodec(tuple[datetime, UUID])
START = datetime(2025, 1, 1, tzinfo=UTC)
# Pairs share a timestamp, so only the (opened_at, id) key orders them completely.
PROGRAMMES = sorted(
    (Programme(id=uuid4(), opened_at=START + timedelta(minutes=n // 2)) for n in range(7)),
    key=lambda p: (p.opened_at, p.id),
)


def sort_key(programme: Programme) -> SortKey:
    return (programme.opened_at, programme.id)


def build_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/programmes")
    async def list_programmes(
        paging: Annotated[PageRequest, Depends(page_request)],
    ) -> Page[Programme]:
        after = paging.after(CURSOR)
        rows = [p for p in PROGRAMMES if after is None or sort_key(p) > after]
        return paging.page(rows[: paging.fetch_limit], CURSOR, sort_key)

    @app.get("/limit")
    async def echo_limit(paging: Annotated[PageRequest, Depends(page_request)]) -> int:
        return paging.limit

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def test_limit_defaults_to_50(client: httpx.AsyncClient) -> None:
    response = await client.get("/limit")

    assert response.json() == 50


async def test_limit_of_500_is_accepted(client: httpx.AsyncClient) -> None:
    response = await client.get("/limit", params={"limit": 500})

    assert response.json() == 500


@pytest.mark.parametrize("limit", ["501", "0", "-1", "ten"])
async def test_limit_outside_1_to_500_is_422_naming_limit(
    client: httpx.AsyncClient, limit: str
) -> None:
    response = await client.get("/limit", params={"limit": limit})

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["query.limit"]


def test_cursor_round_trips_the_sort_key() -> None:
    key = (datetime(2025, 3, 1, 8, 30, tzinfo=UTC), uuid4())

    assert CURSOR.decode(CURSOR.encode(key)) == key


def test_cursor_is_url_safe() -> None:
    cursor = CURSOR.encode((START, uuid4()))

    assert cursor.isascii()
    assert not set(cursor) & set("+/=&?#")


@pytest.mark.parametrize(
    "cursor",
    [
        "!!not base64!!",
        "bm90IGpzb24",  # "not json"
        "WyJub3QgYSBkYXRlIl0",  # ["not a date"]
        "eyJhIjogMX0",  # {"a": 1}
    ],
)
async def test_bad_cursor_is_422_naming_cursor(client: httpx.AsyncClient, cursor: str) -> None:
    response = await client.get("/programmes", params={"cursor": cursor})

    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["query.cursor"]


def test_page_of_limit_plus_one_rows_shows_limit_items_and_a_cursor() -> None:
    paging = PageRequest(limit=3, cursor=None)

    page = paging.page(PROGRAMMES[: paging.fetch_limit], CURSOR, sort_key)

    assert page.items == PROGRAMMES[:3]
    assert page.next_cursor is not None
    assert CURSOR.decode(page.next_cursor) == sort_key(PROGRAMMES[2])


def test_page_of_at_most_limit_rows_is_the_last() -> None:
    page = PageRequest(limit=3, cursor=None).page(PROGRAMMES[:3], CURSOR, sort_key)

    assert page.next_cursor is None


async def test_following_next_cursor_visits_every_item_once(client: httpx.AsyncClient) -> None:
    seen: list[str] = []
    params: dict[str, str | int] = {"limit": 2}
    while True:
        page = (await client.get("/programmes", params=params)).json()
        seen.extend(item["id"] for item in page["items"])
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]

    assert seen == [str(p.id) for p in PROGRAMMES]
