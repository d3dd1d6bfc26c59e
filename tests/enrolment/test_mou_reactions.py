"""When a programme's MoU ends its enrolments are suspended, and when it is renewed
they resume: once per enrolment, however often the cause is delivered."""

from __future__ import annotations

import httpx

from services.enrolment.projections import PROJECTIONS
from shared.kafka.connection import KafkaConnection
from shared.projections import rebuild_projection
from tests.enrolment.helpers import (
    OFFICER,
    PokmasFeed,
    attendance_body,
    enrolled_klien,
    enrolment,
    enrolment_topic_messages,
    today,
    wait_for_status,
)


async def test_a_terminated_mou_suspends_the_enrolments_of_its_programmes(
    api: httpx.AsyncClient, feed: PokmasFeed
) -> None:
    programme = await feed.open_programme()
    other = await feed.open_programme(under=programme)
    _, first = await enrolled_klien(api, programme)
    _, second = await enrolled_klien(api, other)

    await feed.terminate_mou(programme)

    for enrolment_id in (first, second):
        suspended = await wait_for_status(api, enrolment_id, "suspended")
        assert "terminated" in suspended["suspension_reason"]


async def test_an_expired_mou_suspends_the_enrolments_of_its_programmes(
    api: httpx.AsyncClient, feed: PokmasFeed
) -> None:
    programme = await feed.open_programme()
    _, enrolment_id = await enrolled_klien(api, programme)

    await feed.expire_mou(programme)

    suspended = await wait_for_status(api, enrolment_id, "suspended")
    assert "expired" in suspended["suspension_reason"]


async def test_a_renewed_mou_resumes_the_suspended_enrolments(
    api: httpx.AsyncClient, feed: PokmasFeed
) -> None:
    programme = await feed.open_programme()
    _, enrolment_id = await enrolled_klien(api, programme)
    await feed.terminate_mou(programme)
    await wait_for_status(api, enrolment_id, "suspended")

    await feed.renew_mou(programme)

    resumed = await wait_for_status(api, enrolment_id, "enrolled")
    assert (resumed["suspension_reason"], resumed["version"]) == (None, 3)


async def test_completed_and_withdrawn_enrolments_stay_as_they_are(
    api: httpx.AsyncClient, feed: PokmasFeed
) -> None:
    programme = await feed.open_programme(sessions_planned=1)
    _, completed = await enrolled_klien(api, programme)
    await api.post(
        f"/api/v1/enrolments/{completed}/attendance",
        json=attendance_body(1, programme),
        headers=OFFICER,
    )
    await api.post(
        f"/api/v1/enrolments/{completed}/completion",
        json={"completed_on": today().isoformat(), "assessment": "competent"},
        headers=OFFICER,
    )
    _, enrolled = await enrolled_klien(api, programme)

    await feed.terminate_mou(programme)

    await wait_for_status(api, enrolled, "suspended")
    assert (await enrolment(api, completed))["status"] == "completed"


async def test_a_suspended_enrolment_takes_no_attendance(
    api: httpx.AsyncClient, feed: PokmasFeed
) -> None:
    programme = await feed.open_programme()
    _, enrolment_id = await enrolled_klien(api, programme)
    await feed.terminate_mou(programme)
    await wait_for_status(api, enrolment_id, "suspended")

    response = await api.post(
        f"/api/v1/enrolments/{enrolment_id}/attendance",
        json=attendance_body(1, programme),
        headers=OFFICER,
    )

    assert response.status_code == 409
    assert "is suspended, not enrolled" in response.json()["detail"]


async def test_the_same_termination_delivered_twice_suspends_once(
    api: httpx.AsyncClient, feed: PokmasFeed, kafka_bootstrap: str
) -> None:
    programme = await feed.open_programme()
    _, enrolment_id = await enrolled_klien(api, programme)
    termination = await feed.terminate_mou(programme)
    suspended = await wait_for_status(api, enrolment_id, "suspended")

    await feed.deliver(termination)
    await feed.until_applied()

    assert (await enrolment(api, enrolment_id))["version"] == suspended["version"] == 2
    events = await enrolment_topic_messages(kafka_bootstrap, [enrolment_id], count=2)
    assert [event.event_type for _, event in events] == ["ClientEnrolled", "EnrolmentSuspended"]
    assert events[1][1].causation_id == termination.event_id


async def test_the_same_renewal_delivered_twice_resumes_once(
    api: httpx.AsyncClient, feed: PokmasFeed
) -> None:
    programme = await feed.open_programme()
    _, enrolment_id = await enrolled_klien(api, programme)
    await feed.terminate_mou(programme)
    await wait_for_status(api, enrolment_id, "suspended")
    renewal = await feed.renew_mou(programme)
    resumed = await wait_for_status(api, enrolment_id, "enrolled")

    await feed.deliver(renewal)
    await feed.until_applied()

    assert (await enrolment(api, enrolment_id))["version"] == resumed["version"] == 3


async def test_a_rebuilt_projection_reacts_to_no_cause_a_second_time(
    api: httpx.AsyncClient,
    feed: PokmasFeed,
    package_database_url: str,
    kafka_bootstrap: str,
) -> None:
    programme = await feed.open_programme()
    _, enrolment_id = await enrolled_klien(api, programme)
    await feed.terminate_mou(programme)
    await wait_for_status(api, enrolment_id, "suspended")
    await feed.renew_mou(programme)
    resumed = await wait_for_status(api, enrolment_id, "enrolled")

    await rebuild_projection(
        PROJECTIONS["pokmas"],
        kafka=KafkaConnection.to(kafka_bootstrap),
        database_url=package_database_url,
    )

    assert (await enrolment(api, enrolment_id))["version"] == resumed["version"]
    _, another = await enrolled_klien(api, programme)
    assert (await enrolment(api, another))["status"] == "enrolled"
