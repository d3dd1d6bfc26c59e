"""RS256 tokens verified with the keys an identity provider publishes at a JWKS URL.

A small JWKS server runs on 127.0.0.1 in a thread of the test, serving keys generated
here with ``cryptography``; a test changes what it publishes (a rotation, a withdrawn
key, an error, a slow answer) and counts the fetches. The verifier's clock, which
paces the fetches, is the test's own, so no test waits for an interval to pass.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI

from shared.http import Caller, Role, TokenVerifier, Unauthorized, create_service_app, issue_token
from shared.http.jwks import JWKS_MAX_BYTES, JwksUnavailable, signing_keys_of
from shared.settings import AuthSettings, Environment, JwtAlgorithm

REFETCH_SECONDS = 30.0
CACHE_SECONDS = 300.0
UNKNOWN_KEY = "the token's key id (kid) is not among the keys of the identity provider"


@dataclass
class SigningKey:
    """One of the identity provider's keys: its id, its private PEM, its JWK."""

    key_id: str
    private: rsa.RSAPrivateKey

    @property
    def private_pem(self) -> str:
        return self.private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()

    def jwk(self, **changes: Any) -> dict[str, Any]:
        published: dict[str, Any] = jwt.algorithms.RSAAlgorithm.to_jwk(
            self.private.public_key(), as_dict=True
        )
        return {**published, "kid": self.key_id, "use": "sig", "alg": "RS256", **changes}


def new_key(key_id: str, bits: int = 2048) -> SigningKey:
    return SigningKey(key_id, rsa.generate_private_key(public_exponent=65537, key_size=bits))


@pytest.fixture(scope="module")
def keys() -> dict[str, SigningKey]:
    return {key_id: new_key(key_id) for key_id in ("key-a", "key-b", "key-c")}


@dataclass
class JwksState:
    """What the server publishes and what it has seen; shared with its handler thread."""

    document: bytes = b'{"keys": []}'
    status: int = 200
    fetches: int = 0
    received: threading.Event = field(default_factory=threading.Event)
    hold: threading.Event | None = None

    def publish(self, *jwks: dict[str, Any]) -> None:
        self.document = json.dumps({"keys": list(jwks)}).encode()


class JwksHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        assert isinstance(self.server, JwksHttpServer)
        state = self.server.jwks
        state.fetches += 1
        state.received.set()
        if state.hold is not None:
            state.hold.wait(timeout=30)
        self.send_response(state.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(state.document)))
        self.end_headers()
        self.wfile.write(state.document)

    def log_message(self, format: str, *args: Any) -> None:
        return None


class JwksHttpServer(ThreadingHTTPServer):
    """The identity provider's key endpoint, on a free port of the loopback."""

    daemon_threads = True

    def __init__(self, state: JwksState) -> None:
        super().__init__(("127.0.0.1", 0), JwksHandler)
        self.jwks = state


@dataclass
class JwksServer:
    url: str
    state: JwksState


@pytest.fixture
def jwks_server() -> Iterator[JwksServer]:
    state = JwksState()
    server = JwksHttpServer(state)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield JwksServer(f"http://{host!s}:{port}/.well-known/jwks.json", state)
    finally:
        if state.hold is not None:
            state.hold.set()
        server.shutdown()
        server.server_close()


class ManualClock:
    """Monotonic seconds that pass only when the test says so."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def ministry_claims(sub: str = "x") -> dict[str, object]:
    return {"sub": sub, "role": "ministry", "exp": int(time.time()) + 300}


def jwks_settings(url: str, **changes: Any) -> AuthSettings:
    return AuthSettings(
        environment=Environment.TEST,
        jwt_algorithm=JwtAlgorithm.RS256,
        jwt_jwks_url=url,
        jwt_jwks_refetch_seconds=REFETCH_SECONDS,
        jwt_jwks_cache_seconds=CACHE_SECONDS,
        **changes,
    )


MINTING = AuthSettings(
    environment=Environment.TEST,
    jwt_algorithm=JwtAlgorithm.RS256,
    jwt_jwks_url="http://127.0.0.1/minting-needs-no-keys",
)


def token_of(key: SigningKey, sub: str = "pk-1", *, key_id: str | None = None) -> str:
    """An officer's token signed with ``key`` and naming it (or ``key_id``) as its kid."""
    return issue_token(
        MINTING,
        role=Role.BAPAS_OFFICER,
        sub=sub,
        bapas="balikpapan",
        private_key=key.private_pem,
        key_id=key.key_id if key_id is None else key_id,
    )


