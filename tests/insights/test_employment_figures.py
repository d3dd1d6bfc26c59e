"""The employment topic in the figures: a placement is an employment (never twice for one
klien), and the employer figures count pledges, vacancies, placements, retention checks
and ends at every level, by skill and month, for a period, and in the CSV.

A small history written out by hand, so that every expected number below can be
checked against it with a pencil:

* Balikpapan: employer E1 pledges (2 March 2026) and posts V1, AC repair, 3 positions
  (opens 5 March); E2 never pledges, posts V2, welding, 2 positions (opens 1 April) and
  closes it. Klien A completes a training (27 February) and starts work on 10 March,
  recorded twice: as an employment and as a placement from V1; A is still at work at
  six weeks (21 April) and six months (9 September). Klien B withdraws from training
  "for work" (1 March) and is placed from V2 (3 April), gone at the six-week check (20
  May, dismissed); placed again by E1 without a vacancy (15 June), still there at six
  weeks (28 July), resigns on 1 October. Klien E completes a training and never works.
* Samarinda: E3 pledges (11 May), posts V3, culinary, 1 position (opens 12 May). Klien C
  completes a training (20 April), is placed from V3 (15 May), still there at six weeks
  (26 June), gone at six months (16 November, contract ended).
* Surabaya: E4 pledges (1 July), posts V4, sewing, 4 positions (opens 2 July). Klien D,
  released in 2025, had a job (1 August 2025) and is placed from V4 (6 July 2026),
  still there at six weeks (20 August).
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from shared.events.employment import (
    ClientPlaced,
    EmployerPledged,
    EmployerRegistered,
    PlacementChecked,
    PlacementEnded,
    PlacementEndReason,
    PlacementKind,
    RetentionMilestone,
    VacancyClosed,
    VacancyPosted,
)
from shared.events.enrolment import (
    Assessment,
    ClientEmployed,
    ClientReleased,
    EmploymentKind,
    IntegrationType,
    PkOfficer,
    TrainingCompleted,
    TrainingWithdrawn,
    WithdrawalReason,
)
from shared.events.envelope import Actor, Envelope, EventPayload
from shared.events.pokmas import Contact, PokmasKind, PokmasRegistered
from tests.insights.answers import MINISTRY, figures_of, row_of
from tests.insights.conftest import InsightsTopics, publish, wait_until_all_applied
from tests.insights.histories import NumberedHistory
from tests.insights.oracle import EMPLOYER_FIGURES

OFFICER = Actor(role="bapas_officer", sub="pk-employment-figures")
POKMAS = uuid4()

NO_ENDS = {reason.value: 0 for reason in PlacementEndReason}


def _employer_figures(
    pledged: int | None,
    vacancies: int,
    positions: int,
    placed: int,
    checked_6_weeks: int,
    retained_6_weeks: int,
    checked_6_months: int,
    retained_6_months: int,
    rate: float | None,
    ended: dict[str, int] | None = None,
) -> dict[str, Any]:
    by_reason = NO_ENDS | (ended or {})
    return dict(
        zip(
            EMPLOYER_FIGURES,
            (
                pledged,
                vacancies,
                positions,
                placed,
                checked_6_weeks,
                retained_6_weeks,
                checked_6_months,
                retained_6_months,
                rate,
                sum(by_reason.values()),
                by_reason,
            ),
            strict=True,
        )
    )


def _employer_part(figures: dict[str, Any]) -> dict[str, Any]:
    return {name: figures[name] for name in EMPLOYER_FIGURES}


class _History(NumberedHistory):
    """Envelopes numbered per aggregate, as the services' event stores number them."""

    def __init__(self) -> None:
        super().__init__(OFFICER)

    def release(self, office: str, released_on: date) -> UUID:
        client_id = uuid4()
        self.add(
            office,
            ClientReleased(
                client_id=client_id,
                register_number=f"PB-{client_id.hex[:6]}",
                integration_type=IntegrationType.PB,
                released_on=released_on,
                supervision_ends_on=date(2027, 12, 31),
                pk_officer=PkOfficer(id="198703152010121002", name="Andi Pratama"),
            ),
        )
        return client_id

    def complete(self, office: str, client_id: UUID, completed_on: date) -> None:
        self.add(
            office,
            TrainingCompleted(
                enrolment_id=uuid4(),
                client_id=client_id,
                programme_id=uuid4(),
                completed_on=completed_on,
                assessment=Assessment.COMPETENT,
            ),
        )

    def employ(self, office: str, client_id: UUID, started_on: date, skill: str | None) -> None:
        self.add(
            office,
            ClientEmployed(
                client_id=client_id,
                employment_kind=EmploymentKind.EMPLOYED,
                employer_name="CV Sejuk Jaya Teknik",
                started_on=started_on,
                skill=skill,
            ),
        )

    def employer(self, office: str, skill: str, pledged_on: date | None) -> UUID:
        employer_id = uuid4()
        self.add(
            office,
            EmployerRegistered(
                employer_id=employer_id,
                name=f"CV Maju {employer_id.hex[:4]}",
                sector="C",
                address="Jl. Industri No. 7",
                contact=Contact(name="Hendra", phone="+62 542 860 112", email="hr@maju.example"),
                skills=(skill,),
            ),
        )
        if pledged_on is not None:
            self.add(office, EmployerPledged(employer_id=employer_id, signed_on=pledged_on))
        return employer_id

    def vacancy(
        self, office: str, employer_id: UUID, skill: str, positions: int, opens_on: date
    ) -> UUID:
        vacancy_id = uuid4()
        self.add(
            office,
            VacancyPosted(
                vacancy_id=vacancy_id,
                employer_id=employer_id,
                title=f"Tenaga {skill}",
                skill=skill,
                positions=positions,
                opens_on=opens_on,
                closes_on=date(2026, 12, 31),
                candidates=1,
            ),
        )
        return vacancy_id

    def place(
        self,
        office: str,
        client_id: UUID,
        employer_id: UUID,
        started_on: date,
        *,
        vacancy: tuple[UUID, str] | None = None,
        checks: tuple[tuple[date, bool], ...] = (),
        ended: tuple[date, PlacementEndReason] | None = None,
    ) -> None:
        """A placement, its checks (six weeks, then six months) and its end."""
        placement_id = uuid4()
        self.add(
            office,
            ClientPlaced(
                placement_id=placement_id,
                client_id=client_id,
                employer_id=employer_id,
                vacancy_id=None if vacancy is None else vacancy[0],
                started_on=started_on,
                kind=PlacementKind.EMPLOYED,
                skill=None if vacancy is None else vacancy[1],
            ),
        )
        for milestone, (checked_on, still_employed) in zip(
            RetentionMilestone, checks, strict=False
        ):
            self.add(
                office,
                PlacementChecked(
                    placement_id=placement_id,
                    client_id=client_id,
                    employer_id=employer_id,
                    checked_on=checked_on,
                    milestone=milestone,
                    still_employed=still_employed,
                ),
            )
        if ended is not None:
            self.add(
                office,
                PlacementEnded(
                    placement_id=placement_id,
                    client_id=client_id,
                    employer_id=employer_id,
                    ended_on=ended[0],
                    reason=ended[1],
                ),
            )


