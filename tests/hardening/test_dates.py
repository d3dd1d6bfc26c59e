"""Plausible dates in the enrolment service's bodies (issue 14): a release in year 1
with a supervision until 9999 was accepted.

The API contract (common rules): a release, an enrolment or a report date lies between
2000-01-01 and a year from today; a supervision ends within 20 years. Every dated
command of the enrolment service is sent dates at the edges of the calendar and just
outside the range, and must answer 422 naming the date's field without recording
anything (the klien, the enrolment and the events about them are unchanged). The
positive controls send the same commands with plausible dates, and the first and last
plausible days of a release and a supervision.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest

from tests.enrolment.helpers import (
    OFFICER,
    PokmasFeed,
    Programme,
    client_body,
    days,
    enrolled_klien,
    release_client,
    today,
)
from tests.hardening.probes import assert_refused, marker

IMPLAUSIBLE = {
    "year-1": "0001-01-01",
    "year-9999": "9999-12-31",
    "day-before-2000": "1999-12-31",
    "two-years-ahead": (today() + timedelta(days=731)).isoformat(),
}


@pytest.fixture(scope="module")
async def short_programme(feed: PokmasFeed) -> Programme:
    """A programme of one session, so that one attendance allows completion."""
    return await feed.open_programme(capacity=500, sessions_planned=1)


@dataclass(frozen=True)
class Trainee:
    """A klien enrolled in the programme, and another klien only released."""

    client_id: UUID
    enrolment_id: UUID
    released_id: UUID
    programme: Programme


@pytest.fixture
async def trainee(enrolment_api: httpx.AsyncClient, short_programme: Programme) -> Trainee:
    client_id, enrolment_id = await enrolled_klien(enrolment_api, short_programme)
    released_id = await release_client(enrolment_api)
    return Trainee(client_id, enrolment_id, released_id, short_programme)


@dataclass(frozen=True)
class DatedCommand:
    """A command of the enrolment service with one date in its body."""

    field: str
    path: Callable[[Trainee], str]
    body: Callable[[Trainee, str], dict[str, Any]]
    plausible: Callable[[Trainee], date]

    @property
    def named(self) -> str:
        return f"body.{self.field}"


COMMANDS = {
    "enrolment": DatedCommand(
        "enrolled_on",
        lambda t: f"/api/v1/clients/{t.released_id}/enrolments",
        lambda t, day: {"programme_id": str(t.programme.programme_id), "enrolled_on": day},
        lambda t: today(),
    ),
    "attendance": DatedCommand(
        "session_date",
        lambda t: f"/api/v1/enrolments/{t.enrolment_id}/attendance",
        lambda t, day: {"session_no": 1, "session_date": day, "status": "present"},
        lambda t: t.programme.starts_on,
    ),
    "completion": DatedCommand(
        "completed_on",
        lambda t: f"/api/v1/enrolments/{t.enrolment_id}/completion",
        lambda t, day: {"completed_on": day, "assessment": "competent"},
        lambda t: today(),
    ),
    "withdrawal": DatedCommand(
        "withdrawn_on",
        lambda t: f"/api/v1/enrolments/{t.enrolment_id}/withdrawal",
        lambda t, day: {"withdrawn_on": day, "reason_code": "moved"},
        lambda t: today(),
    ),
    "employment": DatedCommand(
        "started_on",
        lambda t: f"/api/v1/clients/{t.client_id}/employment",
        lambda t, day: {"employment_kind": "employed", "started_on": day},
        lambda t: today(),
    ),
    "reoffence": DatedCommand(
        "recorded_on",
        lambda t: f"/api/v1/clients/{t.client_id}/reoffence",
        lambda t, day: {"recorded_on": day},
        lambda t: today(),
    ),
    "supervision-end": DatedCommand(
        "ended_on",
        lambda t: f"/api/v1/clients/{t.client_id}/supervision-end",
        lambda t, day: {"ended_on": day, "outcome": "completed"},
        lambda t: today(),
    ),
}

CASES = [
    pytest.param(command, day, id=f"{name}-{label}")
    for name, command in COMMANDS.items()
    for label, day in IMPLAUSIBLE.items()
]


async def what_is_known(
    api: httpx.AsyncClient, database: asyncpg.Connection, trainee: Trainee
) -> dict[str, Any]:
    """Everything the service shows and stores about the trainee, to compare."""
    shown: dict[str, Any] = {}
    for path in (
        f"/api/v1/clients/{trainee.client_id}",
        f"/api/v1/clients/{trainee.released_id}",
        f"/api/v1/enrolments/{trainee.enrolment_id}",
        f"/api/v1/enrolments?client_id={trainee.released_id}",
    ):
        response = await api.get(path, headers=OFFICER)
        assert response.status_code == 200, response.text
        shown[path] = response.json()
    ids = [str(trainee.client_id), str(trainee.enrolment_id), str(trainee.released_id)]
    shown["events"] = await database.fetchval(
        "SELECT count(*) FROM events WHERE EXISTS"
        " (SELECT 1 FROM unnest($1::text[]) AS id WHERE strpos(envelope::text, id) > 0)",
        ids,
    )
    return shown


@pytest.mark.parametrize(("command", "day"), CASES)
async def test_an_implausible_date_is_refused_naming_its_field_and_nothing_recorded(
    enrolment_api: httpx.AsyncClient,
    enrolment_db: asyncpg.Connection,
    trainee: Trainee,
    command: DatedCommand,
    day: str,
) -> None:
    before = await what_is_known(enrolment_api, enrolment_db, trainee)

    response = await enrolment_api.post(
        command.path(trainee), json=command.body(trainee, day), headers=OFFICER
    )

    assert_refused(response, command.named)
    assert await what_is_known(enrolment_api, enrolment_db, trainee) == before


@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
async def test_a_plausible_date_is_accepted(
    enrolment_api: httpx.AsyncClient, trainee: Trainee, command: DatedCommand
) -> None:
    if command.field == "completed_on":
        attended = await enrolment_api.post(
            f"/api/v1/enrolments/{trainee.enrolment_id}/attendance",
            json=COMMANDS["attendance"].body(trainee, trainee.programme.starts_on.isoformat()),
            headers=OFFICER,
        )
        assert attended.status_code == 201, attended.text
    day = command.plausible(trainee).isoformat()

    response = await enrolment_api.post(
        command.path(trainee), json=command.body(trainee, day), headers=OFFICER
    )

    assert response.status_code == 201, response.text


# -- the release: released_on and supervision_ends_on -----------------------------------


async def release(api: httpx.AsyncClient, register: str, **dates: str) -> httpx.Response:
    return await api.post(
        "/api/v1/clients", json=client_body(register_number=register, **dates), headers=OFFICER
    )


async def klien_with(database: asyncpg.Connection, register: str) -> int:
    """Klien recorded, and events stored, with this register number."""
    count: int = await database.fetchval(
        "SELECT (SELECT count(*) FROM clients WHERE register_number = $1)"
        " + (SELECT count(*) FROM events WHERE strpos(envelope::text, $1) > 0)",
        register,
    )
    return count


async def test_a_release_in_year_1_with_supervision_until_9999_is_refused_naming_both(
    enrolment_api: httpx.AsyncClient, enrolment_db: asyncpg.Connection
) -> None:
    register = marker()

    response = await release(
        enrolment_api, register, released_on="0001-01-01", supervision_ends_on="9999-12-31"
    )

    assert_refused(response, "body.released_on", "body.supervision_ends_on")
    assert await klien_with(enrolment_db, register) == 0


@pytest.mark.parametrize("day", IMPLAUSIBLE.values(), ids=IMPLAUSIBLE.keys())
async def test_an_implausible_release_date_is_refused_and_no_klien_recorded(
    enrolment_api: httpx.AsyncClient, enrolment_db: asyncpg.Connection, day: str
) -> None:
    register = marker()

    response = await release(enrolment_api, register, released_on=day)

    assert_refused(response, "body.released_on")
    assert await klien_with(enrolment_db, register) == 0


SUPERVISION_ENDS = {
    "year-1": "0001-01-01",
    "year-9999": "9999-12-31",
    "twenty-one-years-ahead": (today() + timedelta(days=21 * 366)).isoformat(),
}


@pytest.mark.parametrize("day", SUPERVISION_ENDS.values(), ids=SUPERVISION_ENDS.keys())
async def test_a_supervision_end_beyond_twenty_years_or_before_2000_is_refused(
    enrolment_api: httpx.AsyncClient, enrolment_db: asyncpg.Connection, day: str
) -> None:
    register = marker()

    response = await release(enrolment_api, register, supervision_ends_on=day)

    assert_refused(response, "body.supervision_ends_on")
    assert await klien_with(enrolment_db, register) == 0


async def test_a_release_on_the_first_plausible_day_is_accepted(
    enrolment_api: httpx.AsyncClient, enrolment_db: asyncpg.Connection
) -> None:
    register = marker()

    response = await release(
        enrolment_api, register, released_on="2000-01-01", supervision_ends_on="2001-01-01"
    )

    assert response.status_code == 201, response.text
    assert await klien_with(enrolment_db, register) == 2


async def test_a_supervision_ending_nineteen_years_ahead_is_accepted(
    enrolment_api: httpx.AsyncClient,
) -> None:
    ends = days(19 * 365)

    response = await release(enrolment_api, marker(), supervision_ends_on=ends.isoformat())

    assert response.status_code == 201, response.text
    detail = await enrolment_api.get(f"/api/v1/clients/{response.json()['id']}", headers=OFFICER)
    assert detail.json()["supervision_ends_on"] == ends.isoformat()
