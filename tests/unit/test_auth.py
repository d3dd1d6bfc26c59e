"""Bearer tokens and the scope table of the API contract: who may read and write what."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Annotated
from uuid import UUID

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import Depends, FastAPI

from shared.http import (
    Caller,
    ListScope,
    NotFound,
    Principal,
    Role,
    TokenVerifier,
    Unauthorized,
    create_service_app,
    issue_token,
    require_roles,
)
from shared.http.auth import CLOCK_LEEWAY_SECONDS
from shared.settings import AuthSettings, Environment, JwtAlgorithm

SECRET = "a-test-secret-that-is-longer-than-32-bytes"
SETTINGS = AuthSettings(environment=Environment.TEST, jwt_secret=SECRET)
PROVINCES = {
    "balikpapan": "kalimantan-timur",
    "samarinda": "kalimantan-timur",
    "surabaya": "jawa-timur",
}
OWN_POKMAS = UUID("00000000-0000-4000-8000-000000000001")
OTHER_POKMAS = UUID("00000000-0000-4000-8000-000000000002")
# pokmas_id -> the Bapas it partners with, standing in for a service's projection.
POKMAS_BAPAS = {OWN_POKMAS: "balikpapan", OTHER_POKMAS: "surabaya"}


def build_app(settings: AuthSettings = SETTINGS) -> FastAPI:
    app = create_service_app(
        title="auth test",
        version="0",
        auth=settings,
        bapas_provinces=PROVINCES,
        readiness_checks={},
    )

    @app.get("/whoami")
    async def whoami(caller: Caller) -> dict[str, str]:
        return {"sub": caller.sub, "role": caller.role.value}

    @app.get("/pokmas/{pokmas_id}")
    async def read_pokmas(pokmas_id: UUID, caller: Caller) -> dict[str, str]:
        not_found = f"pokmas {pokmas_id} not found"
        bapas_code = POKMAS_BAPAS.get(pokmas_id)
        if bapas_code is None:
            raise NotFound(not_found)
        caller.require_read(bapas_code, pokmas_id=pokmas_id, detail=not_found)
        return {"bapas_code": bapas_code}

    @app.post("/pokmas/{pokmas_id}/mous")
    async def sign_mou(pokmas_id: UUID, caller: Caller) -> dict[str, str]:
        caller.require_write(POKMAS_BAPAS[pokmas_id])
        return {"signed": "yes"}

    @app.post("/subscriptions")
    async def subscribe(
        caller: Annotated[Principal, Depends(require_roles(Role.MINISTRY, Role.SERVICE))],
    ) -> dict[str, str]:
        return {"by": caller.sub}

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def officer_token(bapas: str = "balikpapan", ttl: timedelta = timedelta(minutes=5)) -> str:
    return issue_token(SETTINGS, role=Role.BAPAS_OFFICER, sub="pk-1", bapas=bapas, ttl=ttl)


def partner_token() -> str:
    return issue_token(
        SETTINGS,
        role=Role.POKMAS_PARTNER,
        sub="partner-1",
        bapas="balikpapan",
        pokmas_id=OWN_POKMAS,
    )


def raw_token(claims: dict[str, object], key: str = SECRET) -> str:
    return jwt.encode({"exp": int(time.time()) + 300, **claims}, key, algorithm="HS256")


# --- tokens ---------------------------------------------------------------------------


async def test_valid_token_gives_the_caller_to_the_route(client: httpx.AsyncClient) -> None:
    response = await client.get("/whoami", headers=bearer(officer_token()))

    assert response.status_code == 200
    assert response.json() == {"sub": "pk-1", "role": "bapas_officer"}


async def test_missing_token_is_401_with_bearer_challenge(client: httpx.AsyncClient) -> None:
    response = await client.get("/whoami")

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 401


async def test_other_authorization_scheme_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/whoami", headers={"Authorization": "Basic dXNlcjpwYXNz"})

    assert response.status_code == 401


@pytest.mark.parametrize("token", ["not-a-jwt", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30"])
async def test_malformed_token_is_401(client: httpx.AsyncClient, token: str) -> None:
    response = await client.get("/whoami", headers=bearer(token))

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_expired_token_is_401(client: httpx.AsyncClient) -> None:
    token = officer_token(ttl=-timedelta(seconds=CLOCK_LEEWAY_SECONDS + 1))

    response = await client.get("/whoami", headers=bearer(token))

    assert response.status_code == 401
    assert response.json()["detail"] == "the token has expired"


async def test_token_signed_with_another_secret_is_401(client: httpx.AsyncClient) -> None:
    token = raw_token(
        {"sub": "x", "role": "ministry"}, key="another-secret-that-is-longer-than-32-bytes"
    )

    response = await client.get("/whoami", headers=bearer(token))

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


async def test_unsigned_token_is_401(client: httpx.AsyncClient) -> None:
    token = jwt.encode(
        {"sub": "x", "role": "ministry", "exp": int(time.time()) + 300}, "", algorithm="none"
    )

    response = await client.get("/whoami", headers=bearer(token))

    assert response.status_code == 401


async def test_token_without_role_claim_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/whoami", headers=bearer(raw_token({"sub": "x"})))

    assert response.status_code == 401


async def test_token_without_expiry_is_401(client: httpx.AsyncClient) -> None:
    token = jwt.encode({"sub": "x", "role": "ministry"}, SECRET, algorithm="HS256")

    response = await client.get("/whoami", headers=bearer(token))

    assert response.status_code == 401


@pytest.mark.parametrize("role", ["admin", "", 7, ["ministry"]])
async def test_token_with_unknown_role_is_401(client: httpx.AsyncClient, role: object) -> None:
    response = await client.get("/whoami", headers=bearer(raw_token({"sub": "x", "role": role})))

    assert response.status_code == 401


@pytest.mark.parametrize(
    "claims",
    [
        {"role": "regional"},
        {"role": "bapas_officer"},
        {"role": "pokmas_partner", "bapas": "balikpapan"},
        {"role": "pokmas_partner", "bapas": "balikpapan", "pokmas_id": "not-a-uuid"},
    ],
)
async def test_token_lacking_its_roles_claims_is_401(
    client: httpx.AsyncClient, claims: dict[str, object]
) -> None:
    response = await client.get("/whoami", headers=bearer(raw_token({"sub": "x", **claims})))

    assert response.status_code == 401


def test_verified_token_is_refused_once_it_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    verifier = TokenVerifier(SETTINGS)
    token = officer_token(ttl=timedelta(minutes=5))
    verifier.principal_from(token)
    ten_minutes_later = time.time() + 600
    monkeypatch.setattr(time, "time", lambda: ten_minutes_later)

    with pytest.raises(Unauthorized, match="expired"):
        verifier.principal_from(token)


def test_issue_token_refuses_claims_the_role_does_not_carry() -> None:
    with pytest.raises(ValueError, match="needs exactly the claims"):
        issue_token(SETTINGS, role=Role.MINISTRY, sub="m", bapas="balikpapan")


# --- RS256 ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rsa_pem_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def rs256_settings(public_pem: str) -> AuthSettings:
    return AuthSettings(
        environment=Environment.TEST, jwt_algorithm=JwtAlgorithm.RS256, jwt_public_key=public_pem
    )


def test_rs256_token_is_verified_with_the_public_key(rsa_pem_pair: tuple[str, str]) -> None:
    private, public = rsa_pem_pair
    settings = rs256_settings(public)
    token = issue_token(settings, role=Role.MINISTRY, sub="m", private_key=private)

    principal = TokenVerifier(settings).principal_from(token)

    assert principal.role is Role.MINISTRY


def test_rs256_refuses_an_hs256_token(rsa_pem_pair: tuple[str, str]) -> None:
    _, public = rsa_pem_pair
    token = raw_token({"sub": "m", "role": "ministry"})

    with pytest.raises(Unauthorized):
        TokenVerifier(rs256_settings(public)).principal_from(token)


def test_rs256_refuses_a_token_signed_with_another_key(rsa_pem_pair: tuple[str, str]) -> None:
    _, public = rsa_pem_pair
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(
        {"sub": "m", "role": "ministry", "exp": int(time.time()) + 300}, other, algorithm="RS256"
    )

    with pytest.raises(Unauthorized):
        TokenVerifier(rs256_settings(public)).principal_from(token)


def test_issuing_an_rs256_token_needs_the_private_key(rsa_pem_pair: tuple[str, str]) -> None:
    with pytest.raises(ValueError, match="private key"):
        issue_token(rs256_settings(rsa_pem_pair[1]), role=Role.MINISTRY, sub="m")


# --- scope over HTTP --------------------------------------------------------------------


async def test_read_outside_scope_answers_404_like_an_unknown_id(
    client: httpx.AsyncClient,
) -> None:
    unknown = UUID("00000000-0000-4000-8000-0000000000ff")
    headers = bearer(partner_token())

    outside = await client.get(f"/pokmas/{OTHER_POKMAS}", headers=headers)
    missing = await client.get(f"/pokmas/{unknown}", headers=headers)

    assert outside.status_code == missing.status_code == 404
    assert outside.json()["detail"] == f"pokmas {OTHER_POKMAS} not found"


async def test_read_inside_scope_answers_200(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/pokmas/{OWN_POKMAS}", headers=bearer(partner_token()))

    assert response.status_code == 200


async def test_write_outside_scope_answers_403(client: httpx.AsyncClient) -> None:
    response = await client.post(f"/pokmas/{OTHER_POKMAS}/mous", headers=bearer(officer_token()))

    assert response.status_code == 403
    assert response.headers["Content-Type"] == "application/problem+json"


async def test_write_inside_scope_answers_200(client: httpx.AsyncClient) -> None:
    response = await client.post(f"/pokmas/{OWN_POKMAS}/mous", headers=bearer(officer_token()))

    assert response.status_code == 200


async def test_role_outside_require_roles_answers_403(client: httpx.AsyncClient) -> None:
    response = await client.post("/subscriptions", headers=bearer(officer_token()))

    assert response.status_code == 403


async def test_role_inside_require_roles_answers_200(client: httpx.AsyncClient) -> None:
    token = issue_token(SETTINGS, role=Role.SERVICE, sub="notifications")

    response = await client.post("/subscriptions", headers=bearer(token))

    assert response.status_code == 200


# --- the scope table --------------------------------------------------------------------

MINISTRY = Principal(role=Role.MINISTRY, sub="m")
SERVICE = Principal(role=Role.SERVICE, sub="s")
REGIONAL = Principal(
    role=Role.REGIONAL, sub="r", province="kalimantan-timur", bapas_provinces=PROVINCES
)
OFFICER = Principal(role=Role.BAPAS_OFFICER, sub="pk", bapas="balikpapan")
PARTNER = Principal(role=Role.POKMAS_PARTNER, sub="p", bapas="balikpapan", pokmas_id=OWN_POKMAS)


@pytest.mark.parametrize("caller", [MINISTRY, SERVICE])
def test_ministry_and_service_read_every_bapas(caller: Principal) -> None:
    assert caller.can_read("surabaya")
    assert caller.can_read("balikpapan", pokmas_id=OWN_POKMAS)


@pytest.mark.parametrize("caller", [MINISTRY, SERVICE, REGIONAL])
def test_ministry_service_and_regional_write_nothing(caller: Principal) -> None:
    assert not caller.can_write("balikpapan")
    assert not caller.can_write("balikpapan", partner_of=OWN_POKMAS)


@pytest.mark.parametrize("caller", [MINISTRY, SERVICE, REGIONAL, PARTNER])
def test_only_officers_see_client_profiles(caller: Principal) -> None:
    assert not caller.can_see_client_profile("balikpapan")


def test_regional_reads_every_bapas_of_its_province() -> None:
    assert REGIONAL.can_read("balikpapan")
    assert REGIONAL.can_read("samarinda", pokmas_id=OTHER_POKMAS)


def test_regional_reads_nothing_of_another_province() -> None:
    assert not REGIONAL.can_read("surabaya")


def test_officer_reads_and_writes_everything_of_its_bapas() -> None:
    assert OFFICER.can_read("balikpapan")
    assert OFFICER.can_read("balikpapan", pokmas_id=OTHER_POKMAS)
    assert OFFICER.can_write("balikpapan")
    assert OFFICER.can_write("balikpapan", partner_of=OWN_POKMAS)


def test_officer_reads_and_writes_nothing_of_another_bapas() -> None:
    assert not OFFICER.can_read("samarinda")
    assert not OFFICER.can_write("samarinda")


def test_officer_sees_client_profiles_of_its_bapas_only() -> None:
    assert OFFICER.can_see_client_profile("balikpapan")
    assert not OFFICER.can_see_client_profile("samarinda")


def test_partner_reads_the_items_of_its_own_pokmas() -> None:
    assert PARTNER.can_read("balikpapan", pokmas_id=OWN_POKMAS)


def test_partner_reads_nothing_of_another_pokmas() -> None:
    assert not PARTNER.can_read("balikpapan", pokmas_id=OTHER_POKMAS)


def test_partner_reads_no_bapas_item_outside_a_pokmas() -> None:
    assert not PARTNER.can_read("balikpapan")


def test_partner_makes_the_partner_writes_of_its_own_pokmas() -> None:
    assert PARTNER.can_write("balikpapan", partner_of=OWN_POKMAS)
    assert not PARTNER.can_write("balikpapan", partner_of=OTHER_POKMAS)


def test_partner_makes_no_officer_only_write() -> None:
    assert not PARTNER.can_write("balikpapan")


def test_partner_acts_for_its_own_pokmas_only() -> None:
    assert PARTNER.acts_for_pokmas(OWN_POKMAS)
    assert not PARTNER.acts_for_pokmas(OTHER_POKMAS)
    assert not OFFICER.acts_for_pokmas(OWN_POKMAS)


@pytest.mark.parametrize(
    ("caller", "expected"),
    [
        (MINISTRY, ListScope()),
        (SERVICE, ListScope()),
        (REGIONAL, ListScope(frozenset({"balikpapan", "samarinda"}))),
        (OFFICER, ListScope(frozenset({"balikpapan"}))),
        (PARTNER, ListScope(frozenset({"balikpapan"}), OWN_POKMAS)),
    ],
)
def test_list_scope_of_each_role(caller: Principal, expected: ListScope) -> None:
    assert caller.list_scope() == expected


def test_list_filter_inside_the_scope_narrows_it() -> None:
    narrowed = REGIONAL.list_scope().narrowed(bapas_code="samarinda")

    assert narrowed == ListScope(frozenset({"samarinda"}))


def test_list_filter_outside_the_scope_empties_it() -> None:
    assert REGIONAL.list_scope().narrowed(bapas_code="surabaya").is_empty
    assert PARTNER.list_scope().narrowed(pokmas_id=OTHER_POKMAS).is_empty


def test_list_filter_on_an_unlimited_scope_limits_it() -> None:
    narrowed = MINISTRY.list_scope().narrowed(bapas_code="surabaya", pokmas_id=OTHER_POKMAS)

    assert narrowed == ListScope(frozenset({"surabaya"}), OTHER_POKMAS)
