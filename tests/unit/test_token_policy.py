"""The token policy of the API contract, each rule shown with the bad token it refuses.

The development secret is trusted only with ``BAPAS_ENVIRONMENT=development`` said
explicitly: a service started without it refuses to start, naming what to set, while
``bapas token`` and the demo still mint tokens for ``make up`` with nothing exported.
Tokens: ``exp`` at most ``BAPAS_JWT_MAX_LIFETIME_HOURS`` ahead, ``iss`` / ``aud`` when
configured, 30 s of leeway, ``sub`` up to 256 characters, known roles, offices and
provinces; a claim of any odd type or value answers 401 naming it, never 500.

Most rules are shown on a small app with the shared auth installed; the last part
sends the bad tokens to the real pokmas service (against the session's Kafka and
PostgreSQL) and checks that a refused command wrote no event, and that a ``sub`` of
256 characters is recorded whole in the event.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

import httpx
import jwt
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from services.pokmas.app import create_app as create_pokmas_app
from shared.cli.main import app as cli
from shared.demo.client import token_for
from shared.http import Caller, Role, TokenVerifier, Unauthorized, create_service_app, issue_token
from shared.http.auth import CLOCK_LEEWAY_SECONDS, MAX_TOKEN_LENGTH
from shared.runtime import ServiceRuntime
from shared.settings import (
    DEVELOPMENT_JWT_SECRET,
    AuthSettings,
    Environment,
    UnusableJwtSecret,
)
from shared.stack.paths import repository_root
from tests.pokmas.helpers import pokmas_body
from tests.support.databases import fresh_database
from tests.support.infrastructure import Infrastructure
from tests.support.service_app import running_service

SECRET = "a-test-secret-that-is-longer-than-32-bytes"
SETTINGS = AuthSettings(environment=Environment.TEST, jwt_secret=SECRET)
DEVELOPMENT = AuthSettings(environment=Environment.DEVELOPMENT, jwt_secret=DEVELOPMENT_JWT_SECRET)
WHAT_TO_SET = (
    "BAPAS_JWT_SECRET is the development secret: set BAPAS_ENVIRONMENT=development to use "
    "it locally, or set a real secret of at least 32 bytes"
)
OFFICER_CLAIMS: dict[str, object] = {"sub": "pk-1", "role": "bapas_officer", "bapas": "balikpapan"}
HOUR = 3600


def build_app(settings: AuthSettings = SETTINGS) -> FastAPI:
    app = create_service_app(
        title="token policy test",
        version="0",
        auth=settings,
        bapas_provinces={"balikpapan": "kalimantan-timur"},
        readiness_checks={},
    )

    @app.get("/whoami")
    async def whoami(caller: Caller) -> dict[str, str]:
        return {"sub": caller.sub, "role": caller.role.value}

    return app


async def whoami(token: str, settings: AuthSettings = SETTINGS) -> httpx.Response:
    transport = httpx.ASGITransport(app=build_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get("/whoami", headers=bearer(token))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def in_seconds(seconds: int) -> int:
    """The NumericDate (seconds since 1970) that many seconds from now."""
    return int(time.time()) + seconds


def signed(
    changes: dict[str, object] | None = None,
    *,
    without: tuple[str, ...] = (),
    key: str = SECRET,
) -> str:
    """An officer's token valid for five minutes, with ``changes`` to its claims."""
    claims: dict[str, object] = {**OFFICER_CLAIMS, "exp": in_seconds(300)}
    claims.update(changes or {})
    for name in without:
        claims.pop(name)
    return jwt.encode(claims, key, algorithm="HS256")


def hand_signed(header: bytes, payload: bytes, key: str = SECRET) -> str:
    """A token whose header and payload are exactly these bytes (JSON a library would
    not write), with a valid HS256 signature."""
    signing_input = b".".join(_base64url(part) for part in (header, payload))
    signature = hmac.new(key.encode(), signing_input, hashlib.sha256).digest()
    return (signing_input + b"." + _base64url(signature)).decode()


