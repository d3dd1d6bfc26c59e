"""Where a webhook may be delivered.

A webhook URL is chosen by the subscriber, but the request is made from inside the
platform's network: without a check, a subscription to ``http://169.254.169.254/``
(cloud metadata), to a database's port on ``10.0.0.5`` or to ``localhost`` would make
the notifications service fetch things for the subscriber that only it can reach. So a
target must be ``https`` (``http`` only in development), and every address its host
resolves to must be public: not loopback (allowed in development only), private,
link-local, multicast, unspecified, reserved or otherwise not global, for IPv4 and IPv6
alike, with the IPv4 address inside an IPv4-mapped (``::ffff:a.b.c.d``), 6to4 or NAT64
IPv6 address judged as IPv4.

DNS can change between the subscription and a delivery (and a hostile resolver can
answer differently each time), so the check runs when the subscription is made **and**
before each delivery, and the delivery connects to the very address that was checked
(:class:`services.notifications.webhooks.WebhookSender` pins it) rather than resolving
the name again.

The resolver is injectable (:class:`Resolver`): tests pass a stub, so that no name is
ever resolved outside the machine. A refusal of a named host does not say what the
name resolved to or why: "the host does not resolve" against "resolves to a private
address" would let a subscriber probe the platform's internal DNS.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, IPv6Network
from typing import Protocol
from urllib.parse import urlsplit

IPAddress = IPv4Address | IPv6Address

RESOLVE_TIMEOUT_SECONDS = 5.0
"""How long a subscription waits for its host to resolve."""

_NAT64 = IPv6Network("64:ff9b::/96")
_DEFAULT_PORTS = {"http": 80, "https": 443}

NAMED_HOST_REFUSED = "the host must resolve to public addresses only"
_KIND_PHRASES = {
    "loopback": "a loopback address",
    "unspecified": "an unspecified address",
    "link-local": "a link-local address",
    "multicast": "a multicast address",
    "reserved": "a reserved address",
    "private": "a private address",
    "not public": "not a public address",
}
"""The one reason given for any named host that is refused (see the module's text)."""


class Resolver(Protocol):
    """Resolves a host name to the addresses a TCP connection to ``port`` would try."""

    async def __call__(self, host: str, port: int) -> Sequence[IPAddress]: ...


async def system_resolver(host: str, port: int) -> list[IPAddress]:
    """The machine's resolver (``getaddrinfo``); ``OSError`` when the name does not resolve."""
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    return [ipaddress.ip_address(info[4][0]) for info in infos]


class TargetRefused(Exception):
    """The URL may not be delivered to; the text says why and may be shown to its owner."""


@dataclass(frozen=True, slots=True)
class TargetPolicy:
    """What a deployment allows beyond public ``https`` targets."""

    allow_http: bool
    allow_loopback: bool

    @classmethod
    def for_environment(cls, *, development: bool) -> TargetPolicy:
        """Development allows ``http`` and loopback receivers; anything else neither."""
        return cls(allow_http=development, allow_loopback=development)


@dataclass(frozen=True, slots=True)
class CheckedTarget:
    """A URL that passed the check, with the address a delivery connects to."""

    url: str
    scheme: str
    host: str
    port: int
    address: IPAddress


def embedded_ipv4(address: IPAddress) -> IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (IPv4-mapped, 6to4, NAT64), if any."""
    if isinstance(address, IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return IPv4Address(int(address) & 0xFFFF_FFFF)
    return None


def address_refusal(address: IPAddress, policy: TargetPolicy) -> str | None:
    """Why no webhook may go to ``address`` (``"link-local"``, …), or ``None`` if it may."""
    inner = embedded_ipv4(address)
    if inner is not None:
        return address_refusal(inner, policy)
    if address.is_loopback:
        return None if policy.allow_loopback else "loopback"
    checks = (
        ("unspecified", address.is_unspecified),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        ("not public", not address.is_global),
    )
    return next((name for name, refused in checks if refused), None)


def _literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _split(url: str, policy: TargetPolicy) -> tuple[str, str, int]:
    """The scheme, host and port of ``url``, or :class:`TargetRefused`."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise TargetRefused("the URL is not valid") from None
    scheme = parts.scheme.lower()
    allowed = ("https", "http") if policy.allow_http else ("https",)
    if scheme not in allowed:
        raise TargetRefused("the URL must be https" + (" or http" if policy.allow_http else ""))
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("the URL must not carry credentials; deliveries are signed")
    host = parts.hostname
    if not host:
        raise TargetRefused("the URL has no host")
    return scheme, host, port or _DEFAULT_PORTS[scheme]


def _shown(host: str, literal: IPAddress) -> str:
    """The host as written, with the IPv4 address an IPv6 one stands for."""
    inner = embedded_ipv4(literal)
    return host if inner is None else f"{host} (IPv4 {inner})"


async def _resolve(host: str, port: int, resolver: Resolver) -> Sequence[IPAddress]:
    try:
        async with asyncio.timeout(RESOLVE_TIMEOUT_SECONDS):
            found = await resolver(host, port)
    except (OSError, TimeoutError, UnicodeError):
        raise TargetRefused(NAMED_HOST_REFUSED) from None
    if not found:
        raise TargetRefused(NAMED_HOST_REFUSED)
    return found


async def check_target(url: str, policy: TargetPolicy, resolver: Resolver) -> CheckedTarget:
    """The target of ``url`` once its scheme and every address of its host are allowed;
    :class:`TargetRefused` otherwise. An IP literal is never resolved."""
    scheme, host, port = _split(url, policy)
    literal = _literal_address(host)
    if literal is not None:
        refusal = address_refusal(literal, policy)
        if refusal is not None:
            raise TargetRefused(f"{_shown(host, literal)} is {_KIND_PHRASES[refusal]}")
        return CheckedTarget(url, scheme, host, port, literal)
    addresses = await _resolve(host, port, resolver)
    if any(address_refusal(address, policy) is not None for address in addresses):
        raise TargetRefused(NAMED_HOST_REFUSED)
    return CheckedTarget(url, scheme, host, port, addresses[0])


@dataclass(frozen=True, slots=True)
class TargetGuard:
    """The policy of this deployment and the resolver it checks names with."""

    policy: TargetPolicy
    resolver: Resolver

    async def check(self, url: str) -> CheckedTarget:
        return await check_target(url, self.policy, self.resolver)
