"""Webhook deliveries: a signed POST of the event envelope to a checked address, in bounds.

What a subscriber receives (the API contract; the receiver's side is in
``docs/subscribing.md``):

* the envelope as JSON, with ``X-Bapas-Event-Id``, ``X-Bapas-Event-Type`` and
  ``X-Bapas-Delivery-Id``;
* ``X-Bapas-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`` under the
  subscription's secret. The time is signed with the body, so a receiver that refuses
  an old ``t`` cannot be fed a captured delivery again. While a rotated-out secret is in
  its grace period the header carries one ``v1=`` per secret, newest first
  (``t=…,v1=<new>,v1=<old>``), so a receiver still on the old secret keeps verifying.

What a delivery may do, whatever the receiver does (:class:`WebhookSender`):

* the URL is checked again (:mod:`services.notifications.targets`) and the connection
  goes to the address that was checked, not to whatever the name resolves to a moment
  later (the HTTP client's own resolution is bypassed by :class:`PinnedBackend`);
* redirects are not followed (a 3xx is a failure like any other non-2xx);
* one overall deadline covers resolving, connecting, TLS, sending and reading, and at
  most ``webhook_answer_limit_bytes`` of the answer are read, as a stream;
* the error recorded for a failure is a category ("connection refused", "timeout",
  "HTTP 500", …), never the receiver's body, banner or exception text: the error is
  shown to the subscriber and published in NotificationFailed, and anything more would
  let a subscriber use the platform as a port scanner that reads banners.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ssl
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from services.notifications.channels import USER_AGENT, DeliveryFailed
from services.notifications.deliveries import DueDelivery
from services.notifications.targets import CheckedTarget, IPAddress, TargetGuard, TargetRefused
from services.notifications.vault import SecretUnreadable, SecretVault

SIGNATURE_HEADER = "X-Bapas-Signature"
SIGNATURE_SCHEME = "v1"

TARGET_REFUSED = "the target is not allowed"
SUBSCRIPTION_DELETED = "the subscription was deleted"


def signature_header(secrets: Sequence[str], body: bytes, timestamp: int) -> str:
    """``t=<timestamp>,v1=<hex>[,v1=<hex>…]``: one HMAC-SHA256 of ``"<t>.<body>"`` per
    secret, in the order given (the current secret first)."""
    signed = f"{timestamp}.".encode() + body
    digests = [hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest() for secret in secrets]
    return ",".join([f"t={timestamp}", *(f"{SIGNATURE_SCHEME}={digest}" for digest in digests)])


async def read_capped(chunks: AsyncIterator[bytes], limit: int) -> int:
    """Read ``chunks`` until they end or ``limit`` bytes have come; the bytes read.

    The answer is read only so that a receiver can finish it; nothing of it is kept.
    """
    read = 0
    async for chunk in chunks:
        read += len(chunk)
        if read >= limit:
            break
    return read


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """Connects every TCP connection to one address, whatever host the URL names.

    The URL's host still names the server in the ``Host`` header, in TLS's SNI and in
    the certificate check; only the address is fixed, to the one that was checked.
    """

    def __init__(
        self, address: IPAddress, inner: httpcore.AsyncNetworkBackend | None = None
    ) -> None:
        self._address = address
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return await self._inner.connect_tcp(
            str(self._address), port, timeout, local_address, socket_options
        )

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("webhooks are delivered over TCP only")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def failure_category(error: BaseException) -> str:
    """What a failed exchange is called in the delivery's error: a category only."""
    causes = _causes(error)
    if any(isinstance(cause, TimeoutError | httpcore.TimeoutException) for cause in causes):
        return "timeout"
    if isinstance(error, httpcore.ConnectError):
        if any(isinstance(cause, ConnectionRefusedError) for cause in causes):
            return "connection refused"
        if any(isinstance(cause, ssl.SSLError) for cause in causes):
            return "TLS handshake failed"
        return "connection failed"
    if isinstance(error, httpcore.ProtocolError):
        return "invalid HTTP answer"
    return "connection lost"


def _causes(error: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in found:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


class WebhookSender:
    """Delivers webhooks within the bounds of the module's text."""

    def __init__(
        self,
        *,
        guard: TargetGuard,
        vault: SecretVault,
        deadline_seconds: float,
        answer_limit_bytes: int,
        clock: Callable[[], float] = time.time,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._guard = guard
        self._vault = vault
        self._deadline_seconds = deadline_seconds
        self._answer_limit_bytes = answer_limit_bytes
        self._clock = clock
        self._ssl_context = ssl_context or httpx.create_ssl_context()

    async def send(self, delivery: DueDelivery) -> None:
        """Deliver or raise :class:`DeliveryFailed` with a category of failure."""
        body = delivery.body.encode()
        headers = self._headers(delivery, body)
        try:
            async with asyncio.timeout(self._deadline_seconds):
                target = await self._guard.check(delivery.address)
                status = await self._exchange(target, headers, body)
        except TargetRefused:
            raise DeliveryFailed(TARGET_REFUSED) from None
        except (TimeoutError, httpcore.TimeoutException):
            raise DeliveryFailed("timeout") from None
        except (httpcore.NetworkError, httpcore.ProtocolError) as error:
            raise DeliveryFailed(failure_category(error)) from None
        if not 200 <= status < 300:
            raise DeliveryFailed(f"HTTP {status}")

    def _headers(self, delivery: DueDelivery, body: bytes) -> list[tuple[str, str]]:
        secrets = self._secrets(delivery)
        return [
            ("Host", urlsplit(delivery.address).netloc),
            ("User-Agent", USER_AGENT),
            ("Content-Type", "application/json"),
            (SIGNATURE_HEADER, signature_header(secrets, body, int(self._clock()))),
            ("X-Bapas-Event-Id", str(delivery.cause_event_id)),
            ("X-Bapas-Event-Type", delivery.cause_event_type),
            ("X-Bapas-Delivery-Id", str(delivery.notification_id)),
        ]

    def _secrets(self, delivery: DueDelivery) -> list[str]:
        if delivery.subscription_id is None or not delivery.subscribed:
            raise DeliveryFailed(SUBSCRIPTION_DELETED)
        if not delivery.sealed_secrets:  # stored in clear by 0001, not sealed yet
            raise DeliveryFailed("the subscription's secret is not available yet")
        try:
            return [
                self._vault.open(delivery.subscription_id, sealed)
                for sealed in delivery.sealed_secrets
            ]
        except SecretUnreadable:
            raise DeliveryFailed("the subscription's secret does not decrypt") from None

    async def _exchange(
        self, target: CheckedTarget, headers: list[tuple[str, str]], body: bytes
    ) -> int:
        """POST ``body`` to the checked address; the answer's status."""
        async with (
            httpcore.AsyncConnectionPool(
                ssl_context=self._ssl_context,
                network_backend=PinnedBackend(target.address),
                max_connections=1,
                retries=0,
            ) as pool,
            pool.stream("POST", target.url, headers=headers, content=body) as response,
        ):
            await read_capped(response.aiter_stream(), self._answer_limit_bytes)
            return response.status
