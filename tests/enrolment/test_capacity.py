"""Capacity holds under concurrency: enrolments into one programme take turns on the
programme's row, so no two of them take the last seat."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx

from tests.enrolment.helpers import PokmasFeed, enrol, release_client


async def test_twenty_concurrent_enrolments_into_five_seats_enrol_exactly_five(
    api: httpx.AsyncClient, feed: PokmasFeed
) -> None:
    programme = await feed.open_programme(capacity=5)
    await feed.until_applied()
    klien = [await release_client(api) for _ in range(20)]

    responses = await asyncio.gather(*(enrol(api, client_id, programme) for client_id in klien))

    assert Counter(response.status_code for response in responses) == {201: 5, 409: 15}
    assert all("is full" in r.json()["detail"] for r in responses if r.status_code == 409)
    listed = await api.get(
        "/api/v1/enrolments",
        params={"programme_id": str(programme.programme_id)},
        headers=programme.partner,
    )
    assert len(listed.json()["items"]) == 5
