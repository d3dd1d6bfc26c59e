"""Wajib lapor, revocation and transfers in the figures: reports and misses count where
they happened, a klien recommended for revocation counts once, a pending recommendation
and a klien under supervision count at the office holding the klien now, and no klien
counts twice in a province or nationally.

A small history written out by hand, so that every expected number below can be
checked against it with a pencil (all in 2026):

* Klien A, released at Balikpapan (5 January), reports for 4 February (on the 3rd),
  misses 6 March, 5 April and 5 May: a revocation is recommended on 6 May. A moves to
  Makassar (20 May), where it misses 4 June too: its recommendation stands there.
* Klien B, released at Balikpapan (2 February), is excused for 4 March, moves to
  Samarinda (16 March), misses 3 April and reports late for it on 6 April.
* Klien C, released at Samarinda (19 January), misses 18 February, 20 March and 19 April
  (recommended 20 April), reports late for 19 April on 22 April, misses 19 May, 18 June
  and 18 July (recommended again 19 July); its supervision is revoked on 30 July.

Makassar's events are published before the others: a consumer may read the new office's
partition first, and the figures must not depend on it.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from shared.events.enrolment import (
    ClientReleased,
    ClientTransferredIn,
    ClientTransferredOut,
    IntegrationType,
    PkOfficer,
    ReportChannel,
    ReportingScheduled,
    ReportMissed,
    ReportRecorded,
    ReportStatus,
    RevocationRecommended,
    SupervisionEnded,
    SupervisionOutcome,
)
from shared.events.envelope import Actor, Envelope, EventPayload
from tests.insights.answers import MINISTRY, figures_of, row_of
from tests.insights.conftest import InsightsTopics, publish, wait_until_all_applied
from tests.insights.histories import NumberedHistory
from tests.insights.oracle import SUPERVISION_FIGURES

OFFICER = Actor(role="bapas_officer", sub="pk-supervision-figures")
PK_OFFICER = PkOfficer(id="198703152010121002", name="Andi Pratama")


class _History(NumberedHistory):
    """One klien's events, numbered as the enrolment service's event store numbers them."""

    def __init__(self) -> None:
        super().__init__(OFFICER)

    def release(self, office: str, released_on: date, first_due_on: date) -> UUID:
        client_id = uuid4()
        self.add(
            office,
            ClientReleased(
                client_id=client_id,
                register_number=f"PB-{client_id.hex[:6]}",
                integration_type=IntegrationType.PB,
                released_on=released_on,
                supervision_ends_on=date(2027, 12, 31),
                pk_officer=PK_OFFICER,
            ),
        )
        self.add(
            office,
            ReportingScheduled(client_id=client_id, first_due_on=first_due_on, every_days=30),
        )
        return client_id

    def report(
        self, office: str, client_id: UUID, due_on: date, reported_on: date, status: ReportStatus
    ) -> None:
        self.add(
            office,
            ReportRecorded(
                client_id=client_id,
                due_on=due_on,
                reported_on=reported_on,
                status=status,
                channel=ReportChannel.IN_PERSON,
            ),
        )

    def miss(self, office: str, client_id: UUID, due_on: date, in_a_row: int) -> None:
        self.add(office, ReportMissed(client_id=client_id, due_on=due_on, missed_in_a_row=in_a_row))

    def recommend(self, office: str, client_id: UUID, missed: list[date], on: date) -> None:
        self.add(
            office,
            RevocationRecommended(client_id=client_id, recommended_on=on, missed_due_dates=missed),
        )

    def move(self, client_id: UUID, from_office: str, to_office: str, on: date) -> None:
        self.add(
            from_office,
            ClientTransferredOut(
                client_id=client_id, to_bapas_code=to_office, transferred_on=on, reason="kerja"
            ),
        )
        self.add(
            to_office,
            ClientTransferredIn(
                client_id=client_id, from_bapas_code=from_office, transferred_on=on
            ),
        )


def _history() -> list[Envelope[EventPayload]]:
    h = _History()
    a = h.release("balikpapan", date(2026, 1, 5), date(2026, 2, 4))
    h.report("balikpapan", a, date(2026, 2, 4), date(2026, 2, 3), ReportStatus.REPORTED)
    missed = [date(2026, 3, 6), date(2026, 4, 5), date(2026, 5, 5)]
    for in_a_row, due_on in enumerate(missed, start=1):
        h.miss("balikpapan", a, due_on, in_a_row)
    h.recommend("balikpapan", a, missed, date(2026, 5, 6))
    h.move(a, "balikpapan", "makassar", date(2026, 5, 20))
    h.miss("makassar", a, date(2026, 6, 4), 4)

    b = h.release("balikpapan", date(2026, 2, 2), date(2026, 3, 4))
    h.report("balikpapan", b, date(2026, 3, 4), date(2026, 3, 4), ReportStatus.EXCUSED)
    h.move(b, "balikpapan", "samarinda", date(2026, 3, 16))
    h.miss("samarinda", b, date(2026, 4, 3), 1)
    h.report("samarinda", b, date(2026, 4, 3), date(2026, 4, 6), ReportStatus.LATE)

    c = h.release("samarinda", date(2026, 1, 19), date(2026, 2, 18))
    first = [date(2026, 2, 18), date(2026, 3, 20), date(2026, 4, 19)]
    for in_a_row, due_on in enumerate(first, start=1):
        h.miss("samarinda", c, due_on, in_a_row)
    h.recommend("samarinda", c, first, date(2026, 4, 20))
    h.report("samarinda", c, date(2026, 4, 19), date(2026, 4, 22), ReportStatus.LATE)
    second = [date(2026, 5, 19), date(2026, 6, 18), date(2026, 7, 18)]
    for in_a_row, due_on in enumerate(second, start=1):
        h.miss("samarinda", c, due_on, in_a_row)
    h.recommend("samarinda", c, second, date(2026, 7, 19))
    h.add(
        "samarinda",
        SupervisionEnded(
            client_id=c, ended_on=date(2026, 7, 30), outcome=SupervisionOutcome.REVOKED
        ),
    )
    # The new office's partition first.
    return sorted(h.events, key=lambda event: event.bapas_code != "makassar")


@pytest.fixture(scope="module")
async def api(
    insights_api: httpx.AsyncClient, kafka_bootstrap: str, insights_topics: InsightsTopics
) -> httpx.AsyncClient:
    """The service with the history applied (a reporting schedule moves no figure)."""
    events = _history()
    await publish(kafka_bootstrap, insights_topics, events)
    await wait_until_all_applied(insights_api, events)
    return insights_api


def _supervision(figures: dict[str, Any]) -> dict[str, Any]:
    return {name: figures[name] for name in SUPERVISION_FIGURES}


def _figures(
    recorded: dict[str, int] | None,
    missed: int,
    recommended: int,
    pending: int | None,
    moved_in: int,
    moved_out: int,
) -> dict[str, Any]:
    """The supervision figures, in their order."""
    by_status = {status.value: 0 for status in ReportStatus} | (recorded or {})
    return {
        "reports_recorded": sum(by_status.values()),
        "reports_recorded_by_status": by_status,
        "reports_missed": missed,
        "klien_recommended_for_revocation": recommended,
        "klien_revocation_pending": pending,
        "transfers_in": moved_in,
        "transfers_out": moved_out,
    }


async def test_a_klien_counts_under_supervision_at_the_office_holding_it_and_once(
    api: httpx.AsyncClient,
) -> None:
    national = await figures_of(api, "/api/v1/figures")
    kaltim = await figures_of(api, "/api/v1/figures/provinces/kalimantan-timur")
    sulsel = await figures_of(api, "/api/v1/figures/provinces/sulawesi-selatan")

    # A at Makassar, B at Samarinda; C revoked. Released where they were released.
    assert national["totals"]["klien_under_supervision"] == 2
    assert national["totals"]["klien_released"] == 3
    assert [
        row_of(national, "by_province", province)["klien_under_supervision"]
        for province in ("kalimantan-timur", "sulawesi-selatan")
    ] == [1, 1]
    assert sum(row["klien_under_supervision"] for row in national["by_province"]) == 2
    assert kaltim["totals"]["klien_under_supervision"] == 1
    assert {
        office: row_of(kaltim, "by_bapas", office)["klien_under_supervision"]
        for office in ("balikpapan", "samarinda")
    } == {"balikpapan": 0, "samarinda": 1}
    assert {
        office: row_of(kaltim, "by_bapas", office)["klien_released"]
        for office in ("balikpapan", "samarinda")
    } == {"balikpapan": 2, "samarinda": 1}
    assert row_of(sulsel, "by_bapas", "makassar")["klien_under_supervision"] == 1
    assert row_of(sulsel, "by_bapas", "makassar")["klien_released"] == 0


async def test_the_supervision_figures_at_every_level(api: httpx.AsyncClient) -> None:
    national = await figures_of(api, "/api/v1/figures")
    kaltim = await figures_of(api, "/api/v1/figures/provinces/kalimantan-timur")
    makassar = await figures_of(api, "/api/v1/figures/bapas/makassar")

    # A and C recommended (C twice: one klien); A's recommendation stands, at Makassar.
    assert _supervision(national["totals"]) == _figures(
        {"reported": 1, "late": 2, "excused": 1}, 11, 2, 1, 2, 2
    )
    assert _supervision(row_of(national, "by_province", "kalimantan-timur")) == _figures(
        {"reported": 1, "late": 2, "excused": 1}, 10, 2, 0, 1, 2
    )
    assert _supervision(row_of(national, "by_province", "sulawesi-selatan")) == _figures(
        None, 1, 0, 1, 1, 0
    )
    assert _supervision(row_of(kaltim, "by_bapas", "balikpapan")) == _figures(
        {"reported": 1, "excused": 1}, 3, 1, 0, 0, 2
    )
    assert _supervision(row_of(kaltim, "by_bapas", "samarinda")) == _figures(
        {"late": 2}, 7, 1, 0, 1, 0
    )
    assert _supervision(makassar["totals"]) == _figures(None, 1, 0, 1, 1, 0)
    samarinda = await figures_of(api, "/api/v1/figures/bapas/samarinda")
    assert samarinda["totals"]["supervisions_ended"] == {"completed": 0, "revoked": 1}


async def test_a_period_counts_the_supervision_events_dated_in_it(
    api: httpx.AsyncClient,
) -> None:
    spring = await figures_of(api, "/api/v1/figures", **{"from": "2026-04-01", "to": "2026-05-31"})
    summer = await figures_of(api, "/api/v1/figures", **{"from": "2026-06-01"})

    # A's and C's first recommendations; the pending one is now, whatever the period.
    assert _supervision(spring["totals"]) == _figures({"late": 2}, 5, 2, 1, 1, 1)
    assert _supervision(summer["totals"]) == _figures(None, 3, 1, 1, 0, 0)
    may = row_of(spring, "by_month", "2026-05")
    assert _supervision(may) == _figures(None, 2, 1, None, 1, 1)
    april = row_of(spring, "by_month", "2026-04")
    assert _supervision(april) == _figures({"late": 2}, 3, 1, None, 0, 0)
    everything = await figures_of(api, "/api/v1/figures")
    assert [row["key"] for row in everything["by_month"]] == [
        f"2026-{month:02d}" for month in range(1, 8)
    ]


async def test_the_supervision_figures_have_no_skill(api: httpx.AsyncClient) -> None:
    national = await figures_of(api, "/api/v1/figures")

    for row in national["by_skill"]:
        assert set(_supervision(row).values()) == {None}


async def test_the_csv_ends_with_the_supervision_figures(api: httpx.AsyncClient) -> None:
    response = await api.get(
        "/api/v1/figures", params={"by": "province"}, headers={**MINISTRY, "Accept": "text/csv"}
    )

    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.text.removeprefix("\ufeff"), newline="")))
    columns = list(rows[0])
    (kaltim,) = [row for row in rows if row["key"] == "kalimantan-timur"]
    assert {column: kaltim[column] for column in columns[-9:]} == {
        "reports_recorded": "4",
        "reports_recorded_by_status.reported": "1",
        "reports_recorded_by_status.late": "2",
        "reports_recorded_by_status.excused": "1",
        "reports_missed": "10",
        "klien_recommended_for_revocation": "2",
        "klien_revocation_pending": "0",
        "transfers_in": "1",
        "transfers_out": "2",
    }