def _history() -> list[Envelope[EventPayload]]:
    h = _History()
    h.add(
        "balikpapan",
        PokmasRegistered(
            pokmas_id=POKMAS,
            name="Pokmas Karya Mandiri",
            kind=PokmasKind.ORGANISATION,
            contact=Contact(name="Ratna", phone="+62 812 5400 1234", email="km@pokmas.example"),
            address="Jl. Jenderal Sudirman No. 45, Balikpapan",
            skills=("ac_repair",),
        ),
    )
    # Balikpapan.
    e1 = h.employer("balikpapan", "ac_repair", date(2026, 3, 2))
    e2 = h.employer("balikpapan", "welding", None)
    v1 = h.vacancy("balikpapan", e1, "ac_repair", 3, date(2026, 3, 5))
    v2 = h.vacancy("balikpapan", e2, "welding", 2, date(2026, 4, 1))
    h.add("balikpapan", VacancyClosed(vacancy_id=v2, closed_on=date(2026, 4, 20), reason="batal"))
    a = h.release("balikpapan", date(2026, 1, 5))
    h.complete("balikpapan", a, date(2026, 2, 27))
    h.employ("balikpapan", a, date(2026, 3, 10), "ac_repair")
    h.place(
        "balikpapan",
        a,
        e1,
        date(2026, 3, 10),
        vacancy=(v1, "ac_repair"),
        checks=((date(2026, 4, 21), True), (date(2026, 9, 9), True)),
    )
    b = h.release("balikpapan", date(2026, 2, 2))
    h.add(
        "balikpapan",
        TrainingWithdrawn(
            enrolment_id=uuid4(),
            client_id=b,
            programme_id=uuid4(),
            withdrawn_on=date(2026, 3, 1),
            reason_code=WithdrawalReason.EMPLOYED,
        ),
    )
    h.place(
        "balikpapan",
        b,
        e2,
        date(2026, 4, 3),
        vacancy=(v2, "welding"),
        checks=((date(2026, 5, 20), False),),
        ended=(date(2026, 5, 20), PlacementEndReason.DISMISSED),
    )
    h.place(
        "balikpapan",
        b,
        e1,
        date(2026, 6, 15),
        checks=((date(2026, 7, 28), True),),
        ended=(date(2026, 10, 1), PlacementEndReason.RESIGNED),
    )
    e = h.release("balikpapan", date(2026, 1, 5))
    h.complete("balikpapan", e, date(2026, 2, 27))
    # Samarinda.
    e3 = h.employer("samarinda", "culinary", date(2026, 5, 11))
    v3 = h.vacancy("samarinda", e3, "culinary", 1, date(2026, 5, 12))
    c = h.release("samarinda", date(2026, 3, 1))
    h.complete("samarinda", c, date(2026, 4, 20))
    h.place(
        "samarinda",
        c,
        e3,
        date(2026, 5, 15),
        vacancy=(v3, "culinary"),
        checks=((date(2026, 6, 26), True), (date(2026, 11, 16), False)),
        ended=(date(2026, 11, 16), PlacementEndReason.CONTRACT_ENDED),
    )
    # Surabaya.
    e4 = h.employer("surabaya", "sewing", date(2026, 7, 1))
    v4 = h.vacancy("surabaya", e4, "sewing", 4, date(2026, 7, 2))
    d = h.release("surabaya", date(2025, 6, 1))
    h.employ("surabaya", d, date(2025, 8, 1), None)
    h.place(
        "surabaya",
        d,
        e4,
        date(2026, 7, 6),
        vacancy=(v4, "sewing"),
        checks=((date(2026, 8, 20), True),),
    )
    return h.events


