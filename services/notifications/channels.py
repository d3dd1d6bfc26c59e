"""The ways a delivery leaves the service, behind one interface (:class:`Sender`).

* E-mail over SMTP (aiosmtplib). The Message-ID is derived from the notification id,
  and ``X-Bapas-Notification-Id`` / ``X-Bapas-Cause-Event-Id`` name the delivery and
  the event it announces, so a receiver can trace or de-duplicate a message.
* Webhooks: a signed POST of the event envelope to the subscription's checked URL,
  within a deadline and an answer cap (:mod:`services.notifications.webhooks`, given
  to :func:`open_senders` ready made).
* SMS through an HTTP gateway (only when ``NOTIFICATIONS_SMS_GATEWAY_URL`` is set): a
  POST of ``{"to": <phone>, "message": <text>}`` with ``Authorization: Bearer <key>``.

A sender raises :class:`DeliveryFailed` for anything that means "not delivered this
time"; the worker decides whether to try again. Its text becomes the error of
NotificationFailed, published on a topic anyone may read, so it names the failure
(an SMTP code, an HTTP status, a timeout) but not the address or the URL.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from email.message import EmailMessage
from email.utils import formatdate
from typing import Protocol

import aiosmtplib
import httpx

from services.notifications.deliveries import DueDelivery
from services.notifications.settings import NotificationsSettings
from shared.events.notifications import Channel

USER_AGENT = "bapas-notifications/1"


class DeliveryFailed(Exception):
    """The message was not delivered this time; the text says why."""


class Sender(Protocol):
    async def send(self, delivery: DueDelivery) -> None:
        """Deliver or raise :class:`DeliveryFailed`."""
        ...


class EmailSender:
    def __init__(self, settings: NotificationsSettings) -> None:
        self._settings = settings

    def message(self, delivery: DueDelivery) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self._settings.smtp_sender
        message["To"] = delivery.address
        message["Subject"] = delivery.subject or ""
        message["Date"] = formatdate(localtime=False, usegmt=True)
        message["Message-ID"] = f"<{delivery.notification_id}@notifications.bapas>"
        message["X-Bapas-Notification-Id"] = str(delivery.notification_id)
        message["X-Bapas-Cause-Event-Id"] = str(delivery.cause_event_id)
        message.set_content(delivery.body)
        return message

    async def send(self, delivery: DueDelivery) -> None:
        settings = self._settings
        try:
            await aiosmtplib.send(
                self.message(delivery),
                hostname=settings.smtp_host,
                port=settings.smtp_port,
                username=settings.smtp_username,
                password=settings.smtp_password,
                start_tls=settings.smtp_start_tls,
                timeout=settings.smtp_timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            codes = ", ".join(str(refused.code) for refused in error.recipients)
            raise DeliveryFailed(f"SMTP: the recipient was refused ({codes})") from error
        except aiosmtplib.SMTPResponseException as error:
            raise DeliveryFailed(f"SMTP: the server answered {error.code}") from error
        except aiosmtplib.SMTPException as error:
            raise DeliveryFailed(f"SMTP: {type(error).__name__}") from error
        except OSError as error:  # TimeoutError is an OSError
            raise DeliveryFailed(f"SMTP: {type(error).__name__}: {error}") from error


async def _post(
    client: httpx.AsyncClient,
    url: str,
    *,
    receiver: str,
    headers: Mapping[str, str],
    content: bytes | None = None,
    json: object = None,
) -> None:
    """POST and require a 2xx. The failure names the ``receiver``, not the URL: it
    ends in NotificationFailed on a public topic, and a URL may carry a token."""
    try:
        response = await client.post(url, headers=headers, content=content, json=json)
    except httpx.HTTPError as error:
        raise DeliveryFailed(f"{receiver}: {type(error).__name__}") from error
    if not response.is_success:
        raise DeliveryFailed(f"{receiver} answered HTTP {response.status_code}")


class SmsSender:
    def __init__(self, client: httpx.AsyncClient, *, gateway_url: str, key: str | None) -> None:
        self._client = client
        self._gateway_url = gateway_url
        self._headers = {"Authorization": f"Bearer {key}"} if key else {}

    async def send(self, delivery: DueDelivery) -> None:
        await _post(
            self._client,
            self._gateway_url,
            receiver="the SMS gateway",
            json={"to": delivery.address, "message": delivery.body},
            headers=self._headers,
        )


@contextlib.asynccontextmanager
async def open_senders(
    settings: NotificationsSettings, *, webhook: Sender
) -> AsyncIterator[Mapping[Channel, Sender]]:
    """A sender per channel available; the SMS gateway's share one HTTP client while open."""
    timeout = httpx.Timeout(settings.webhook_timeout_seconds)
    async with httpx.AsyncClient(
        timeout=timeout, follow_redirects=False, headers={"User-Agent": USER_AGENT}
    ) as client:
        senders: dict[Channel, Sender] = {
            Channel.EMAIL: EmailSender(settings),
            Channel.WEBHOOK: webhook,
        }
        if settings.sms_gateway_url:
            senders[Channel.SMS] = SmsSender(
                client, gateway_url=settings.sms_gateway_url, key=settings.sms_gateway_key
            )
        yield senders
