"""Who may read which figures, and what odd requests get: the scope rule of every role
on every path (404 outside it), 401 without a valid token or cookie, and 4xx, never a
500, for bad periods, unknown codes and odd ``Accept`` headers."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import httpx
import pytest

from shared.events.enrolment import ClientReleased, IntegrationType, PkOfficer
from shared.events.envelope import Actor, Envelope, EventPayload, new_envelope
from shared.events.pokmas import Contact, PokmasKind, PokmasRegistered
from shared.http import Role
from shared.reference import bapas_offices
from tests.insights.conftest import InsightsTopics, publish, wait_until_all_applied
from tests.support.service_app import bearer

OFFICER = Actor(role="bapas_officer", sub="pk-test")
POKMAS_BALIKPAPAN = uuid4()
POKMAS_SURABAYA = uuid4()


def _pokmas(pokmas_id: UUID, bapas_code: str, name: str) -> Envelope[EventPayload]:
    return new_envelope(
        PokmasRegistered(
            pokmas_id=pokmas_id,
            name=name,
            kind=PokmasKind.ORGANISATION,
            contact=Contact(name="Kontak", phone="+62 812 0000 0000", email="k@pokmas.example"),
            address="Jl. Contoh 1",
            skills=("ac_repair",),
        ),
        bapas_code=bapas_code,
        aggregate_version=1,
        correlation_id=uuid4(),
        actor=OFFICER,
        occurred_at=datetime.now(UTC),
    )


def _release(bapas_code: str) -> Envelope[EventPayload]:
    return new_envelope(
        ClientReleased(
            client_id=uuid4(),
            register_number="BPP/1/2026",
            integration_type=IntegrationType.PB,
            released_on=date(2026, 3, 1),
            supervision_ends_on=date(2027, 3, 1),
            pk_officer=PkOfficer(id="1985", name="Andi"),
        ),
        bapas_code=bapas_code,
        aggregate_version=1,
        correlation_id=uuid4(),
        actor=OFFICER,
        occurred_at=datetime.now(UTC),
    )


@pytest.fixture(scope="module")
async def api(
    insights_api: httpx.AsyncClient, kafka_bootstrap: str, insights_topics: InsightsTopics
) -> httpx.AsyncClient:
    events = [
        _pokmas(POKMAS_BALIKPAPAN, "balikpapan", "Pokmas Lamaru"),
        _pokmas(POKMAS_SURABAYA, "surabaya", "Pokmas Kenjeran"),
        _release("balikpapan"),
        _release("surabaya"),
    ]
    await publish(kafka_bootstrap, insights_topics, events)
    await wait_until_all_applied(insights_api, events)
    return insights_api


MINISTRY = bearer(Role.MINISTRY)
SERVICE = bearer(Role.SERVICE)
REGIONAL_KALTIM = bearer(Role.REGIONAL, province="kalimantan-timur")
REGIONAL_JATIM = bearer(Role.REGIONAL, province="jawa-timur")
OFFICER_BALIKPAPAN = bearer(Role.BAPAS_OFFICER, bapas="balikpapan")
OFFICER_SURABAYA = bearer(Role.BAPAS_OFFICER, bapas="surabaya")
PARTNER_LAMARU = bearer(Role.POKMAS_PARTNER, bapas="balikpapan", pokmas_id=POKMAS_BALIKPAPAN)
PARTNER_OTHER = bearer(Role.POKMAS_PARTNER, bapas="balikpapan", pokmas_id=uuid4())

CALLERS = {
    "ministry": MINISTRY,
    "service": SERVICE,
    "regional kalimantan-timur": REGIONAL_KALTIM,
    "regional jawa-timur": REGIONAL_JATIM,
    "officer balikpapan": OFFICER_BALIKPAPAN,
    "officer surabaya": OFFICER_SURABAYA,
    "partner of Pokmas Lamaru": PARTNER_LAMARU,
    "partner of another Pokmas": PARTNER_OTHER,
}

ALLOWED = {
    "/api/v1/figures": {"ministry", "service"},
    "/api/v1/figures/provinces/kalimantan-timur": {
        "ministry",
        "service",
        "regional kalimantan-timur",
    },
    "/api/v1/figures/bapas/balikpapan": {
        "ministry",
        "service",
        "regional kalimantan-timur",
        "officer balikpapan",
    },
    f"/api/v1/figures/pokmas/{POKMAS_BALIKPAPAN}": {
        "ministry",
        "service",
        "regional kalimantan-timur",
        "officer balikpapan",
        "partner of Pokmas Lamaru",
    },
}


@pytest.mark.parametrize("path", sorted(ALLOWED))
@pytest.mark.parametrize("caller", sorted(CALLERS))
async def test_each_role_reads_its_own_scope_and_nothing_else(
    api: httpx.AsyncClient, path: str, caller: str
) -> None:
    response = await api.get(path, headers=CALLERS[caller])
    if caller in ALLOWED[path]:
        assert response.status_code == 200, response.text
        assert response.json()["totals"]["pokmas_registered"] == 1 or "pokmas" not in path
    else:
        assert response.status_code == 404, response.text
        assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("path", [*sorted(ALLOWED), "/api/v1/offices", "/api/v1/as-of"])
async def test_no_token_is_401(api: httpx.AsyncClient, path: str) -> None:
    assert (await api.get(path)).status_code == 401
    forged = {"Authorization": "Bearer not.a.token"}
    assert (await api.get(path, headers=forged)).status_code == 401


async def test_a_province_sees_only_its_own_offices(api: httpx.AsyncClient) -> None:
    answer = (
        await api.get("/api/v1/figures/provinces/kalimantan-timur", headers=REGIONAL_KALTIM)
    ).json()
    assert answer["scope"] == {"level": "province", "code": "kalimantan-timur", "name": None}
    assert answer["totals"]["klien_released"] == 1
    offices = [row["key"] for row in answer["by_bapas"]]
    assert offices == sorted(o.code for o in bapas_offices() if o.province == "kalimantan-timur")
    national = (await api.get("/api/v1/figures", headers=MINISTRY)).json()
    assert national["totals"]["klien_released"] == 2


async def test_an_office_lists_its_own_pokmas_only(api: httpx.AsyncClient) -> None:
    answer = (await api.get("/api/v1/figures/bapas/surabaya", headers=OFFICER_SURABAYA)).json()
    assert [(row["key"], row["name"]) for row in answer["by_pokmas"]] == [
        (str(POKMAS_SURABAYA), "Pokmas Kenjeran")
    ]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/figures/provinces/atlantis",
        "/api/v1/figures/bapas/atlantis",
        f"/api/v1/figures/pokmas/{uuid4()}",
        "/api/v1/figures/provinces/" + "x" * 5000,
    ],
)
async def test_unknown_codes_are_404(api: httpx.AsyncClient, path: str) -> None:
    response = await api.get(path, headers=MINISTRY)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-13-01", "from"),
        ("to=yesterday", "to"),
        ("from=2026-06-01&to=2026-05-31", "to"),
        ("from=2026-01-01%00", "from"),
        ("from=99999-01-01", "from"),
        ("by=planet", "by"),
    ],
)
async def test_a_bad_period_or_breakdown_is_422_naming_it(
    api: httpx.AsyncClient, query: str, field: str
) -> None:
    response = await api.get(f"/api/v1/figures?{query}", headers=MINISTRY)
    assert response.status_code == 422, response.text
    assert any(error["field"].endswith(field) for error in response.json()["errors"])


async def test_a_nul_in_the_path_is_422(api: httpx.AsyncClient) -> None:
    response = await api.get("/api/v1/figures/bapas/%00", headers=MINISTRY)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "path"


async def test_a_breakdown_of_another_level_is_422(api: httpx.AsyncClient) -> None:
    response = await api.get(
        "/api/v1/figures?by=pokmas", headers={**MINISTRY, "Accept": "text/csv"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.by"


async def test_the_edges_of_the_calendar_are_a_period_like_any_other(
    api: httpx.AsyncClient,
) -> None:
    response = await api.get("/api/v1/figures?from=0001-01-01&to=9999-12-31", headers=MINISTRY)
    assert response.status_code == 200
    assert response.json()["totals"]["klien_released"] == 2
    empty = await api.get("/api/v1/figures?from=9999-12-31", headers=MINISTRY)
    assert empty.json()["totals"]["klien_released"] == 0
    assert empty.json()["by_month"] == []


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (None, "application/json"),
        ("*/*", "application/json"),
        ("application/json", "application/json"),
        ("application/json, text/csv;q=0.5", "application/json"),
        ("text/csv", "text/csv"),
        ("text/*", "text/csv"),
        ("text/csv, application/json;q=0.9", "text/csv"),
        ("application/xml", "application/problem+json"),
        ("text/csv;q=0", "application/problem+json"),
        ("image/png;q=banana", "application/problem+json"),
    ],
)
async def test_the_accept_header_chooses_json_or_csv(
    api: httpx.AsyncClient, accept: str | None, media_type: str
) -> None:
    headers = dict(MINISTRY) | ({"Accept": accept} if accept is not None else {})
    response = await api.get("/api/v1/figures", headers=headers)
    assert response.headers["content-type"].startswith(media_type)
    assert response.status_code == (406 if "problem" in media_type else 200)


async def test_csv_is_what_spreadsheets_read(api: httpx.AsyncClient) -> None:
    response = await api.get(
        "/api/v1/figures/provinces/kalimantan-timur?by=bapas",
        headers={**REGIONAL_KALTIM, "Accept": "text/csv"},
    )
    assert response.status_code == 200
    assert (
        'filename="figures-province-kalimantan-timur-bapas.csv"'
        in (response.headers["content-disposition"])
    )
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    assert "\r\n" in body
    rows = list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff"))))
    balikpapan = next(row for row in rows if row["key"] == "balikpapan")
    assert balikpapan["name"] == "Bapas Kelas II Balikpapan"
    assert balikpapan["klien_released"] == "1"
    assert balikpapan["withdrawals_by_reason.employed"] == "0"
    assert balikpapan["completion_rate"] == ""  # no completion nor withdrawal: no rate


async def test_the_dashboard_cookie_signs_in_the_figures_api(api: httpx.AsyncClient) -> None:
    token = MINISTRY["Authorization"].removeprefix("Bearer ")
    signed_in = await api.get("/api/v1/figures", headers={"Cookie": f"bapas_session={token}"})
    assert signed_in.status_code == 200
    forged = await api.get("/api/v1/figures", headers={"Cookie": f"bapas_session={token}x"})
    assert forged.status_code == 401


async def test_every_role_reads_the_offices(api: httpx.AsyncClient) -> None:
    for headers in CALLERS.values():
        response = await api.get("/api/v1/offices", headers=headers)
        assert response.status_code == 200
    items = response.json()["items"]
    assert len(items) == len(bapas_offices())
    balikpapan = next(item for item in items if item["code"] == "balikpapan")
    assert balikpapan == {
        "code": "balikpapan",
        "name": "Bapas Kelas II Balikpapan",
        "class": "II",
        "province": "kalimantan-timur",
        "time_zone": "Asia/Makassar",
    }