@pytest.fixture(scope="module")
async def api(
    insights_api: httpx.AsyncClient, kafka_bootstrap: str, insights_topics: InsightsTopics
) -> httpx.AsyncClient:
    """The service with the history applied (employers registered and vacancies closed
    move no figure: the projection skips them)."""
    events = _history()
    await publish(kafka_bootstrap, insights_topics, events)
    await wait_until_all_applied(insights_api, events)
    return insights_api


BALIKPAPAN = _employer_figures(
    pledged=1,
    vacancies=2,
    positions=5,
    placed=2,
    checked_6_weeks=3,
    retained_6_weeks=2,
    checked_6_months=1,
    retained_6_months=1,
    rate=1.0,
    ended={"dismissed": 1, "resigned": 1},
)
SAMARINDA = _employer_figures(
    pledged=1,
    vacancies=1,
    positions=1,
    placed=1,
    checked_6_weeks=1,
    retained_6_weeks=1,
    checked_6_months=1,
    retained_6_months=0,
    rate=0.0,
    ended={"contract_ended": 1},
)
KALIMANTAN_TIMUR = _employer_figures(
    pledged=2,
    vacancies=3,
    positions=6,
    placed=3,
    checked_6_weeks=4,
    retained_6_weeks=3,
    checked_6_months=2,
    retained_6_months=1,
    rate=0.5,
    ended={"dismissed": 1, "resigned": 1, "contract_ended": 1},
)


