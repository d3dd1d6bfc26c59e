"""Every command publishes its event on pokmas.events.v1, keyed by the office code, in
a complete envelope, with the aggregate's versions 1..n and no gaps."""

from __future__ import annotations

from uuid import UUID, uuid4

import httpx

from shared.events.pokmas import (
    MoURenewed,
    MoUSigned,
    MoUTerminated,
    PokmasContactChanged,
    PokmasRegistered,
    ProgrammeClosed,
    ProgrammeOpened,
)
from tests.pokmas.helpers import (
    BAPAS,
    OFFICER,
    days,
    mou_body,
    open_programme,
    partner_with_mou,
    pokmas_body,
    published_events,
    register_pokmas,
)


async def test_mou_life_cycle_is_published_in_order_keyed_by_the_office(
    client: httpx.AsyncClient, kafka_bootstrap: str
) -> None:
    pokmas_id = await register_pokmas(client)
    correlation_id = uuid4()
    signed = await client.post(
        f"/api/v1/pokmas/{pokmas_id}/mous",
        json=mou_body(valid_until=days(200)),
        headers={**OFFICER, "X-Correlation-ID": str(correlation_id)},
    )
    mou_id = UUID(signed.json()["id"])
    renewed = await client.post(
        f"/api/v1/mous/{mou_id}/renewal", json={"valid_until": days(500)}, headers=OFFICER
    )
    terminated = await client.post(
        f"/api/v1/mous/{mou_id}/termination",
        json={"effective_on": days(0), "reason": "Pokmas membubarkan diri"},
        headers=OFFICER,
    )

    published = await published_events(kafka_bootstrap, {mou_id}, count=3)

    assert [event.payload for _, event in published] == [
        MoUSigned(
            mou_id=mou_id,
            pokmas_id=pokmas_id,
            number=mou_body()["number"],
            signed_on=published[0][1].payload.signed_on,  # type: ignore[attr-defined]
            valid_from=published[0][1].payload.valid_from,  # type: ignore[attr-defined]
            valid_until=published[0][1].payload.valid_until,  # type: ignore[attr-defined]
            scope=("ac_repair", "car_upholstery"),
        ),
        MoURenewed(mou_id=mou_id, valid_until=..., renewed_on=...),  # type: ignore[arg-type]
    ]
