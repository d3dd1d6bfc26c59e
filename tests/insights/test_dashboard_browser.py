"""The dashboard in a real browser: what it shows is what the API says, and it moves.

The dashboard's definition asks for a page tested in a real headless Chromium (Debian's
``chromium`` and ``chromium-driver``, never a browser or driver something downloads),
with host resolution pinned to the loopback so that the test also proves the page
loads nothing from outside. The insights service runs here as it runs in production:
a uvicorn process on a free loopback port, reading two private topics into a fresh
database. The test publishes a small history, signs in through the development link,
reads every number the page carries (``data-figure``/``data-value``) and compares it
with ``GET /api/v1/figures``; then it publishes one more release and watches the page
change without a reload.

Chromium is driven by its ``chromedriver`` over the W3C WebDriver protocol, spoken
with httpx: the protocol is a handful of JSON calls, and no client library (nor its
driver manager, which would download things) is needed.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID, uuid4

import httpx
import jwt
import pytest

from services.insights.dashboard import SESSION_COOKIE
from shared.events.employment import (
    ClientPlaced,
    EmployerPledged,
    PlacementChecked,
    PlacementEnded,
    PlacementEndReason,
    PlacementKind,
    RetentionMilestone,
    VacancyPosted,
)
from shared.events.enrolment import (
    Assessment,
    ClientEmployed,
    ClientEnrolled,
    ClientReleased,
    ClientReoffended,
    EmploymentKind,
    IntegrationType,
    PkOfficer,
    ReportChannel,
    ReportMissed,
    ReportRecorded,
    ReportStatus,
    RevocationRecommended,
    TrainingCompleted,
    TrainingWithdrawn,
    WithdrawalReason,
)
from shared.events.envelope import Actor, Envelope, EventPayload, new_envelope
from shared.events.pokmas import Contact, MoUSigned, PokmasKind, PokmasRegistered, ProgrammeOpened
from shared.http import Role, issue_token
from shared.settings import AuthSettings
from shared.stack.services import ServiceProcess
from tests.insights.conftest import InsightsTopics, publish, wait_until_counted
from tests.support.databases import fresh_database
from tests.support.infrastructure import Infrastructure
from tests.support.ports import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_ARGUMENTS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-dev-shm-usage",
    # Every host name fails to resolve: only the service on 127.0.0.1 can answer.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--window-size=1440,1000",
    "--lang=id-ID",
)
SCREENSHOT = "dashboard.png"
"""The page as the test left it, kept in the test's temporary folder for a person to see."""

WAIT_SECONDS = 60.0
"""Bound of every wait: the service's start, the projection, the page's refresh."""

OFFICER = Actor(role="bapas_officer", sub="pk-dashboard-test")
TODAY = datetime.now(UTC).date()


# --------------------------------------------------------------------- the history


def _event(payload: EventPayload, *, bapas: str, version: int = 1) -> Envelope[EventPayload]:
    return new_envelope(
        payload,
        bapas_code=bapas,
        aggregate_version=version,
        correlation_id=uuid4(),
        actor=OFFICER,
        occurred_at=datetime.now(UTC),
    )


def _release(client_id: UUID, bapas: str, released_on: date) -> Envelope[EventPayload]:
    return _event(
        ClientReleased(
            client_id=client_id,
            register_number=f"PB-{client_id.hex[:6]}",
            integration_type=IntegrationType.PB,
            released_on=released_on,
            supervision_ends_on=released_on + timedelta(days=365),
            pk_officer=PkOfficer(id="198703152010121002", name="Andi Pratama"),
        ),
        bapas=bapas,
    )


