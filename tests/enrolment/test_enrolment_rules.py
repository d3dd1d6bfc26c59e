"""Enrolment in a programme, attendance, completion and withdrawal, and the business
rules (the domain rules 2-4) that refuse a command with a 409 saying which."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx

from tests.enrolment.helpers import (
    OFFICER,
    PokmasFeed,
    Programme,
    attend,
    attendance_body,
    days,
    enrol,
    enrolled_klien,
    enrolment,
    release_client,
    today,
    wait_for_status,
)


async def _post(
    api: httpx.AsyncClient, enrolment_id: UUID, action: str, body: dict[str, Any]
) -> httpx.Response:
    return await api.post(f"/api/v1/enrolments/{enrolment_id}/{action}", json=body, headers=OFFICER)


def _completion() -> dict[str, Any]:
    return {"completed_on": today().isoformat(), "assessment": "competent"}


def _withdrawal() -> dict[str, Any]:
    return {"withdrawn_on": today().isoformat(), "reason_code": "employed"}


def _detail(response: httpx.Response) -> str:
    assert response.status_code == 409, response.text
    detail: str = response.json()["detail"]
    return detail


async def test_an_enrolled_klien_reads_enrolled_in_the_programme(
    api: httpx.AsyncClient, feed: PokmasFeed
) -> None:
    programme = await feed.open_programme()
    client_id = await release_client(api)

    response = await enrol(api, client_id, programme)

    assert response.status_code == 201, response.text
    shown = await enrolment(api, UUID(response.json()["id"]))
    assert (shown["status"], shown["client_id"], shown["programme_id"], shown["pokmas_id"]) == (
        "enrolled",
        str(client_id),
        str(programme.programme_id),
        str(programme.pokmas_id),
    )


async def test_a_full_programme_refuses_another_klien(
    api: httpx.AsyncClient, feed: PokmasFeed
) -> None:
    programme = await feed.open_programme(capacity=1)
    await enrolled_klien(api, programme)

    response = await enrol(api, await release_client(api), programme)

    assert "is full" in _detail(response)


async def test_a_withdrawal_frees_its_seat(api: httpx.AsyncClient, feed: PokmasFeed) -> None:
    programme = await feed.open_programme(capacity=1)
    _, enrolment_id = await enrolled_klien(api, programme)
    await _post(api, enrolment_id, "withdrawal", _withdrawal())

    response = await enrol(api, await release_client(api), programme)

    assert response.status_code == 201, response.text


async def test_a_klien_cannot_be_enrolled_twice_in_one_programme(
    api: httpx.AsyncClient, feed: PokmasFeed
) -> None:
    programme = await feed.open_programme()
    client_id, _ = await enrolled_klien(api, programme)

    response = await enrol(api, client_id, programme)

    assert "already enrolled" in _detail(response)


async def test_a_completed_enrolment_still_keeps_the_klien_out_of_the_programme(
    api: httpx.AsyncClient, feed: PokmasFeed
) -> None:
    programme = await feed.open_programme(sessions_planned=1)
    client_id, enrolment_id = await enrolled_klien(api, programme)
    await attend(api, enrolment_id, programme, [1])
    await _post(api, enrolment_id, "completion", _completion())

    response = await enrol(api, client_id, programme)

    assert "already enrolled" in _detail(response)


async def test_programmes_whose_dates_overlap_refuse_the_second_enrolment(
    api: httpx.AsyncClient, feed: PokmasFeed
) -> None:
    first = await feed.open_programme(starts_in=-10, lasts=30)
    second = await feed.open_programme(starts_in=0, lasts=30)
    client_id, _ = await enrolled_klien(api, first)

    response = await enrol(api, client_id, second)

    assert "overlap" in _detail(response)


async def test_programmes_that_follow_each_other_take_the_same_klien(
    api: httpx.AsyncClient, feed: PokmasFeed
) -> None:
    first = await feed.open_programme(starts_in=-10, lasts=15)
    second = await feed.open_programme(starts_in=6, lasts=30)
    client_id, _ = await enrolled_klien(api, first)

    response = await enrol(api, client_id, second, enrolled_on=days(6))

    assert response.status_code == 201, response.text


async def test_a_programme_whose_mou_was_terminated_refuses_enrolment(
    api: httpx.AsyncClient, feed: PokmasFeed
) -> None:
    programme = await feed.open_programme()
    _, first = await enrolled_klien(api, programme)
    await feed.terminate_mou(programme)
    await wait_for_status(api, first, "suspended")

    response = await enrol(api, await release_client(api), programme)

    assert "MoU" in _detail(response)
    assert "not active" in _detail(response)


async def test_a_programme_whose_mou_is_past_its_validity_refuses_enrolment(
    api: httpx.AsyncClient, feed: PokmasFeed
) -> None:
    programme = await feed.open_programme(
        starts_in=-20, lasts=15, mou_valid_from=-30, mou_valid_until=-1
    )

    response = await enrol(api, await release_client(api), programme, enrolled_on=days(-10))

    assert "not active" in _detail(response)


async def test_a_closed_programme_refuses_enrolment(
    api: httpx.AsyncClient, feed: PokmasFeed
) -> None:
    programme = await feed.open_programme()
    await feed.close_programme(programme)
    await feed.until_applied()

    response = await enrol(api, await release_client(api), programme)

    assert "closed" in _detail(response)


async def test_a_klien_whose_supervision_ended_cannot_be_enrolled(
    api: httpx.AsyncClient, feed: PokmasFeed
) -> None:
    programme = await feed.open_programme()
    client_id = await release_client(api)
    await api.post(
        f"/api/v1/clients/{client_id}/supervision-end",
        json={"ended_on": today().isoformat(), "outcome": "completed"},
        headers=OFFICER,
    )

    response = await enrol(api, client_id, programme)

    assert "supervision" in _detail(response)


async def test_a_klien_of_another_bapas_cannot_take_the_programme(
    api: httpx.AsyncClient, feed: PokmasFeed
) -> None:
    programme = await feed.open_programme("samarinda")
    client_id = await release_client(api)

    response = await enrol(api, client_id, programme, headers=OFFICER)

    assert "Bapas" in _detail(response)


async def test_an_enrolment_date_outside_the_programme_is_refused(
    api: httpx.AsyncClient, feed: PokmasFeed
) -> None:
    programme = await feed.open_programme(starts_in=5, lasts=30)

    response = await enrol(api, await release_client(api), programme, enrolled_on=days(0))

    assert "outside the programme's dates" in _detail(response)


async def test_an_enrolment_date_before_the_release_is_refused(
    api: httpx.AsyncClient, feed: PokmasFeed
) -> None:
    programme = await feed.open_programme(starts_in=-10)
    client_id = await release_client(api, released_on=days(-2).isoformat())

    response = await enrol(api, client_id, programme, enrolled_on=days(-5))

    assert "before the klien's release" in _detail(response)


async def test_an_unknown_programme_is_refused_naming_the_field(
    api: httpx.AsyncClient,
) -> None:
    client_id = await release_client(api)

    response = await api.post(
        f"/api/v1/clients/{client_id}/enrolments",
        json={"programme_id": "5b0f8f51-7f0a-4b55-9a51-1b0d7a3f9c11", "enrolled_on": "2025-03-01"},
        headers=OFFICER,
    )

    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["body.programme_id"]


async def test_attendance_is_shown_on_the_enrolment(
    api: httpx.AsyncClient, feed: PokmasFeed
) -> None:
    programme = await feed.open_programme()
    _, enrolment_id = await enrolled_klien(api, programme)

    response = await _post(
        api,
        enrolment_id,
        "attendance",
        {**attendance_body(1, programme, "late"), "concern": "Terlambat 20 menit"},
    )

    assert response.status_code == 201, response.text
    shown = await enrolment(api, enrolment_id)
    assert shown["attendance"] == [
        {
            "session_no": 1,
            "session_date": programme.starts_on.isoformat(),
            "status": "late",
            "concern": "Terlambat 20 menit",
        }
    ]
    assert shown["sessions_attended"] == 1


async def test_a_session_recorded_twice_is_a_conflict(
    api: httpx.AsyncClient, feed: PokmasFeed
) -> None:
    programme = await feed.open_programme()
    _, enrolment_id = await enrolled_klien(api, programme)
    await attend(api, enrolment_id, programme, [3])

    response = await _post(api, enrolment_id, "attendance", attendance_body(3, programme, "absent"))

    assert "session 3 is already recorded" in _detail(response)


async def test_a_session_beyond_the_planned_ones_is_refused_naming_the_field(
    api: httpx.AsyncClient, feed: PokmasFeed
) -> None:
    programme = await feed.open_programme(sessions_planned=4)
    _, enrolment_id = await enrolled_klien(api, programme)

    response = await _post(api, enrolment_id, "attendance", attendance_body(5, programme))

    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["body.session_no"]


async def test_completion_with_attendance_at_75_percent_completes_the_enrolment(
    api: httpx.AsyncClient, feed: PokmasFeed
) -> None:
    programme = await feed.open_programme(sessions_planned=8)
    _, enrolment_id = await enrolled_klien(api, programme)
    await attend(api, enrolment_id, programme, range(1, 6))
    await attend(api, enrolment_id, programme, [6], status="late")
    await attend(api, enrolment_id, programme, [7, 8], status="absent")

    response = await _post(
        api, enrolment_id, "completion", {**_completion(), "certificate_number": "SERT/001"}
    )

    assert response.status_code == 201, response.text
    shown = await enrolment(api, enrolment_id)
    assert (shown["status"], shown["assessment"], shown["certificate_number"]) == (
        "completed",
        "competent",
        "SERT/001",
    )


async def test_completion_with_attendance_below_75_percent_is_a_conflict(
    api: httpx.AsyncClient, feed: PokmasFeed
) -> None:
    programme = await feed.open_programme(sessions_planned=8)
    _, enrolment_id = await enrolled_klien(api, programme)
    await attend(api, enrolment_id, programme, range(1, 6))
    await attend(api, enrolment_id, programme, [6, 7, 8], status="absent")

    response = await _post(api, enrolment_id, "completion", _completion())

    assert "75 %" in _detail(response)


async def _completed(api: httpx.AsyncClient, programme: Programme) -> UUID:
    _, enrolment_id = await enrolled_klien(api, programme)
    await attend(api, enrolment_id, programme, range(1, programme.sessions_planned + 1))
    response = await _post(api, enrolment_id, "completion", _completion())
    assert response.status_code == 201, response.text
    return enrolment_id


async def _withdrawn(api: httpx.AsyncClient, programme: Programme) -> UUID:
    _, enrolment_id = await enrolled_klien(api, programme)
    response = await _post(api, enrolment_id, "withdrawal", _withdrawal())
    assert response.status_code == 201, response.text
    return enrolment_id


async def test_a_completed_enrolment_takes_no_more_attendance(
    api: httpx.AsyncClient, feed: PokmasFeed
) -> None:
    programme = await feed.open_programme(sessions_planned=2)
    enrolment_id = await _completed(api, programme)

    response = await _post(api, enrolment_id, "attendance", attendance_body(2, programme))

    assert "is completed, not enrolled" in _detail(response)


async def test_a_completed_enrolment_cannot_be_withdrawn(
    api: httpx.AsyncClient, feed: PokmasFeed
) -> None:
    programme = await feed.open_programme(sessions_planned=2)
    enrolment_id = await _completed(api, programme)

    response = await _post(api, enrolment_id, "withdrawal", _withdrawal())

    assert "is completed, not enrolled" in _detail(response)


async def test_a_withdrawn_enrolment_cannot_be_completed(
    api: httpx.AsyncClient, feed: PokmasFeed
) -> None:
    programme = await feed.open_programme()
    enrolment_id = await _withdrawn(api, programme)

    response = await _post(api, enrolment_id, "completion", _completion())

    assert "is withdrawn, not enrolled" in _detail(response)


async def test_a_withdrawn_enrolment_takes_no_more_attendance(
    api: httpx.AsyncClient, feed: PokmasFeed
) -> None:
    programme = await feed.open_programme()
    enrolment_id = await _withdrawn(api, programme)

    response = await _post(api, enrolment_id, "attendance", attendance_body(1, programme))

    assert "is withdrawn, not enrolled" in _detail(response)


async def test_a_withdrawal_before_the_enrolment_is_refused_naming_the_field(
    api: httpx.AsyncClient, feed: PokmasFeed
) -> None:
    programme = await feed.open_programme()
    _, enrolment_id = await enrolled_klien(api, programme)

    response = await _post(
        api,
        enrolment_id,
        "withdrawal",
        {"withdrawn_on": days(-1).isoformat(), "reason_code": "moved"},
    )

    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["body.withdrawn_on"]