async def test_a_job_recorded_as_employment_and_as_placement_is_one_employed_klien(
    api: httpx.AsyncClient,
) -> None:
    totals = (await figures_of(api, "/api/v1/figures"))["totals"]
    # Seven employment records (A twice for one job, B two placements, C one, D an old
    # job and a placement): four klien at work.
    assert totals["klien_employed"] == 4
    assert totals["klien_placed"] == 4
    assert totals["klien_employed_within_6_months_of_release"] == 4
    # A (employment and placement) and C (a placement only) work after their training.
    assert (totals["klien_completed"], totals["klien_employed_after_training"]) == (3, 2)
    assert totals["employment_rate_after_training"] == pytest.approx(2 / 3)
    # B withdrew "for work" and was then placed: the work is recorded.
    assert totals["withdrawn_for_work_unrecorded"] == 0

    balikpapan = await figures_of(api, "/api/v1/figures/bapas/balikpapan")
    assert balikpapan["totals"]["klien_employed"] == 2
    assert row_of(balikpapan, "by_skill", "ac_repair")["klien_employed"] == 1
    assert row_of(balikpapan, "by_month", "2026-03")["klien_employed"] == 1


async def test_employer_figures_at_national_province_and_office_levels(
    api: httpx.AsyncClient,
) -> None:
    national = await figures_of(api, "/api/v1/figures")
    province = await figures_of(api, "/api/v1/figures/provinces/kalimantan-timur")
    balikpapan = await figures_of(api, "/api/v1/figures/bapas/balikpapan")

    assert _employer_part(national["totals"]) == _employer_figures(
        pledged=3,
        vacancies=4,
        positions=10,
        placed=4,
        checked_6_weeks=5,
        retained_6_weeks=4,
        checked_6_months=2,
        retained_6_months=1,
        rate=0.5,
        ended={"dismissed": 1, "resigned": 1, "contract_ended": 1},
    )
    assert _employer_part(row_of(national, "by_province", "kalimantan-timur")) == KALIMANTAN_TIMUR
    assert _employer_part(row_of(national, "by_province", "jawa-timur")) == _employer_figures(
        pledged=1,
        vacancies=1,
        positions=4,
        placed=1,
        checked_6_weeks=1,
        retained_6_weeks=1,
        checked_6_months=0,
        retained_6_months=0,
        rate=None,
    )
    assert _employer_part(province["totals"]) == KALIMANTAN_TIMUR
    assert _employer_part(row_of(province, "by_bapas", "balikpapan")) == BALIKPAPAN
    assert _employer_part(row_of(province, "by_bapas", "samarinda")) == SAMARINDA
    assert _employer_part(balikpapan["totals"]) == BALIKPAPAN


