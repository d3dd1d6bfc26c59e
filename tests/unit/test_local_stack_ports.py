"""The local stack's ports are settings: the tools that talk to the stack (``bapas
demo``, ``bapas token --dashboard``) find the services where their ``<SERVICE>_PORT``
settings put them, and ``bapas stack`` knows which Kafka cluster it started."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.employment.settings import EmploymentSettings
from services.enrolment.settings import EnrolmentSettings
from services.insights.settings import InsightsSettings
from services.notifications.settings import NotificationsSettings
from services.pokmas.settings import PokmasSettings
from shared.cli.main import app
from shared.demo.client import ServiceUrls
from shared.settings import ServiceSettings
from shared.stack.services import (
    SERVICES,
    ServiceRunner,
    mail_port,
    running_local_stack,
    service_environment,
)

PORT_VARIABLES = (
    "POKMAS_PORT",
    "ENROLMENT_PORT",
    "NOTIFICATIONS_PORT",
    "INSIGHTS_PORT",
    "EMPLOYMENT_PORT",
)


@pytest.fixture
def default_ports(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in (*PORT_VARIABLES, "NOTIFICATIONS_SMTP_PORT"):
        monkeypatch.delenv(variable, raising=False)


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output.replace("\n", "")


def test_the_demo_reaches_the_services_on_their_usual_ports_by_default(
    default_ports: None,
) -> None:
    assert ServiceUrls() == ServiceUrls(
        pokmas="http://127.0.0.1:8001",
        enrolment="http://127.0.0.1:8002",
        notifications="http://127.0.0.1:8003",
        insights="http://127.0.0.1:8004",
        employment="http://127.0.0.1:8005",
    )
    assert mail_port() == 8025


@pytest.mark.parametrize(
    "settings_of",
    [
        PokmasSettings,
        EnrolmentSettings,
        NotificationsSettings,
        InsightsSettings,
        EmploymentSettings,
    ],
    ids=["pokmas", "enrolment", "notifications", "insights", "employment"],
)
def test_the_stack_starts_each_service_on_the_port_the_service_itself_defaults_to(
    settings_of: type[ServiceSettings], default_ports: None
) -> None:
    settings = settings_of()
    service = next(s for s in SERVICES if s.name == settings.service_name)

    assert service.process().port == settings.port


def test_the_development_mail_server_listens_where_the_notifications_service_sends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NOTIFICATIONS_SMTP_PORT", "8125")

    assert mail_port() == NotificationsSettings().smtp_port == 8125


def test_the_services_move_to_the_ports_their_settings_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ports = dict(zip(PORT_VARIABLES, ("8011", "8012", "8013", "8014", "8015"), strict=True))
    for variable, port in ports.items():
        monkeypatch.setenv(variable, port)
    stack = running_local_stack()

    urls = ServiceUrls()
    runner = ServiceRunner(stack)

    assert (
        urls.pokmas,
        urls.enrolment,
        urls.notifications,
        urls.insights,
        urls.employment,
    ) == tuple(f"http://127.0.0.1:{port}" for port in ports.values())
    assert [service.port for service in runner.services] == [8011, 8012, 8013, 8014, 8015]
    assert PokmasSettings().port == 8011


def test_the_dashboard_link_points_at_the_insights_port_of_the_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("INSIGHTS_PORT", "8014")

    code, output = _invoke("token", "--role", "ministry", "--dashboard")

    assert code == 0
    assert output.startswith("http://127.0.0.1:8014/dashboard/sign-in?token=ey")


def test_a_port_setting_that_is_no_port_is_refused_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("INSIGHTS_PORT", "eighty")

    code, output = _invoke("token", "--role", "ministry", "--dashboard")

    assert code == 1
    assert "INSIGHTS_PORT='eighty' is not a port" in output
    assert "Traceback" not in output


@pytest.fixture
def three_node_cluster_running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A checkout whose ``stack up --kafka-nodes 3`` left its nodes' pid files: each
    names a process that runs (this one), as the nodes' would."""
    monkeypatch.setenv("BAPAS_HOME", str(tmp_path))
    monkeypatch.delenv("BAPAS_KAFKA_PORT", raising=False)
    pids = tmp_path / "var" / "run"
    pids.mkdir(parents=True)
    for node in (1, 2, 3):
        (pids / f"kafka-local-3x9192-{node}.pid").write_text(f"{os.getpid()}\n")


def test_status_speaks_of_the_three_node_cluster_when_it_is_the_one_running(
    three_node_cluster_running: None,
) -> None:
    code, output = _invoke("stack", "status")

    assert code == 0
    assert "127.0.0.1:9192,127.0.0.1:9194,127.0.0.1:9196" in output
    assert "9092" not in output


def test_the_services_are_given_the_three_node_clusters_brokers(
    three_node_cluster_running: None,
) -> None:
    stack = running_local_stack()

    environments = [service_environment(stack, s) for s in ServiceRunner(stack).services]

    assert {env["KAFKA_BOOTSTRAP_SERVERS"] for env in environments} == {
        "127.0.0.1:9192,127.0.0.1:9194,127.0.0.1:9196"
    }


def test_up_with_one_node_while_the_cluster_runs_is_refused_saying_how_to_go_on(
    three_node_cluster_running: None,
) -> None:
    code, output = _invoke("stack", "up", "--kafka-nodes", "1")

    assert code == 1
    assert "already runs Kafka as 3 node(s)" in output
    assert "make up KAFKA_NODES=3" in output