@dataclass(frozen=True)
class History:
    """A small programme at Bapas Balikpapan, and one klien at Bapas Medan.

    Three klien trained in AC repair: two complete (one then finds work, recorded
    both as an employment and as a placement from a pledged employer's vacancy: one
    job), one withdraws "employed" with no employment record (the data-quality
    figure); the MoU runs out within 30 days. The completer without work reports on
    time; the klien who withdrew misses three due dates in a row, which recommends a
    revocation. The Medan klien is placed with an employer there, still at work at the
    six-week check, and re-offends, which ends the placement.
    """

    pokmas_id: UUID
    events: tuple[Envelope[EventPayload], ...]

    @classmethod
    def build(cls) -> History:
        pokmas_id, mou_id, programme_id = uuid4(), uuid4(), uuid4()
        completer_at_work, completer, withdrawn, medan = uuid4(), uuid4(), uuid4(), uuid4()
        employer, vacancy, medan_employer = uuid4(), uuid4(), uuid4()
        placement, medan_placement = uuid4(), uuid4()
        enrolments = {client: uuid4() for client in (completer_at_work, completer, withdrawn)}
        released_on = TODAY - timedelta(days=90)
        missed_due_dates = [released_on + timedelta(days=days) for days in (30, 44, 58)]
        events: list[Envelope[EventPayload]] = [
            _event(
                PokmasRegistered(
                    pokmas_id=pokmas_id,
                    name="Pokmas Karya Mandiri Balikpapan",
                    kind=PokmasKind.ORGANISATION,
                    contact=Contact(
                        name="Ratna Wulandari", phone="+62 812 5400 1234", email="km@pokmas.example"
                    ),
                    address="Jl. Jenderal Sudirman No. 45, Balikpapan",
                    skills=("ac_repair",),
                ),
                bapas="balikpapan",
            ),
            _event(
                MoUSigned(
                    mou_id=mou_id,
                    pokmas_id=pokmas_id,
                    number="W17.PAS.PAS5-HM.05.02-012",
                    signed_on=TODAY - timedelta(days=120),
                    valid_from=TODAY - timedelta(days=110),
                    valid_until=TODAY + timedelta(days=20),
                    scope=("ac_repair",),
                ),
                bapas="balikpapan",
            ),
            _event(
                ProgrammeOpened(
                    programme_id=programme_id,
                    pokmas_id=pokmas_id,
                    mou_id=mou_id,
                    skill="ac_repair",
                    title="Servis AC Split untuk Pemula",
                    capacity=10,
                    starts_on=TODAY - timedelta(days=80),
                    ends_on=TODAY - timedelta(days=30),
                    sessions_planned=20,
                    location="Bengkel Karya Mandiri, Balikpapan",
                ),
                bapas="balikpapan",
            ),
            *(_release(client, "balikpapan", released_on) for client in enrolments),
            _release(medan, "medan", released_on),
            *(
                _event(
                    ClientEnrolled(
                        enrolment_id=enrolment_id,
                        client_id=client,
                        programme_id=programme_id,
                        pokmas_id=pokmas_id,
                        enrolled_on=TODAY - timedelta(days=80),
                    ),
                    bapas="balikpapan",
                )
                for client, enrolment_id in enrolments.items()
            ),
            *(
                _event(
                    TrainingCompleted(
                        enrolment_id=enrolments[client],
                        client_id=client,
                        programme_id=programme_id,
                        completed_on=TODAY - timedelta(days=30),
                        assessment=Assessment.COMPETENT,
                    ),
                    bapas="balikpapan",
                    version=2,
                )
                for client in (completer_at_work, completer)
            ),
            _event(
                TrainingWithdrawn(
                    enrolment_id=enrolments[withdrawn],
                    client_id=withdrawn,
                    programme_id=programme_id,
                    withdrawn_on=TODAY - timedelta(days=40),
                    reason_code=WithdrawalReason.EMPLOYED,
                ),
                bapas="balikpapan",
                version=2,
            ),
            _event(
                ClientEmployed(
                    client_id=completer_at_work,
                    employment_kind=EmploymentKind.EMPLOYED,
                    employer_name="CV Sejuk Jaya Teknik",
                    started_on=TODAY - timedelta(days=20),
                    skill="ac_repair",
                ),
                bapas="balikpapan",
                version=2,
            ),
            _event(
                ReportRecorded(
                    client_id=completer,
                    due_on=TODAY - timedelta(days=60),
                    reported_on=TODAY - timedelta(days=60),
                    status=ReportStatus.REPORTED,
                    channel=ReportChannel.IN_PERSON,
                ),
                bapas="balikpapan",
                version=2,
            ),
            *(
                _event(
                    ReportMissed(client_id=withdrawn, due_on=due_on, missed_in_a_row=in_a_row),
                    bapas="balikpapan",
                    version=1 + in_a_row,
                )
                for in_a_row, due_on in enumerate(missed_due_dates, start=1)
            ),
            _event(
                RevocationRecommended(
                    client_id=withdrawn,
                    recommended_on=missed_due_dates[-1] + timedelta(days=1),
                    missed_due_dates=missed_due_dates,
                ),
                bapas="balikpapan",
                version=5,
            ),
            _event(
                ClientReoffended(client_id=medan, recorded_on=TODAY - timedelta(days=10)),
                bapas="medan",
                version=2,
            ),
            _event(
                EmployerPledged(employer_id=employer, signed_on=TODAY - timedelta(days=60)),
                bapas="balikpapan",
                version=2,
            ),
            _event(
                VacancyPosted(
                    vacancy_id=vacancy,
                    employer_id=employer,
                    title="Teknisi AC",
                    skill="ac_repair",
                    positions=2,
                    opens_on=TODAY - timedelta(days=25),
                    closes_on=TODAY + timedelta(days=5),
                    candidates=2,
                ),
                bapas="balikpapan",
            ),
            _event(
                ClientPlaced(
                    placement_id=placement,
                    client_id=completer_at_work,
                    employer_id=employer,
                    vacancy_id=vacancy,
                    started_on=TODAY - timedelta(days=20),
                    kind=PlacementKind.EMPLOYED,
                    skill="ac_repair",
                ),
                bapas="balikpapan",
            ),
            _event(
                ClientPlaced(
                    placement_id=medan_placement,
                    client_id=medan,
                    employer_id=medan_employer,
                    started_on=TODAY - timedelta(days=80),
                    kind=PlacementKind.APPRENTICESHIP,
                ),
                bapas="medan",
            ),
            _event(
                PlacementChecked(
                    placement_id=medan_placement,
                    client_id=medan,
                    employer_id=medan_employer,
                    checked_on=TODAY - timedelta(days=35),
                    milestone=RetentionMilestone.SIX_WEEKS,
                    still_employed=True,
                ),
                bapas="medan",
                version=2,
            ),
            _event(
                PlacementEnded(
                    placement_id=medan_placement,
                    client_id=medan,
                    employer_id=medan_employer,
                    ended_on=TODAY - timedelta(days=10),
                    reason=PlacementEndReason.REOFFENDED,
                ),
                bapas="medan",
                version=3,
            ),
        ]
        return cls(pokmas_id, tuple(events))


