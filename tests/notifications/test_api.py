"""The notifications API: the delivery history within each caller's scope, and webhook
subscriptions managed by the ministry and the services, whose secret is never shown."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from shared.http import Role
from tests.notifications.conftest import Notifications
from tests.notifications.world import World
from tests.support.service_app import bearer

SECRET = "the-subscriber-secret-0123456789"


def subscription_body(**changes: Any) -> dict[str, Any]:
    return {
        "url": "https://subscriber.example/hooks/bapas",
        "event_types": ["ClientReoffended", "SupervisionEnded"],
        "secret": SECRET,
        **changes,
    }


def field_errors(response: Any) -> list[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [error["field"] for error in response.json()["errors"]]


# -- the delivery history -------------------------------------------------------------


async def test_a_regional_office_sees_the_deliveries_of_its_province_only(
    notifications: Notifications,
) -> None:
    world = World(bapas_code="jayapura")
    signed = await world.publish_setup(notifications.publisher, until="MoUSigned")
    await notifications.settled(signed.event_id, 2)
    query = {"cause_event_id": str(signed.event_id)}

    papua = await notifications.client.get(
        "/api/v1/notifications", params=query, headers=bearer(Role.REGIONAL, province="papua")
    )
    kalimantan = await notifications.client.get(
        "/api/v1/notifications",
        params=query,
        headers=bearer(Role.REGIONAL, province="kalimantan-timur"),
    )

    assert {item["address"] for item in papua.json()["items"]} == {
        world.office_email,
        world.pokmas_email,
    }
    assert kalimantan.json()["items"] == []


async def test_a_bapas_officer_sees_the_deliveries_of_its_bapas_only(
    notifications: Notifications,
) -> None:
    world = World(bapas_code="samarinda")
    released = await world.publish_setup(notifications.publisher, until="ClientReleased")
    await notifications.settled(released.event_id, 1)
    query = {"cause_event_id": str(released.event_id)}

    own = await notifications.client.get(
        "/api/v1/notifications", params=query, headers=bearer(Role.BAPAS_OFFICER, bapas="samarinda")
    )
    other = await notifications.client.get(
        "/api/v1/notifications",
        params=query,
        headers=bearer(Role.BAPAS_OFFICER, bapas="balikpapan"),
    )

    assert [item["address"] for item in own.json()["items"]] == [world.officer_email]
    assert other.json()["items"] == []


async def test_the_history_filters_by_channel(notifications: Notifications) -> None:
    world = World(officer_email=None, officer_phone="+62 811 5400 7777")
    released = await world.publish_setup(notifications.publisher, until="ClientReleased")
    await notifications.settled(released.event_id, 1)

    by_sms = await notifications.history(cause_event_id=str(released.event_id), channel="sms")
    by_email = await notifications.history(cause_event_id=str(released.event_id), channel="email")

    assert [(d["channel"], d["address"], d["status"]) for d in by_sms] == [
        ("sms", "+62 811 5400 7777", "sent")
    ]
    assert by_email == []


async def test_a_pokmas_partner_may_not_read_the_history(notifications: Notifications) -> None:
    response = await notifications.client.get(
        "/api/v1/notifications",
        headers=bearer(Role.POKMAS_PARTNER, bapas="balikpapan", pokmas_id=uuid4()),
    )

    assert response.status_code == 403


@pytest.mark.parametrize(
    ("parameter", "value"),
    [("bapas_code", "atlantis"), ("channel", "pigeon"), ("status", "lost"), ("cursor", "%%")],
)
async def test_a_bad_history_filter_is_a_422_naming_it(
    notifications: Notifications, parameter: str, value: str
) -> None:
    response = await notifications.client.get(
        "/api/v1/notifications", params={parameter: value}, headers=bearer(Role.MINISTRY)
    )

    assert field_errors(response) == [f"query.{parameter}"]


async def test_the_history_needs_a_token(notifications: Notifications) -> None:
    response = await notifications.client.get("/api/v1/notifications")

    assert response.status_code == 401


# -- subscriptions --------------------------------------------------------------------


async def test_a_subscription_is_never_shown_with_its_secret(
    notifications: Notifications,
) -> None:
    created = await notifications.client.post(
        "/api/v1/subscriptions", json=subscription_body(), headers=bearer(Role.MINISTRY)
    )
    listed = await notifications.client.get(
        "/api/v1/subscriptions", params={"limit": 500}, headers=bearer(Role.MINISTRY)
    )
    shown = await notifications.client.get(
        created.headers["Location"], headers=bearer(Role.SERVICE)
    )

    assert created.status_code == 201
    assert created.json()["url"] == "https://subscriber.example/hooks/bapas"
    assert created.json()["id"] in [item["id"] for item in listed.json()["items"]]
    assert shown.json() == created.json()
    for response in (created, listed, shown):
        assert SECRET not in response.text
    for shown_subscription in (created.json(), shown.json(), *listed.json()["items"]):
        assert "secret" not in shown_subscription


@pytest.mark.parametrize(
    "url", ["ftp://subscriber.example/hooks", "subscriber.example/hooks", "mailto:a@b.example"]
)
async def test_a_subscription_url_must_be_http_or_https(
    notifications: Notifications, url: str
) -> None:
    response = await notifications.client.post(
        "/api/v1/subscriptions", json=subscription_body(url=url), headers=bearer(Role.SERVICE)
    )

    assert field_errors(response) == ["body.url"]


@pytest.mark.parametrize("event_type", ["MoUSigend", "NotificationSent"])
async def test_a_subscription_takes_only_known_event_types_of_pokmas_and_enrolment(
    notifications: Notifications, event_type: str
) -> None:
    response = await notifications.client.post(
        "/api/v1/subscriptions",
        json=subscription_body(event_types=["MoUSigned", event_type]),
        headers=bearer(Role.SERVICE),
    )

    assert field_errors(response) == ["body.event_types.1"]


async def test_a_subscription_filters_only_by_known_bapas(notifications: Notifications) -> None:
    response = await notifications.client.post(
        "/api/v1/subscriptions",
        json=subscription_body(bapas_codes=["balikpapan", "atlantis"]),
        headers=bearer(Role.SERVICE),
    )

    assert field_errors(response) == ["body.bapas_codes.1"]


async def test_a_short_secret_is_refused_without_echoing_it(notifications: Notifications) -> None:
    response = await notifications.client.post(
        "/api/v1/subscriptions",
        json=subscription_body(secret="short-secret"),
        headers=bearer(Role.SERVICE),
    )

    assert field_errors(response) == ["body.secret"]
    assert "short-secret" not in response.text


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_only_the_ministry_and_services_manage_subscriptions(
    notifications: Notifications, method: str
) -> None:
    response = await notifications.client.request(
        method,
        "/api/v1/subscriptions",
        json=subscription_body() if method == "POST" else None,
        headers=bearer(Role.BAPAS_OFFICER, bapas="balikpapan"),
    )

    assert response.status_code == 403


async def test_a_deleted_subscription_is_gone(notifications: Notifications) -> None:
    created = await notifications.client.post(
        "/api/v1/subscriptions", json=subscription_body(), headers=bearer(Role.SERVICE)
    )
    location = created.headers["Location"]

    deleted = await notifications.client.delete(location, headers=bearer(Role.SERVICE))
    shown = await notifications.client.get(location, headers=bearer(Role.SERVICE))
    deleted_again = await notifications.client.delete(location, headers=bearer(Role.SERVICE))
    listed = await notifications.client.get(
        "/api/v1/subscriptions", params={"limit": 500}, headers=bearer(Role.SERVICE)
    )

    assert deleted.status_code == 204
    assert (shown.status_code, deleted_again.status_code) == (404, 404)
    assert created.json()["id"] not in [item["id"] for item in listed.json()["items"]]


async def test_a_secret_with_control_characters_is_refused(notifications: Notifications) -> None:
    response = await notifications.client.post(
        "/api/v1/subscriptions",
        json=subscription_body(secret="a-secret-with-a-\x00-in-it"),
        headers=bearer(Role.SERVICE),
    )

    assert field_errors(response) == ["body.secret"]