def app_with(verifier: TokenVerifier, settings: AuthSettings) -> FastAPI:
    app = create_service_app(
        title="jwks test",
        version="0",
        auth=settings,
        bapas_provinces={"balikpapan": "kalimantan-timur"},
        readiness_checks={},
    )
    app.state.token_verifier = verifier  # the one whose clock the test holds

    @app.get("/whoami")
    async def whoami(caller: Caller) -> dict[str, str]:
        return {"sub": caller.sub}

    return app


@dataclass
class Endpoint:
    """A small app verifying with the JWKS server, and the clock of its verifier."""

    client: httpx.AsyncClient
    clock: ManualClock
    state: JwksState

    async def whoami(self, token: str) -> httpx.Response:
        return await self.client.get("/whoami", headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
async def endpoint(jwks_server: JwksServer) -> AsyncIterator[Endpoint]:
    settings = jwks_settings(jwks_server.url)
    clock = ManualClock()
    app = app_with(TokenVerifier(settings, clock=clock), settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield Endpoint(client, clock, jwks_server.state)


def detail_of(response: httpx.Response) -> str:
    assert response.status_code == 401, response.text
    detail: str = response.json()["detail"]
    return detail


# --- through an endpoint ------------------------------------------------------------------


async def test_a_token_signed_with_a_published_key_is_accepted(
    endpoint: Endpoint, keys: dict[str, SigningKey]
) -> None:
    endpoint.state.publish(keys["key-a"].jwk(), keys["key-b"].jwk())

    first = await endpoint.whoami(token_of(keys["key-a"], "first"))
    second = await endpoint.whoami(token_of(keys["key-b"], "second"))

    assert (first.json(), second.json()) == ({"sub": "first"}, {"sub": "second"})
    assert endpoint.state.fetches == 1


async def test_a_rotation_to_a_new_key_is_followed_with_one_fetch(
    endpoint: Endpoint, keys: dict[str, SigningKey]
) -> None:
    endpoint.state.publish(keys["key-a"].jwk())
    assert (await endpoint.whoami(token_of(keys["key-a"]))).status_code == 200
    endpoint.state.publish(keys["key-a"].jwk(), keys["key-b"].jwk())
    endpoint.clock.advance(REFETCH_SECONDS)

    response = await endpoint.whoami(token_of(keys["key-b"], "after-rotation"))

    assert response.json() == {"sub": "after-rotation"}
    assert endpoint.state.fetches == 2


async def test_unknown_key_ids_make_one_fetch_per_interval_however_many_arrive(
    endpoint: Endpoint, keys: dict[str, SigningKey]
) -> None:
    endpoint.state.publish(keys["key-a"].jwk())
    assert (await endpoint.whoami(token_of(keys["key-a"]))).status_code == 200
    endpoint.clock.advance(REFETCH_SECONDS)
    forged = [
        jwt.encode(
            ministry_claims(f"forger-{n}"),
            keys["key-c"].private,
            algorithm="RS256",
            headers={"kid": f"kid-{n}"},
        )
        for n in range(20)
    ]

    answers = await asyncio.gather(*(endpoint.whoami(token) for token in forged))
    again = await endpoint.whoami(forged[0])

    assert {detail_of(answer) for answer in [*answers, again]} == {UNKNOWN_KEY}
    assert endpoint.state.fetches == 2


async def test_a_new_key_within_the_interval_waits_for_the_next_fetch(
    endpoint: Endpoint, keys: dict[str, SigningKey]
) -> None:
    endpoint.state.publish(keys["key-a"].jwk())
    assert (await endpoint.whoami(token_of(keys["key-a"]))).status_code == 200
    endpoint.state.publish(keys["key-a"].jwk(), keys["key-b"].jwk())
    token = token_of(keys["key-b"])

    too_soon = await endpoint.whoami(token)
    endpoint.clock.advance(REFETCH_SECONDS)
    later = await endpoint.whoami(token)

    assert detail_of(too_soon) == UNKNOWN_KEY
    assert later.status_code == 200
    assert endpoint.state.fetches == 2


async def test_a_withdrawn_key_is_trusted_no_longer(
    endpoint: Endpoint, keys: dict[str, SigningKey]
) -> None:
    endpoint.state.publish(keys["key-a"].jwk())
    old_token = token_of(keys["key-a"])
    assert (await endpoint.whoami(old_token)).status_code == 200  # now a cached success
    endpoint.state.publish(keys["key-b"].jwk())
    endpoint.clock.advance(REFETCH_SECONDS)
    assert (await endpoint.whoami(token_of(keys["key-b"]))).status_code == 200

    response = await endpoint.whoami(old_token)

    assert detail_of(response) == UNKNOWN_KEY


async def test_a_stale_key_set_is_fetched_again_in_the_background(
    endpoint: Endpoint, keys: dict[str, SigningKey]
) -> None:
    endpoint.state.publish(keys["key-a"].jwk())
    assert (await endpoint.whoami(token_of(keys["key-a"], "one"))).status_code == 200
    endpoint.clock.advance(CACHE_SECONDS)

    response = await endpoint.whoami(token_of(keys["key-a"], "two"))
    for _ in range(1000):  # the background fetch runs on this loop
        if endpoint.state.fetches == 2:
            break
        await asyncio.sleep(0.01)

    assert response.status_code == 200
    assert endpoint.state.fetches == 2


async def test_a_failing_jwks_keeps_the_keys_held(
    endpoint: Endpoint, keys: dict[str, SigningKey]
) -> None:
    endpoint.state.publish(keys["key-a"].jwk())
    assert (await endpoint.whoami(token_of(keys["key-a"], "before"))).status_code == 200
    endpoint.state.status = 503
    endpoint.clock.advance(CACHE_SECONDS)
    await endpoint.whoami(token_of(keys["key-c"], key_id="unknown"))  # makes the failing fetch

    response = await endpoint.whoami(token_of(keys["key-a"], "during-the-outage"))

    assert endpoint.state.fetches == 2
    assert response.json() == {"sub": "during-the-outage"}


def without_a_key_id(key: SigningKey) -> str:
    return jwt.encode(ministry_claims(), key.private, algorithm="RS256")


def hs256_with_the_public_key(key: SigningKey) -> str:
    """The algorithm-confusion attack: the published public key used as an HMAC secret."""
    public_pem = key.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = json.dumps({"alg": "HS256", "typ": "JWT", "kid": key.key_id}).encode()
    signing_input = b".".join(
        _base64url(part) for part in (header, json.dumps(ministry_claims()).encode())
    )
    signature = hmac.new(public_pem, signing_input, hashlib.sha256).digest()
    return (signing_input + b"." + _base64url(signature)).decode()


def unsigned(key: SigningKey) -> str:
    return jwt.encode(ministry_claims(), "", algorithm="none", headers={"kid": key.key_id})


def _base64url(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


@pytest.mark.parametrize(
    ("make_token", "expected"),
    [
        (without_a_key_id, "the token's header names no key id (kid)"),
        (hs256_with_the_public_key, "the token is invalid: The specified alg value is not allowed"),
        (unsigned, "the token is invalid: The specified alg value is not allowed"),
    ],
    ids=["no-kid", "hs256-with-the-public-key", "unsigned"],
)
async def test_tokens_naming_no_key_or_another_algorithm_are_refused(
    endpoint: Endpoint,
    keys: dict[str, SigningKey],
    make_token: Callable[[SigningKey], str],
    expected: str,
) -> None:
    endpoint.state.publish(keys["key-a"].jwk())

    response = await endpoint.whoami(make_token(keys["key-a"]))

    assert detail_of(response) == expected


async def test_the_keys_are_fetched_when_the_service_starts(
    jwks_server: JwksServer, keys: dict[str, SigningKey]
) -> None:
    jwks_server.state.publish(keys["key-a"].jwk())
    settings = jwks_settings(jwks_server.url)
    app = create_service_app(
        title="jwks start", version="0", auth=settings, bapas_provinces={}, readiness_checks={}
    )

    async with app.router.lifespan_context(app):
        fetched_at_start = jwks_server.state.fetches
        principal = await app.state.token_verifier.verified_principal(token_of(keys["key-a"]))

    assert (fetched_at_start, jwks_server.state.fetches) == (1, 1)
    assert principal.role is Role.BAPAS_OFFICER


# --- the fetch ----------------------------------------------------------------------------


async def test_a_fetch_leaves_the_event_loop_free(
    jwks_server: JwksServer, keys: dict[str, SigningKey]
) -> None:
    jwks_server.state.publish(keys["key-a"].jwk())
    jwks_server.state.hold = threading.Event()
    verifier = TokenVerifier(jwks_settings(jwks_server.url), clock=ManualClock())

    verifying = asyncio.create_task(verifier.verified_principal(token_of(keys["key-a"])))
    turns = 0
    while not jwks_server.state.received.is_set() and turns < 3000:
        await asyncio.sleep(0.01)  # runs only if the fetch does not hold the loop
        turns += 1
    pending_while_the_server_holds = not verifying.done()
    jwks_server.state.hold.set()
    principal = await verifying

    assert jwks_server.state.received.is_set()
    assert pending_while_the_server_holds
    assert principal.sub == "pk-1"


async def test_a_fetch_beyond_its_deadline_refuses_the_token(
    jwks_server: JwksServer, keys: dict[str, SigningKey]
) -> None:
    jwks_server.state.publish(keys["key-a"].jwk())
    jwks_server.state.hold = threading.Event()  # never answers within the deadline
    settings = jwks_settings(jwks_server.url, jwt_jwks_timeout_seconds=0.2)
    verifier = TokenVerifier(settings, clock=ManualClock())

    with pytest.raises(Unauthorized, match=r"kid\) is not among"):
        await verifier.verified_principal(token_of(keys["key-a"]))


async def test_an_answer_over_the_size_cap_is_not_used(
    jwks_server: JwksServer, keys: dict[str, SigningKey]
) -> None:
    document = {"keys": [keys["key-a"].jwk()], "padding": "x" * (JWKS_MAX_BYTES + 1)}
    jwks_server.state.document = json.dumps(document).encode()
    verifier = TokenVerifier(jwks_settings(jwks_server.url), clock=ManualClock())

    with pytest.raises(Unauthorized, match=r"kid\) is not among"):
        await verifier.verified_principal(token_of(keys["key-a"]))


# --- what a published key set may hold ----------------------------------------------------


def test_only_rs256_signing_public_keys_of_2048_bits_with_an_id_are_used(
    keys: dict[str, SigningKey],
) -> None:
    private_jwk: dict[str, Any] = json.loads(
        jwt.algorithms.RSAAlgorithm.to_jwk(keys["key-c"].private)
    )
    document = {
        "keys": [
            keys["key-a"].jwk(),
            keys["key-b"].jwk(use="enc"),
            keys["key-b"].jwk(kid="rs512", alg="RS512"),
            keys["key-b"].jwk(kid=""),
            {**keys["key-b"].jwk(), "kid": 7},
            {**private_jwk, "kid": "private", "use": "sig"},
            new_key("short", bits=1024).jwk(),
            {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
            {"kty": "RSA", "kid": "broken", "n": "AQAB", "e": "!!"},
            "not-a-key",
        ]
    }

    found = signing_keys_of(json.dumps(document).encode())

    assert set(found) == {"key-a"}


@pytest.mark.parametrize(
    "document",
    [b"not json", b"[]", b'{"keys": "all"}', b'{"keys": []}', b"[" * 100_000],
    ids=["not-json", "a-list", "keys-not-a-list", "no-key", "nested"],
)
def test_a_key_set_without_a_usable_key_is_unavailable(document: bytes) -> None:
    with pytest.raises(JwksUnavailable):
        signing_keys_of(document)