def _base64url(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def refusal(response: httpx.Response) -> str:
    """The detail of a 401 problem answer (failing the test for anything else)."""
    assert response.status_code == 401, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    detail: str = response.json()["detail"]
    return detail


# --- the development secret ---------------------------------------------------------------


def test_a_service_started_without_development_refuses_to_start_saying_what_to_set() -> None:
    environment = {name: value for name, value in os.environ.items() if "BAPAS_" not in name}
    started = subprocess.run(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "services.pokmas.app:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
        ],
        env=environment,
        cwd=repository_root(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert started.returncode != 0
    assert WHAT_TO_SET in started.stderr
    assert "Application startup failed" in started.stderr


async def test_an_app_built_without_development_trusts_no_development_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("BAPAS_ENVIRONMENT", raising=False)
    monkeypatch.delenv("BAPAS_JWT_SECRET", raising=False)
    app = create_pokmas_app()  # building it opens nothing: the published documents do it
    token = issue_token(DEVELOPMENT, role=Role.MINISTRY, sub="m")

    with pytest.raises(UnusableJwtSecret, match="set BAPAS_ENVIRONMENT=development"):
        async with app.router.lifespan_context(app):
            pass
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/api/v1/pokmas", headers=bearer(token))

    assert "trusts no token" in refusal(response)


async def test_an_explicit_development_trusts_the_development_secret() -> None:
    token = issue_token(DEVELOPMENT, role=Role.MINISTRY, sub="m")

    response = await whoami(token, DEVELOPMENT)

    assert response.status_code == 200


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, " ".join(result.output.split())


def test_bapas_token_mints_for_make_up_with_nothing_exported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("BAPAS_ENVIRONMENT", raising=False)
    monkeypatch.delenv("BAPAS_JWT_SECRET", raising=False)

    code, token = _cli("token", "--role", "bapas_officer", "--bapas", "balikpapan")

    assert code == 0
    principal = TokenVerifier(DEVELOPMENT).principal_from(token)
    assert (principal.role, principal.bapas) == (Role.BAPAS_OFFICER, "balikpapan")


def test_bapas_token_refuses_the_development_secret_where_a_service_would(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BAPAS_ENVIRONMENT", "test")
    monkeypatch.delenv("BAPAS_JWT_SECRET", raising=False)

    code, output = _cli("token", "--role", "ministry")

    assert code == 1
    assert WHAT_TO_SET in output


def test_bapas_token_refuses_a_lifetime_beyond_the_maximum() -> None:
    code, output = _cli("token", "--role", "ministry", "--hours", "25")

    assert code == 1
    assert "at most 24 hours" in output


def test_bapas_token_refuses_a_province_without_an_office() -> None:
    code, output = _cli("token", "--role", "regional", "--province", "atlantis")

    assert code == 1
    assert "province claim names no province" in output


def test_the_demo_mints_for_make_up_with_nothing_exported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BAPAS_ENVIRONMENT", raising=False)
    monkeypatch.delenv("BAPAS_JWT_SECRET", raising=False)

    principal = TokenVerifier(DEVELOPMENT).principal_from(token_for(Role.MINISTRY))

    assert principal.role is Role.MINISTRY


# --- lifetime and leeway --------------------------------------------------------------------


async def test_a_token_valid_for_30000_years_is_refused() -> None:
    token = signed({"exp": in_seconds(30_000 * 366 * 24 * HOUR)})

    detail = refusal(await whoami(token))

    assert detail == (
        "the token's exp claim lies more than 24 hours ahead: "
        "this service accepts tokens valid for no longer"
    )


async def test_an_exp_beyond_any_number_is_refused() -> None:
    assert "exp" in refusal(await whoami(signed({"exp": 10**400})))


async def test_a_token_valid_for_the_maximum_lifetime_is_accepted() -> None:
    response = await whoami(signed({"exp": in_seconds(24 * HOUR)}))

    assert response.status_code == 200


async def test_the_maximum_lifetime_is_a_setting() -> None:
    settings = AuthSettings(
        environment=Environment.TEST, jwt_secret=SECRET, jwt_max_lifetime_hours=1
    )

    detail = refusal(await whoami(signed({"exp": in_seconds(2 * HOUR)}), settings))

    assert "more than 1 hours ahead" in detail


def test_issuing_a_token_beyond_the_maximum_lifetime_is_refused() -> None:
    with pytest.raises(ValueError, match="at most 24 hours"):
        issue_token(SETTINGS, role=Role.MINISTRY, sub="m", ttl=timedelta(hours=25))


async def test_a_token_expired_within_the_leeway_is_accepted() -> None:
    response = await whoami(signed({"exp": in_seconds(-10)}))

    assert response.status_code == 200


async def test_a_token_expired_beyond_the_leeway_is_refused() -> None:
    token = signed({"exp": in_seconds(-CLOCK_LEEWAY_SECONDS - 5)})

    assert refusal(await whoami(token)) == "the token has expired"


@pytest.mark.parametrize("claim", ["nbf", "iat"])
async def test_a_token_valid_from_within_the_leeway_is_accepted(claim: str) -> None:
    response = await whoami(signed({claim: in_seconds(10)}))

    assert response.status_code == 200


@pytest.mark.parametrize("claim", ["nbf", "iat"])
async def test_a_token_valid_only_later_is_refused(claim: str) -> None:
    token = signed({claim: in_seconds(10 * 60)})

    assert refusal(await whoami(token)) == (
        "the token is not valid yet: its nbf or iat claim lies ahead"
    )


# --- issuer and audience --------------------------------------------------------------------

ISSUER = "https://login.bapas.example/realms/bapas"
AUDIENCE = "bapas-platform"
CHECKED = AuthSettings(
    environment=Environment.TEST, jwt_secret=SECRET, jwt_issuer=ISSUER, jwt_audience=AUDIENCE
)


async def test_a_token_of_the_configured_issuer_and_audience_is_accepted() -> None:
    token = signed({"iss": ISSUER, "aud": [AUDIENCE, "account"]})

    response = await whoami(token, CHECKED)

    assert response.status_code == 200


async def test_issued_tokens_carry_the_configured_issuer_and_audience() -> None:
    token = issue_token(CHECKED, role=Role.MINISTRY, sub="m")

    response = await whoami(token, CHECKED)

    assert response.status_code == 200


def with_number_as_issuer() -> str:
    """PyJWT will not write a token whose ``iss`` is not a text; a client could."""
    claims = {**OFFICER_CLAIMS, "iss": 7, "aud": AUDIENCE, "exp": in_seconds(300)}
    return hand_signed(b'{"alg":"HS256","typ":"JWT"}', json.dumps(claims).encode())


OTHER_PARTIES: dict[str, tuple[Callable[[], str], str]] = {
    "no-iss": (lambda: signed({"aud": AUDIENCE}), "the token lacks the iss claim"),
    "other-iss": (
        lambda: signed({"iss": "https://evil.example", "aud": AUDIENCE}),
        "the token's iss claim is not the issuer this service trusts",
    ),
    "iss-not-text": (
        with_number_as_issuer,
        "the token's iss claim is not the issuer this service trusts",
    ),
    "no-aud": (lambda: signed({"iss": ISSUER}), "the token lacks the aud claim"),
    "other-aud": (
        lambda: signed({"iss": ISSUER, "aud": "another-platform"}),
        "the token's aud claim does not name this service's audience",
    ),
    "aud-object": (
        lambda: signed({"iss": ISSUER, "aud": {"name": AUDIENCE}}),
        "the token's aud claim does not name this service's audience",
    ),
}


@pytest.mark.parametrize(
    ("make_token", "expected"), OTHER_PARTIES.values(), ids=OTHER_PARTIES.keys()
)
async def test_a_token_of_another_issuer_or_audience_is_refused(
    make_token: Callable[[], str], expected: str
) -> None:
    detail = refusal(await whoami(make_token(), CHECKED))

    assert detail == expected


async def test_an_audience_is_ignored_when_none_is_configured() -> None:
    response = await whoami(signed({"aud": "whatever-the-provider-puts"}))

    assert response.status_code == 200


async def test_an_issuer_is_ignored_when_none_is_configured() -> None:
    response = await whoami(signed({"iss": "https://any.example"}))

    assert response.status_code == 200


# --- claims of every length, type and value -------------------------------------------------


async def test_a_sub_of_256_characters_is_accepted() -> None:
    response = await whoami(signed({"sub": "s" * 256}))

    assert response.json()["sub"] == "s" * 256


async def test_a_non_ascii_sub_is_accepted() -> None:
    response = await whoami(signed({"sub": "petugas.siti-ñ-日本"}))

    assert response.json()["sub"] == "petugas.siti-ñ-日本"


NESTED = b"[" * 5000 + b"]" * 5000
VALID_HEADER = b'{"alg":"HS256","typ":"JWT"}'


# Each odd token is made when its test runs (made at import, it could expire first).
ODD_TOKENS: dict[str, tuple[Callable[[], str], str]] = {
    "sub-257": (lambda: signed({"sub": "s" * 257}), "the token's sub claim is longer than 256"),
    "sub-huge": (lambda: signed({"sub": "x" * 8_000}), "the token's sub claim is longer than"),
    "sub-number": (lambda: signed({"sub": 12345}), "the token's sub claim must be a text"),
    "sub-list": (lambda: signed({"sub": ["pk-1"]}), "the token's sub claim must be a text"),
    "sub-nul": (lambda: signed({"sub": "pk\x00-1"}), "the token's sub claim holds a control"),
    "sub-surrogate": (lambda: signed({"sub": "pk-\ud800"}), "the token's sub claim holds a"),
    "sub-blank": (lambda: signed({"sub": "   "}), "the token's sub claim is blank"),
    "role-list": (lambda: signed({"role": ["bapas_officer"]}), "the token's role claim names no"),
    "role-number": (lambda: signed({"role": 3}), "the token's role claim names no role"),
    "role-huge": (lambda: signed({"role": "r" * 8_000}), "the token's role claim names no role"),
    "role-non-ascii": (lambda: signed({"role": "pétugas"}), "the token's role claim names no role"),
    "role-nul": (lambda: signed({"role": "ministry\x00"}), "the token's role claim names no role"),
    "bapas-unknown": (lambda: signed({"bapas": "atlantis"}), "the token's bapas claim names no"),
    "bapas-nul": (lambda: signed({"bapas": "balikpapan\x00"}), "the token's bapas claim names no"),
    "bapas-huge": (lambda: signed({"bapas": "b" * 8_000}), "the token's bapas claim names no"),
    "bapas-object": (
        lambda: signed({"bapas": {"code": "balikpapan"}}),
        "a bapas_officer token needs the claims bapas",
    ),
    "province-unknown": (
        lambda: signed({"role": "regional", "province": "atlantis"}),
        "the token's province claim names no province with a Bapas office",
    ),
    "province-object": (
        lambda: signed({"role": "regional", "province": {"code": "kalimantan-timur"}}),
        "a regional token needs the claims province",
    ),
    "province-huge": (
        lambda: signed({"role": "regional", "province": "kalimantan-timur" * 500}),
        "the token's province claim names no province",
    ),
    "pokmas-id-huge": (
        lambda: signed({"role": "pokmas_partner", "pokmas_id": "p" * 8_000}),
        "the token's pokmas_id claim is not a UUID",
    ),
    "pokmas-id-number": (
        lambda: signed({"role": "pokmas_partner", "pokmas_id": 7}),
        "a pokmas_partner token needs the claims bapas, pokmas_id",
    ),
    "exp-text": (lambda: signed({"exp": str(in_seconds(300))}), "the token's exp claim must be a"),
    "exp-list": (lambda: signed({"exp": [1]}), "the token's exp claim must be a number"),
    "exp-infinite": (lambda: signed({"exp": float("inf")}), "the token's exp claim must be a"),
    "exp-true": (lambda: signed({"exp": True}), "the token has expired"),
    "nbf-text": (lambda: signed({"nbf": "soon"}), "the token's nbf claim must be a number"),
    "iat-list": (lambda: signed({"iat": [1]}), "the token's iat claim must be a number"),
    "no-sub": (lambda: signed(without=("sub",)), "the token lacks the sub claim"),
    "no-exp": (lambda: signed(without=("exp",)), "the token lacks the exp claim"),
    "no-role": (lambda: signed(without=("role",)), "the token lacks the role claim"),
    "header-nested": (
        lambda: hand_signed(b'{"alg":"HS256","x":' + NESTED + b"}", b"{}"),
        "the token is malformed",
    ),
    "payload-nested": (
        lambda: hand_signed(VALID_HEADER, b'{"sub":' + NESTED + b"}"),
        "the token is malformed",
    ),
    "payload-list": (lambda: hand_signed(VALID_HEADER, b"[1, 2]"), "the token is malformed"),
    "payload-not-utf8": (lambda: hand_signed(VALID_HEADER, b"\xff\xfe"), "the token is malformed"),
    "too-long": (lambda: "x" * (MAX_TOKEN_LENGTH + 1), "the token is longer than 16384 characters"),
}


@pytest.mark.parametrize(("make_token", "named"), ODD_TOKENS.values(), ids=ODD_TOKENS.keys())
async def test_a_token_with_an_odd_claim_is_refused_naming_it(
    make_token: Callable[[], str], named: str
) -> None:
    detail = refusal(await whoami(make_token()))

    assert detail.startswith(named)


@pytest.mark.parametrize(
    ("sub", "bapas", "expected"),
    [
        ("s" * 257, "balikpapan", "sub is longer than 256 characters"),
        ("pk\x00", "balikpapan", "sub holds a control character"),
        ("pk", "atlantis", "bapas claim names no Bapas office"),
    ],
)
def test_issuing_a_token_the_verifier_would_refuse_is_refused(
    sub: str, bapas: str, expected: str
) -> None:
    with pytest.raises(ValueError, match=expected):
        issue_token(SETTINGS, role=Role.BAPAS_OFFICER, sub=sub, bapas=bapas)


def test_issuing_a_token_for_a_province_without_an_office_is_refused() -> None:
    with pytest.raises(ValueError, match="province claim names no province"):
        issue_token(SETTINGS, role=Role.REGIONAL, sub="r", province="atlantis")


def test_a_verified_token_is_cached_and_a_refused_one_is_not() -> None:
    verifier = TokenVerifier(SETTINGS)
    good = signed()
    bad = signed({"bapas": "atlantis"})

    first, second = verifier.principal_from(good), verifier.principal_from(good)
    for _ in range(2):
        with pytest.raises(Unauthorized, match="bapas claim"):
            verifier.principal_from(bad)

    assert first is second


# --- against the pokmas service: nothing written, a long sub recorded whole -----------------


@dataclass
class Pokmas:
    client: httpx.AsyncClient
    runtime: ServiceRuntime

    async def event_count(self) -> int:
        async with self.runtime.pool.acquire() as connection:
            count: int = await connection.fetchval("SELECT count(*) FROM events")
            return count

    async def actor_of(self, aggregate_id: UUID) -> dict[str, str]:
        async with self.runtime.pool.acquire() as connection:
            envelope = await connection.fetchval(
                "SELECT envelope FROM events WHERE aggregate_id = $1", aggregate_id
            )
        actor: dict[str, str] = json.loads(envelope)["actor"]
        return actor


@pytest.fixture(scope="module")
async def pokmas(infra: Infrastructure) -> AsyncIterator[Pokmas]:
    apps: list[FastAPI] = []

    def create_and_keep() -> FastAPI:
        app = create_pokmas_app()
        apps.append(app)
        return app

    async with (
        fresh_database(infra.database_admin_url, prefix="tokens") as url,
        running_service(
            create_and_keep,
            service="pokmas",
            database_url=url,
            kafka_bootstrap=infra.kafka_bootstrap_servers,
        ) as client,
    ):
        yield Pokmas(client, apps[0].state.runtime)


def development_signed(changes: dict[str, object] | None = None) -> str:
    return signed(changes, key=DEVELOPMENT_JWT_SECRET)


BAD_COMMAND_TOKENS: dict[str, tuple[Callable[[], dict[str, object]], str]] = {
    "30000-years": (lambda: {"exp": in_seconds(30_000 * 366 * 24 * HOUR)}, "exp claim lies more"),
    "sub-257": (lambda: {"sub": "s" * 257}, "sub claim is longer than 256"),
    "sub-nul": (lambda: {"sub": "pk\x00"}, "sub claim holds a control character"),
    "sub-number": (lambda: {"sub": 42}, "sub claim must be a text"),
    "bapas-unknown": (lambda: {"bapas": "atlantis"}, "bapas claim names no Bapas office"),
    "role-list": (lambda: {"role": ["bapas_officer"]}, "role claim names no role"),
    "expired": (lambda: {"exp": in_seconds(-CLOCK_LEEWAY_SECONDS - 5)}, "the token has expired"),
    "not-yet-valid": (lambda: {"nbf": in_seconds(600)}, "the token is not valid yet"),
}


@pytest.mark.parametrize(
    ("changes", "named"), BAD_COMMAND_TOKENS.values(), ids=BAD_COMMAND_TOKENS.keys()
)
async def test_a_command_with_a_bad_token_answers_401_and_writes_nothing(
    pokmas: Pokmas, changes: Callable[[], dict[str, object]], named: str
) -> None:
    before = await pokmas.event_count()

    response = await pokmas.client.post(
        "/api/v1/pokmas", json=pokmas_body(), headers=bearer(development_signed(changes()))
    )

    assert named in refusal(response)
    assert await pokmas.event_count() == before


@pytest.mark.parametrize("sub", ["s" * 201, "s" * 256, "petugas.siti-ñ-日本"])
async def test_a_command_records_a_long_or_non_ascii_sub_whole(pokmas: Pokmas, sub: str) -> None:
    response = await pokmas.client.post(
        "/api/v1/pokmas", json=pokmas_body(), headers=bearer(development_signed({"sub": sub}))
    )

    assert response.status_code == 201, response.text
    actor = await pokmas.actor_of(UUID(response.json()["id"]))
    assert actor == {"role": "bapas_officer", "sub": sub}
