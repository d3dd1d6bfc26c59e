"""The webhook target check, without a service: which
schemes and addresses a deployment allows, for IP literals and for names resolved by a
stub (no name is resolved outside the machine; most checks resolve nothing at all)."""

from __future__ import annotations

import ipaddress

import pytest

from services.notifications.settings import NotificationsSettings
from services.notifications.targets import (
    NAMED_HOST_REFUSED,
    IPAddress,
    TargetPolicy,
    TargetRefused,
    address_refusal,
    check_target,
)
from shared.settings import Environment

PRODUCTION = TargetPolicy.for_environment(development=False)
DEVELOPMENT = TargetPolicy.for_environment(development=True)

REFUSED_EVERYWHERE = [
    ("169.254.169.254", "link-local"),  # cloud metadata
    ("169.254.0.1", "link-local"),
    ("fe80::1", "link-local"),
    ("10.0.0.5", "private"),
    ("172.16.0.1", "private"),
    ("192.168.1.10", "private"),
    ("fd00::1", "private"),
    ("100.64.0.1", "not public"),  # carrier-grade NAT
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("ff02::1", "multicast"),
    ("0.0.0.0", "unspecified"),
    ("::", "unspecified"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"),
    ("192.0.2.1", "private"),  # documentation
    ("2001:db8::1", "private"),  # documentation
    ("::ffff:169.254.169.254", "link-local"),  # IPv4-mapped
    ("::ffff:10.0.0.5", "private"),
    ("::ffff:0.0.0.0", "unspecified"),
    ("2002:a9fe:a9fe::1", "link-local"),  # 6to4 of 169.254.169.254
    ("64:ff9b::a00:5", "private"),  # NAT64 of 10.0.0.5
]
LOOPBACK = ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"]
PUBLIC = ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"]


def address(text: str) -> IPAddress:
    return ipaddress.ip_address(text)


class StubResolver:
    """Answers from a table; fails the test if asked anything else."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[IPAddress]:
        self.asked.append(host)
        if host not in self.answers:
            raise OSError(f"{host} does not resolve")
        return [address(found) for found in self.answers[host]]


NO_NAMES = StubResolver({})


@pytest.mark.parametrize(("literal", "kind"), REFUSED_EVERYWHERE)
@pytest.mark.parametrize("policy", [PRODUCTION, DEVELOPMENT], ids=["production", "development"])
def test_no_webhook_goes_to_an_address_that_is_not_public(
    literal: str, kind: str, policy: TargetPolicy
) -> None:
    assert address_refusal(address(literal), policy) == kind


@pytest.mark.parametrize("literal", LOOPBACK)
def test_loopback_is_allowed_in_development_only(literal: str) -> None:
    assert address_refusal(address(literal), DEVELOPMENT) is None
    assert address_refusal(address(literal), PRODUCTION) == "loopback"


@pytest.mark.parametrize("literal", PUBLIC)
def test_public_addresses_are_allowed(literal: str) -> None:
    assert address_refusal(address(literal), PRODUCTION) is None


@pytest.mark.parametrize(("literal", "kind"), REFUSED_EVERYWHERE)
async def test_an_ip_literal_url_is_refused_naming_its_kind_without_resolving(
    literal: str, kind: str
) -> None:
    host = f"[{literal}]" if ":" in literal else literal
    resolver = StubResolver({})

    with pytest.raises(TargetRefused) as refused:
        await check_target(f"https://{host}/hooks", DEVELOPMENT, resolver)

    assert str(refused.value).startswith(literal)
    assert kind.replace("not public", "not a public") in str(refused.value)
    assert resolver.asked == []


@pytest.mark.parametrize(
    "url",
    ["http://93.184.215.14/hooks", "ftp://93.184.215.14/", "gopher://93.184.215.14/"],
)
async def test_outside_development_only_https_is_allowed(url: str) -> None:
    with pytest.raises(TargetRefused, match=r"must be https$"):
        await check_target(url, PRODUCTION, NO_NAMES)


async def test_development_also_allows_http_and_loopback() -> None:
    target = await check_target("http://127.0.0.1:8080/hooks", DEVELOPMENT, NO_NAMES)

    assert (target.scheme, target.port, target.address) == ("http", 8080, address("127.0.0.1"))


async def test_credentials_in_a_url_are_refused() -> None:
    with pytest.raises(TargetRefused, match="credentials"):
        await check_target("https://user:pw@93.184.215.14/hooks", PRODUCTION, NO_NAMES)


async def test_a_name_is_checked_by_every_address_it_resolves_to() -> None:
    resolver = StubResolver({"hooks.example": ["93.184.215.14", "10.0.0.5"]})

    with pytest.raises(TargetRefused) as refused:
        await check_target("https://hooks.example/in", PRODUCTION, resolver)

    # Nothing says what the name resolved to: no probing of the internal DNS.
    assert str(refused.value) == NAMED_HOST_REFUSED
    assert "10.0.0.5" not in str(refused.value)


async def test_a_name_that_does_not_resolve_is_refused_like_a_private_one() -> None:
    with pytest.raises(TargetRefused) as refused:
        await check_target("https://nowhere.example/in", PRODUCTION, NO_NAMES)

    assert str(refused.value) == NAMED_HOST_REFUSED


async def test_a_name_with_public_addresses_is_pinned_to_the_first() -> None:
    resolver = StubResolver({"hooks.example": ["2606:4700:4700::1111", "93.184.215.14"]})

    target = await check_target("https://hooks.example/in", PRODUCTION, resolver)

    assert (target.host, target.port) == ("hooks.example", 443)
    assert target.address == address("2606:4700:4700::1111")
    assert resolver.asked == ["hooks.example"]


async def test_a_name_for_loopback_follows_the_loopback_rule() -> None:
    resolver = StubResolver({"localhost": ["127.0.0.1", "::1"]})

    developed = await check_target("http://localhost:9000/", DEVELOPMENT, resolver)
    with pytest.raises(TargetRefused):
        await check_target("https://localhost/", PRODUCTION, resolver)

    assert developed.address == address("127.0.0.1")


@pytest.mark.parametrize(
    ("environment", "development"),
    [
        (None, False),
        (Environment.TEST, False),
        (Environment.PRODUCTION, False),
        (Environment.DEVELOPMENT, True),
    ],
)
def test_only_an_explicit_development_environment_relaxes_the_policy(
    environment: Environment | None, development: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BAPAS_ENVIRONMENT", raising=False)
    if environment is not None:
        monkeypatch.setenv("BAPAS_ENVIRONMENT", environment.value)

    settings = NotificationsSettings()

    assert settings.is_development is development
    assert TargetPolicy.for_environment(development=settings.is_development) == TargetPolicy(
        allow_http=development, allow_loopback=development
    )
