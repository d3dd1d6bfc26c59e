"""Reading the figures in a figures test: the answer the ministry gets, and one row of
one of its breakdowns."""

from __future__ import annotations

from typing import Any

import httpx

from shared.http import Role
from tests.support.service_app import bearer

MINISTRY = bearer(Role.MINISTRY)


async def figures_of(api: httpx.AsyncClient, path: str, **query: str) -> dict[str, Any]:
    response = await api.get(path, params=query, headers=MINISTRY)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def row_of(answer: dict[str, Any], breakdown: str, key: str) -> dict[str, Any]:
    """The one row of ``breakdown`` with ``key``."""
    rows: list[dict[str, Any]] = [row for row in answer[breakdown] if row["key"] == key]
    assert len(rows) == 1, f"{breakdown} has {len(rows)} rows {key!r}"
    return rows[0]