# --------------------------------------------------------------------- the service


@dataclass(frozen=True)
class RunningInsights:
    url: str
    topics: InsightsTopics
    log: Path


@pytest.fixture(scope="module")
async def insights(
    infra: Infrastructure, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RunningInsights]:
    """The insights service as a uvicorn process, on private topics and a fresh database."""
    topics = await InsightsTopics.create(kafka_bootstrap, "dashboard")
    port = free_port()
    log = tmp_path_factory.mktemp("insights-dashboard") / "insights.log"
    async with fresh_database(infra.database_admin_url, prefix="dashboard") as database_url:
        env = {
            **os.environ,
            "BAPAS_ENVIRONMENT": "development",
            "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "INSIGHTS_DATABASE_URL": database_url,
            "INSIGHTS_TOPICS": topics.setting,
            "INSIGHTS_PORT": str(port),
        }
        process = _start(ServiceProcess("insights", port).command, env=env, log=log)
        service = RunningInsights(f"http://127.0.0.1:{port}", topics, log)
        try:
            await _wait_ready(service, process)
            yield service
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _start(command: list[str], *, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start ``command`` with its output going to ``log`` (read when it fails)."""
    with log.open("wb") as output:
        return subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)


async def _wait_ready(service: RunningInsights, process: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient(base_url=service.url, timeout=2) as client:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT_SECONDS
        while loop.time() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"the insights service exited:\n{service.log.read_text()}")
            try:
                if (await client.get("/health/ready")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError(f"the insights service was not ready:\n{service.log.read_text()}")


@pytest.fixture
async def api(insights: RunningInsights) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=insights.url, timeout=10) as client:
        yield client


def _token(
    role: Role = Role.MINISTRY,
    *,
    bapas: str | None = None,
    province: str | None = None,
    pokmas_id: UUID | None = None,
) -> str:
    return issue_token(
        AuthSettings(),
        role=role,
        sub="dashboard-test",
        bapas=bapas,
        province=province,
        pokmas_id=pokmas_id,
    )


async def _figures(
    api: httpx.AsyncClient, token: str, path: str = "/api/v1/figures"
) -> dict[str, Any]:
    response = await api.get(path, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


@pytest.fixture(scope="module")
async def history(insights: RunningInsights, kafka_bootstrap: str) -> History:
    """The history, published and applied."""
    built = History.build()
    await publish(kafka_bootstrap, insights.topics, built.events)
    async with httpx.AsyncClient(base_url=insights.url, timeout=10) as client:
        await wait_until_counted(client, len(built.events))
    return built


# --------------------------------------------------------------------- the browser


class WebDriverError(Exception):
    pass


class Browser:
    """One Chromium session, driven by chromedriver's W3C WebDriver endpoints."""

    def __init__(self, client: httpx.AsyncClient, session_id: str) -> None:
        self._client = client
        self._session = f"/session/{session_id}"

    async def _call(self, method: str, path: str, body: object | None = None) -> Any:
        response = await self._client.request(method, self._session + path, json=body)
        value = response.json().get("value")
        if response.status_code != 200:
            raise WebDriverError(f"{method} {path}: {response.status_code} {value}")
        return value

    async def open(self, url: str) -> None:
        await self._call("POST", "/url", {"url": url})

    async def url(self) -> str:
        value: str = await self._call("GET", "/url")
        return value

    async def run(self, script: str, *args: object) -> Any:
        return await self._call("POST", "/execute/sync", {"script": script, "args": list(args)})

    async def cookies(self) -> list[dict[str, Any]]:
        value: list[dict[str, Any]] = await self._call("GET", "/cookie")
        return value

    async def console(self) -> list[dict[str, Any]]:
        value: list[dict[str, Any]] = await self._call("POST", "/se/log", {"type": "browser"})
        return value

    async def screenshot(self, path: Path) -> None:
        """The whole page, not only the window (Chrome DevTools through chromedriver)."""
        value = await self._call(
            "POST",
            "/goog/cdp/execute",
            {
                "cmd": "Page.captureScreenshot",
                "params": {"format": "png", "captureBeyondViewport": True},
            },
        )
        await asyncio.to_thread(path.write_bytes, base64.b64decode(value["data"]))

    async def wait_for(self, script: str, *args: object, what: str) -> Any:
        """The first truthy value of ``script``, polled until ``WAIT_SECONDS`` passed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT_SECONDS
        while loop.time() < deadline:
            value = await self.run(script, *args)
            if value:
                return value
            await asyncio.sleep(0.1)
        raise AssertionError(f"the page did not show {what} within {WAIT_SECONDS} s")


@contextmanager
def _chromedriver(port: int) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        [str(CHROMEDRIVER), f"--port={port}", "--allowed-ips=127.0.0.1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium through Debian's chromedriver; nothing is downloaded."""
    for program in (CHROMIUM, CHROMEDRIVER):
        assert program.exists(), f"{program} is missing: apt-get install chromium chromium-driver"
    port = free_port()
    with _chromedriver(port):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            await _wait_for_chromedriver(client)
            capabilities = {
                "browserName": "chrome",
                "goog:chromeOptions": {"binary": str(CHROMIUM), "args": list(CHROMIUM_ARGUMENTS)},
                "goog:loggingPrefs": {"browser": "ALL"},
            }
            response = await client.post(
                "/session", json={"capabilities": {"alwaysMatch": capabilities}}
            )
            assert response.status_code == 200, response.text
            session_id = response.json()["value"]["sessionId"]
            try:
                yield Browser(client, session_id)
            finally:
                await client.delete(f"/session/{session_id}")


async def _wait_for_chromedriver(client: httpx.AsyncClient) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    while loop.time() < deadline:
        try:
            if (await client.get("/status")).json()["value"]["ready"]:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError("chromedriver did not start")


# ----------------------------------------------------------- reading the page


READ_NUMBERS = """
return Array.from(document.querySelectorAll("[data-figure]")).map((node) => ({
  figure: node.dataset.figure,
  value: node.dataset.value,
  key: node.dataset.key === undefined ? null : node.dataset.key,
  breakdown: node.dataset.breakdown === undefined ? null : node.dataset.breakdown,
  chart: node.dataset.chart === undefined ? null : node.dataset.chart,
  text: node.textContent.replace(/\\u00a0/g, " ").trim(),
}));
"""

TOTAL_IS = """
const node = document.querySelector(
  '.card [data-figure="' + arguments[0] + '"]:not([data-key])');
return node !== null && node.dataset.value === arguments[1];
"""

SET_PERIOD = """
document.getElementById("period-from").value = arguments[0];
document.getElementById("period-to").value = arguments[1];
document.getElementById("period-form").requestSubmit();
"""

PERIOD_IS = """
const label = document.getElementById("period-label");
return label.dataset.from === arguments[0] && label.dataset.to === arguments[1];
"""

AS_OF_IS = """
const node = document.querySelector('[data-figure="as_of"]');
return node !== null && node.dataset.value === arguments[0];
"""


@dataclass(frozen=True)
class ShownNumber:
    figure: str
    value: str
    key: str | None
    breakdown: str | None
    chart: str | None
    text: str


async def _shown_numbers(browser: Browser) -> list[ShownNumber]:
    return [ShownNumber(**item) for item in await browser.run(READ_NUMBERS)]


def _api_value(answer: dict[str, Any], shown: ShownNumber) -> object:
    if shown.figure == "as_of":
        return answer["as_of"]
    figures: Any = answer["totals"]
    if shown.breakdown is not None:
        rows = [row for row in answer[shown.breakdown] if row["key"] == shown.key]
        assert len(rows) == 1, f"{shown} names no single row of {shown.breakdown}"
        figures = rows[0]
    for part in shown.figure.split("."):
        figures = figures[part]
    return figures


def _page_value(shown: ShownNumber) -> object:
    if shown.value == "":
        return None
    if shown.figure == "as_of":
        return shown.value
    value: object = json.loads(shown.value)
    return value


def _disagreements(shown: Sequence[ShownNumber], answer: dict[str, Any]) -> list[str]:
    return [
        f"{number.breakdown or 'totals'}[{number.key}].{number.figure}: "
        f"page {number.value!r}, API {_api_value(answer, number)!r}"
        for number in shown
        if _page_value(number) != _api_value(answer, number)
    ]


def _percent(rate: float) -> str:
    """The page's way of writing a rate: one decimal, a decimal comma, then " %"."""
    return f"{rate * 100:.1f}".replace(".", ",") + " %"


async def _sign_in(browser: Browser, service: RunningInsights, token: str) -> None:
    await browser.open(f"{service.url}/dashboard/sign-in?token={token}")
    assert urlsplit(await browser.url()).path == "/dashboard"


# ------------------------------------------------------------------------ tests


async def test_dashboard_without_sign_in_redirects_to_the_sign_in_page(
    api: httpx.AsyncClient,
) -> None:
    for headers in (
        {},
        {"Cookie": f"{SESSION_COOKIE}=not-a-token"},
        {"Authorization": "Bearer not.a.token"},
        {"Authorization": "Bearer " + "A" * 20_000},
        {"Authorization": "Basic dXNlcjpwYXNz"},
    ):
        response = await api.get("/dashboard", headers=headers)

        assert response.status_code == 303, headers
        assert response.headers["location"] == "/dashboard/sign-in"


async def test_the_page_accepts_the_authorization_header(api: httpx.AsyncClient) -> None:
    response = await api.get("/dashboard", headers={"Authorization": f"Bearer {_token()}"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '"figures_path": "/api/v1/figures"' in response.text


async def test_sign_in_keeps_the_token_in_an_http_only_strict_cookie_for_its_lifetime(
    api: httpx.AsyncClient,
) -> None:
    token = _token()
    expires_at = jwt.decode(token, options={"verify_signature": False})["exp"]

    response = await api.post("/dashboard/sign-in", data={"token": token})

    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard"
    cookie = response.headers["set-cookie"]
    attributes = {part.strip().split("=")[0].lower(): part for part in cookie.split(";")}
    assert cookie.startswith(f"{SESSION_COOKIE}={token};")
    assert "httponly" in attributes
    assert attributes["samesite"].strip().lower() == "samesite=strict"
    assert attributes["path"].strip() == "Path=/"
    max_age = int(attributes["max-age"].split("=")[1])
    assert 0 < max_age <= expires_at - datetime.now(UTC).timestamp() + 1


async def test_an_invalid_token_gets_a_401_page_and_no_cookie(api: httpx.AsyncClient) -> None:
    expired = issue_token(
        AuthSettings(), role=Role.MINISTRY, sub="dashboard-test", ttl=timedelta(seconds=-60)
    )
    for response in (
        await api.get("/dashboard/sign-in", params={"token": "not.a.token"}),
        await api.get("/dashboard/sign-in", params={"token": expired}),
        await api.post("/dashboard/sign-in", data={"token": "not.a.token"}),
        await api.post("/dashboard/sign-in", data={}),
    ):
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("text/html")
        assert "set-cookie" not in response.headers
        assert 'name="token"' in response.text


async def test_the_page_shows_the_api_figures_and_follows_a_new_event_without_reload(
    insights: RunningInsights,
    history: History,
    api: httpx.AsyncClient,
    browser: Browser,
    kafka_bootstrap: str,
    tmp_path: Path,
) -> None:
    token = _token()
    answer = await _figures(api, token)
    assert answer["totals"]["klien_released"] == 4

    # Not signed in: the browser ends on the sign-in form, not on an error.
    await browser.open(f"{insights.url}/dashboard")
    assert urlsplit(await browser.url()).path == "/dashboard/sign-in"
    assert await browser.run("return document.querySelector('form textarea[name=token]') !== null")

    await _sign_in(browser, insights, token)
    session = [cookie for cookie in await browser.cookies() if cookie["name"] == SESSION_COOKIE]
    assert len(session) == 1
    assert session[0]["httpOnly"] is True
    assert session[0]["sameSite"] == "Strict"
    assert session[0]["path"] == "/"
    assert SESSION_COOKIE not in await browser.run("return document.cookie")

    await browser.wait_for(AS_OF_IS, answer["as_of"], what="the API's as_of")
    shown = await _shown_numbers(browser)
    assert _disagreements(shown, answer) == []
    on_page = {(number.breakdown, number.key, number.figure, number.chart) for number in shown}
    for figure in (
        "klien_released",
        "klien_under_supervision",
        "enrolments",
        "completions",
        "completion_rate",
        "klien_employed",
        "employment_rate_after_training",
        "klien_reoffended",
        "mous_active",
        "mous_expiring_within_30_days",
        "withdrawn_for_work_unrecorded",
        "employers_pledged",
        "vacancies_posted",
        "positions_offered",
        "klien_placed",
        "placements_checked_6_weeks",
        "placements_retained_6_weeks",
        "placements_checked_6_months",
        "placements_retained_6_months",
        "retention_rate_6_months",
        "placements_ended",
        "placements_ended_by_reason.reoffended",
        "klien_revocation_pending",
        "klien_recommended_for_revocation",
        "reports_recorded",
        "reports_recorded_by_status.late",
        "reports_missed",
        "transfers_in",
        "transfers_out",
    ):
        assert (None, None, figure, None) in on_page, f"no total {figure} on the page"
    assert (None, None, "reoffence_rate", None) in on_page
    for figure in ("klien_released", "enrolments", "completions", "klien_employed"):
        assert (None, None, figure, "funnel") in on_page, f"no {figure} in the funnel"
    assert ("by_skill", "ac_repair", "completion_rate", "skill-completion") in on_page
    assert (
        "by_skill",
        "ac_repair",
        "employment_rate_after_training",
        "skill-employment",
    ) in on_page
    assert ("by_province", "kalimantan-timur", "completion_rate", "office-completion") in on_page
    assert ("by_province", "kalimantan-timur", "withdrawn_for_work_unrecorded", None) in on_page
    assert ("by_province", "kalimantan-timur", "klien_revocation_pending", None) in on_page
    # What the history makes of it, written the Indonesian way.
    totals = answer["totals"]
    assert (totals["completions"], totals["withdrawals"], totals["completion_rate"]) == (
        2,
        1,
        2 / 3,
    )
    texts = {(n.breakdown, n.key, n.figure): n.text for n in shown if n.chart is None}
    assert texts[(None, None, "completion_rate")] == _percent(2 / 3) == "66,7 %"
    assert texts[(None, None, "employment_rate_after_training")] == "50,0 %"
    assert texts[(None, None, "withdrawn_for_work_unrecorded")] == "1"
    # The job recorded twice (employment and placement) is one klien employed.
    assert (totals["klien_employed"], totals["klien_placed"]) == (2, 2)
    assert texts[(None, None, "klien_employed")] == "2"
    assert texts[(None, None, "placements_retained_6_weeks")] == "1"
    assert texts[(None, None, "retention_rate_6_months")] == "—"
    assert texts[(None, None, "placements_ended_by_reason.reoffended")] == "1"
    # Three misses in a row: one klien recommended for revocation, awaiting the decision.
    assert (totals["klien_recommended_for_revocation"], totals["klien_revocation_pending"]) == (
        1,
        1,
    )
    assert texts[(None, None, "klien_revocation_pending")] == "1"
    assert texts[(None, None, "reports_missed")] == "3"
    assert await browser.run(
        "return document.querySelector('[data-attention=revocation]')"
        ".classList.contains('attention-warn')"
    )

    # One more klien released: the page follows, in the same document.
    await browser.run("window.__dashboardTestMarker = 'not reloaded';")
    await publish(
        kafka_bootstrap,
        insights.topics,
        [_release(uuid4(), "balikpapan", TODAY - timedelta(days=1))],
    )
    await wait_until_counted(api, len(history.events) + 1)
    moved = await _figures(api, token)
    assert moved["totals"]["klien_released"] == 5
    await browser.wait_for(TOTAL_IS, "klien_released", "5", what="klien_released = 5")
    assert await browser.run("return window.__dashboardTestMarker") == "not reloaded"
    await browser.wait_for(AS_OF_IS, moved["as_of"], what="the new as_of")
    assert _disagreements(await _shown_numbers(browser), moved) == []
    await browser.screenshot(tmp_path / SCREENSHOT)

    # A period: the page asks the API for it, and shows what the API answers.
    start, end = (TODAY - timedelta(days=35)).isoformat(), TODAY.isoformat()
    await browser.run(SET_PERIOD, start, end)
    await browser.wait_for(PERIOD_IS, start, end, what="the period's figures")
    in_period = await _figures(api, token, f"/api/v1/figures?from={start}&to={end}")
    assert in_period["totals"]["klien_released"] == 1
    assert _disagreements(await _shown_numbers(browser), in_period) == []
    assert await browser.run("return window.__dashboardTestMarker") == "not reloaded"
    assert await browser.run("return location.search") == f"?from={start}&to={end}"

    # Everything the page loaded came from the service itself.
    loaded = await browser.run(
        "return performance.getEntriesByType('resource').map((entry) => entry.name);"
    )
    assert loaded
    assert all(urlsplit(name).netloc == urlsplit(insights.url).netloc for name in loaded)
    errors = [entry for entry in await browser.console() if entry.get("level") == "SEVERE"]
    assert errors == []


@pytest.mark.parametrize(
    ("role", "claims", "path", "breakdown"),
    [
        (
            Role.REGIONAL,
            {"province": "kalimantan-timur"},
            "/api/v1/figures/provinces/kalimantan-timur",
            "by_bapas",
        ),
        (
            Role.BAPAS_OFFICER,
            {"bapas": "balikpapan"},
            "/api/v1/figures/bapas/balikpapan",
            "by_pokmas",
        ),
        (Role.POKMAS_PARTNER, {"bapas": "balikpapan"}, "/api/v1/figures/pokmas/{pokmas_id}", None),
    ],
    ids=["regional", "bapas_officer", "pokmas_partner"],
)
async def test_each_role_sees_the_figures_of_its_own_level(
    insights: RunningInsights,
    history: History,
    api: httpx.AsyncClient,
    browser: Browser,
    role: Role,
    claims: dict[str, str],
    path: str,
    breakdown: str | None,
    tmp_path: Path,
) -> None:
    pokmas_id = history.pokmas_id if role is Role.POKMAS_PARTNER else None
    token = _token(role, pokmas_id=pokmas_id, **claims)
    answer = await _figures(api, token, path.format(pokmas_id=pokmas_id))

    await _sign_in(browser, insights, token)
    await browser.wait_for(AS_OF_IS, answer["as_of"], what="the API's as_of")

    shown = await _shown_numbers(browser)
    assert _disagreements(shown, answer) == []
    breakdowns = {None, "by_skill", "by_month"} | ({breakdown} if breakdown else set())
    assert {number.breakdown for number in shown} == breakdowns
    assert ("by_skill", "ac_repair", "completion_rate") in {
        (number.breakdown, number.key, number.figure) for number in shown
    }
    await browser.screenshot(tmp_path / f"dashboard-{answer['scope']['level']}.png")