async def test_employer_figures_by_skill_and_month_and_none_for_a_pokmas(
    api: httpx.AsyncClient,
) -> None:
    balikpapan = await figures_of(api, "/api/v1/figures/bapas/balikpapan")

    # A pledge is the employer's, of no one skill; checks and ends keep their
    # placement's skill (B's second placement filled no vacancy: in no skill row).
    assert _employer_part(row_of(balikpapan, "by_skill", "ac_repair")) == _employer_figures(
        pledged=None,
        vacancies=1,
        positions=3,
        placed=1,
        checked_6_weeks=1,
        retained_6_weeks=1,
        checked_6_months=1,
        retained_6_months=1,
        rate=1.0,
    )
    assert _employer_part(row_of(balikpapan, "by_skill", "welding")) == _employer_figures(
        pledged=None,
        vacancies=1,
        positions=2,
        placed=1,
        checked_6_weeks=1,
        retained_6_weeks=0,
        checked_6_months=0,
        retained_6_months=0,
        rate=None,
        ended={"dismissed": 1},
    )
    assert _employer_part(row_of(balikpapan, "by_month", "2026-03")) == _employer_figures(
        pledged=1,
        vacancies=1,
        positions=3,
        placed=1,
        checked_6_weeks=0,
        retained_6_weeks=0,
        checked_6_months=0,
        retained_6_months=0,
        rate=None,
    )
    assert _employer_part(row_of(balikpapan, "by_month", "2026-10")) == _employer_figures(
        pledged=0,
        vacancies=0,
        positions=0,
        placed=0,
        checked_6_weeks=0,
        retained_6_weeks=0,
        checked_6_months=0,
        retained_6_months=0,
        rate=None,
        ended={"resigned": 1},
    )
    nothing = dict.fromkeys(EMPLOYER_FIGURES)
    assert _employer_part(row_of(balikpapan, "by_pokmas", str(POKMAS))) == nothing
    pokmas = await figures_of(api, f"/api/v1/figures/pokmas/{POKMAS}")
    assert _employer_part(pokmas["totals"]) == nothing


async def test_a_period_counts_the_employer_events_dated_in_it(api: httpx.AsyncClient) -> None:
    answer = await figures_of(api, "/api/v1/figures", **{"from": "2026-04-01", "to": "2026-06-30"})

    totals = answer["totals"]
    # E3's pledge; V2 and V3; B (twice) and C placed; the six-week checks of A, B and C;
    # B dismissed. A's six-month check (September) and D's placement (July) are outside.
    assert _employer_part(totals) == _employer_figures(
        pledged=1,
        vacancies=2,
        positions=3,
        placed=2,
        checked_6_weeks=3,
        retained_6_weeks=2,
        checked_6_months=0,
        retained_6_months=0,
        rate=None,
        ended={"dismissed": 1},
    )
    assert totals["klien_employed"] == 2
    assert [row["key"] for row in answer["by_month"]] == ["2026-04", "2026-05", "2026-06"]


async def test_the_csv_has_the_employer_figures_after_the_training_figures(
    api: httpx.AsyncClient,
) -> None:
    response = await api.get(
        "/api/v1/figures/provinces/kalimantan-timur",
        params={"by": "bapas"},
        headers={**MINISTRY, "Accept": "text/csv"},
    )

    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.text.removeprefix("\ufeff"), newline="")))
    columns = list(rows[0])
    ended = [f"placements_ended_by_reason.{reason.value}" for reason in PlacementEndReason]
    employer_columns = [*EMPLOYER_FIGURES[:-1], *ended]
    first = columns.index(EMPLOYER_FIGURES[0])
    assert columns[first - 1] == "withdrawn_for_work_unrecorded"
    assert columns[first : first + len(employer_columns)] == employer_columns
    (balikpapan,) = [row for row in rows if row["key"] == "balikpapan"]
    assert {column: balikpapan[column] for column in employer_columns} == {
        "employers_pledged": "1",
        "vacancies_posted": "2",
        "positions_offered": "5",
        "klien_placed": "2",
        "placements_checked_6_weeks": "3",
        "placements_retained_6_weeks": "2",
        "placements_checked_6_months": "1",
        "placements_retained_6_months": "1",
        "retention_rate_6_months": "1.0",
        "placements_ended": "2",
        "placements_ended_by_reason.resigned": "1",
        "placements_ended_by_reason.dismissed": "1",
        "placements_ended_by_reason.contract_ended": "0",
        "placements_ended_by_reason.reoffended": "0",
        "placements_ended_by_reason.revoked": "0",
        "placements_ended_by_reason.moved": "0",
        "placements_ended_by_reason.other": "0",
    }
