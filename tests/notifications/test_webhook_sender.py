"""One webhook delivery in bounds, against local receivers
and without the rest of the service: the timestamped signature, the check of the target
at delivery and the connection to the checked address, no redirects, an overall
deadline, a capped answer, and errors that name a category, never what answered.

Every receiver here listens on loopback; refused targets are ``0.0.0.0`` (which, if it
were contacted, would reach this machine's loopback receiver and show it), loopback
outside development, or names that a stub resolver turns into those.
"""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import hmac
import ipaddress
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from uuid import uuid4

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from services.notifications.channels import DeliveryFailed
from services.notifications.deliveries import DueDelivery
from services.notifications.targets import IPAddress, TargetGuard, TargetPolicy
from services.notifications.vault import SecretVault
from services.notifications.webhooks import (
    TARGET_REFUSED,
    WebhookSender,
    read_capped,
    signature_header,
)
from shared.events.notifications import Channel, RecipientKind
from tests.notifications.receivers import Answer, HttpReceiver, http_receiver

VAULT = SecretVault(b"k" * 32)
SECRET = "the-subscriber-secret-0123456789"
BANNER = b"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13 db-primary.internal\r\n"
NOW = 1_760_000_000
DEVELOPMENT = TargetPolicy.for_environment(development=True)
PRODUCTION = TargetPolicy.for_environment(development=False)

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class StubResolver:
    def __init__(self, **answers: str) -> None:
        self.answers = {host.replace("_", "."): found for host, found in answers.items()}
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[IPAddress]:
        self.asked.append(host)
        if host not in self.answers:
            raise OSError(f"{host} does not resolve")
        return [ipaddress.ip_address(self.answers[host])]


def sender(
    *,
    resolver: StubResolver | None = None,
    policy: TargetPolicy = DEVELOPMENT,
    deadline: float = 5.0,
    answer_limit: int = 64 * 1024,
    trusted: ssl.SSLContext | None = None,
) -> WebhookSender:
    return WebhookSender(
        guard=TargetGuard(policy, resolver or StubResolver()),
        vault=VAULT,
        deadline_seconds=deadline,
        answer_limit_bytes=answer_limit,
        clock=lambda: NOW + 0.75,
        ssl_context=trusted,
    )


def delivery(url: str, *secrets: str) -> DueDelivery:
    subscription_id = uuid4()
    return DueDelivery(
        notification_id=uuid4(),
        cause_event_id=uuid4(),
        cause_event_type="MoUSigned",
        correlation_id=uuid4(),
        bapas_code="balikpapan",
        recipient_kind=RecipientKind.SUBSCRIBER,
        channel=Channel.WEBHOOK,
        address=url,
        template="event_envelope",
        subject=None,
        body='{"event_type": "MoUSigned"}',
        attempts=1,
        subscription_id=subscription_id,
        sealed_secrets=tuple(VAULT.seal(subscription_id, s) for s in secrets or (SECRET,)),
        subscribed=True,
    )


async def failure_of(webhook: WebhookSender, due: DueDelivery) -> str:
    with pytest.raises(DeliveryFailed) as failed:
        await webhook.send(due)
    return str(failed.value)


@asynccontextmanager
async def raw_server(
    handler: Handler, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[int]:
    """A TCP server on loopback that runs ``handler``; yields its port."""
    server = await asyncio.start_server(handler, host, port)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()


@pytest.fixture
async def receiver() -> AsyncIterator[HttpReceiver]:
    async with http_receiver() as found:
        yield found


def self_signed(name: str, folder: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a certificate for ``name``, and a client context trusting it."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certificate_file, key_file = folder / "receiver.pem", folder / "receiver.key"
    certificate_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(certificate_file, key_file)
    return server, ssl.create_default_context(cafile=str(certificate_file))


@asynccontextmanager
async def https_receiver(server_context: ssl.SSLContext) -> AsyncIterator[HttpReceiver]:
    """An HTTP receiver behind TLS, on loopback."""
    found = HttpReceiver()
    server = await asyncio.start_server(found.handle, "127.0.0.1", 0, ssl=server_context)
    found.port = server.sockets[0].getsockname()[1]
    try:
        yield found
    finally:
        server.close()


# -- the signature --------------------------------------------------------------------


async def test_a_delivery_is_signed_over_its_time_and_body(receiver: HttpReceiver) -> None:
    await sender().send(delivery(receiver.url("/hooks")))

    [request] = receiver.to("/hooks")
    signed = f"{NOW}.".encode() + request.body
    expected = hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()

    assert request.headers["x-bapas-signature"] == f"t={NOW},v1={expected}"


def test_during_a_grace_period_both_secrets_sign_the_newest_first() -> None:
    body = b'{"event_type": "MoUSigned"}'

    header = signature_header(["new-secret-0123456789", "old-secret-0123456789"], body, NOW)

    digests = [
        hmac.new(secret, f"{NOW}.".encode() + body, hashlib.sha256).hexdigest()
        for secret in (b"new-secret-0123456789", b"old-secret-0123456789")
    ]
    assert header == f"t={NOW},v1={digests[0]},v1={digests[1]}"


# -- the target, checked again at delivery ----------------------------------------------


async def test_the_connection_goes_to_the_address_that_was_checked() -> None:
    """``localhost`` resolves to 127.0.0.1 for the machine, to 127.0.0.2 for the stub: a
    client that resolved the name again would reach the decoy on 127.0.0.1."""
    async with http_receiver("127.0.0.2") as checked, http_receiver() as decoy:
        decoy_server = await asyncio.start_server(decoy.handle, "127.0.0.1", checked.port)
        try:
            resolver = StubResolver(localhost="127.0.0.2")
            url = f"http://localhost:{checked.port}/hooks"

            await sender(resolver=resolver).send(delivery(url))
        finally:
            decoy_server.close()

    [request] = checked.to("/hooks")
    assert request.headers["host"] == f"localhost:{checked.port}"
    assert decoy.requests == []
    assert resolver.asked == ["localhost"]


@pytest.mark.parametrize("host", ["0.0.0.0", "rebound.example"])
async def test_a_target_refused_at_delivery_is_not_contacted(
    receiver: HttpReceiver, host: str
) -> None:
    """The subscription's name now resolves to 0.0.0.0 (as a rebinding DNS would answer),
    or the URL names it outright; connecting there would reach the local receiver."""
    resolver = StubResolver(rebound_example="0.0.0.0")
    url = f"http://{host}:{receiver.port}/hooks"

    error = await failure_of(sender(resolver=resolver), delivery(url))

    assert error == TARGET_REFUSED
    assert receiver.requests == []


async def test_outside_development_a_loopback_receiver_is_not_contacted(
    receiver: HttpReceiver,
) -> None:
    error = await failure_of(sender(policy=PRODUCTION), delivery(receiver.url("/hooks")))

    assert error == TARGET_REFUSED
    assert receiver.requests == []


async def test_https_goes_to_the_checked_address_and_verifies_the_name(tmp_path: Path) -> None:
    """Pinned to 127.0.0.1, the TLS handshake still names and checks the URL's host."""
    server_context, trusted = self_signed("receiver.example", tmp_path)
    resolver = StubResolver(receiver_example="127.0.0.1", impostor_example="127.0.0.1")
    webhook = sender(resolver=resolver, trusted=trusted)
    async with https_receiver(server_context) as receiver:
        await webhook.send(delivery(f"https://receiver.example:{receiver.port}/hooks"))
        error = await failure_of(
            webhook, delivery(f"https://impostor.example:{receiver.port}/hooks")
        )

    [request] = receiver.requests
    assert request.headers["host"] == f"receiver.example:{receiver.port}"
    assert error == "TLS handshake failed"


async def test_an_ipv6_loopback_receiver_is_reached_in_development() -> None:
    async with http_receiver("::1") as receiver:
        await sender().send(delivery(receiver.url("/hooks")))

    assert len(receiver.to("/hooks")) == 1


# -- what the receiver answers ----------------------------------------------------------


async def test_a_redirect_is_not_followed(receiver: HttpReceiver) -> None:
    receiver.answer("/hooks", Answer("302 Found", (("Location", receiver.url("/elsewhere")),)))

    error = await failure_of(sender(), delivery(receiver.url("/hooks")))

    assert error == "HTTP 302"
    assert receiver.to("/elsewhere") == []


async def test_a_failure_names_the_status_never_the_answer(receiver: HttpReceiver) -> None:
    receiver.answer(
        "/hooks",
        Answer("500 Internal Server Error", (("Server", "db-primary.internal"),), BANNER),
    )

    error = await failure_of(sender(), delivery(receiver.url("/hooks")))

    assert error == "HTTP 500"


async def test_a_service_that_is_not_http_is_an_invalid_answer_without_its_banner() -> None:
    async def ssh(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(BANNER)
        await writer.drain()
        await reader.read(65536)  # the request, which it does not understand
        writer.close()

    async with raw_server(ssh) as port:
        error = await failure_of(sender(), delivery(f"http://127.0.0.1:{port}/hooks"))

    assert error == "invalid HTTP answer"


async def test_a_closed_port_is_connection_refused() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    error = await failure_of(sender(), delivery(f"http://127.0.0.1:{port}/hooks"))

    assert error == "connection refused"


async def test_a_receiver_that_does_not_answer_meets_the_deadline(receiver: HttpReceiver) -> None:
    release = receiver.hold("/hooks")
    try:
        error = await failure_of(sender(deadline=0.3), delivery(receiver.url("/hooks")))
    finally:
        release.set()

    assert error == "timeout"


async def test_an_endless_answer_is_read_only_up_to_the_cap() -> None:
    """A 200 that never ends is a delivery: the status is known, and reading stops at
    the cap (without it, this would run into the deadline and fail)."""
    written = 0

    async def endless(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal written
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"%x\r\n%b\r\n" % (4096, b"x" * 4096)
        try:
            while True:
                writer.write(chunk)
                await writer.drain()
                written += 4096
        except ConnectionError:
            writer.close()

    async with raw_server(endless) as port:
        await sender(deadline=30.0).send(delivery(f"http://127.0.0.1:{port}/hooks"))

    assert written > 0


async def test_reading_an_answer_stops_at_the_cap() -> None:
    pulled = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal pulled
        while True:
            pulled += 1
            yield b"x" * 1000

    read = await read_capped(chunks(), 64 * 1024)

    assert pulled == 66
    assert read == 66_000
