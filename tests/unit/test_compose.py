"""Holds docker-compose.yml to the code it runs, without a Docker engine.

No engine runs where this project is developed and tested, so ``docker compose up`` is
never tried here. These tests read the compose file with PyYAML instead and check it
against the real code: each service's settings class is built from the environment
compose would give it, so a wrong port, a misspelt variable, a database the init script
never creates or a Kafka address the services cannot reach fails here, not on the
laptop of the first person who has Docker.
"""

from __future__ import annotations

import os
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic import AliasChoices
from pydantic_settings import BaseSettings
from typer.testing import CliRunner

from services.enrolment.settings import EnrolmentSettings
from services.insights.settings import InsightsSettings
from services.notifications.settings import NotificationsSettings
from services.pokmas.settings import PokmasSettings
from shared.cli.main import app as bapas
from shared.settings import DEVELOPMENT_JWT_SECRET, AuthSettings, Environment, ServiceSettings

REPOSITORY = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPOSITORY / "docker-compose.yml"
INIT_SCRIPTS = "/docker-entrypoint-initdb.d"
LOOPBACK = ("127.0.0.1", "localhost", "::1")

SETTINGS: dict[str, type[ServiceSettings]] = {
    "pokmas": PokmasSettings,
    "enrolment": EnrolmentSettings,
    "notifications": NotificationsSettings,
    "insights": InsightsSettings,
}
SERVICES = list(SETTINGS)

# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, $NAME and the escape $$.
_INTERPOLATION = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>\w+)(?:(?P<operator>:?[-?])(?P<argument>[^}]*))?\}"
    r"|(?P<bare>\w+))"
)


def _interpolate(value: str) -> str:
    """The value as compose gives it when none of its variables is set on the host."""

    def replace(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        operator = match["operator"] or ""
        if operator.endswith("?"):
            raise AssertionError(f"{match[0]} must be set on the host: no default to check")
        return match["argument"] if operator.endswith("-") else ""

    return _INTERPOLATION.sub(replace, value)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _container(compose: dict[str, Any], name: str) -> dict[str, Any]:
    services = compose["services"]
    assert name in services, f"docker-compose.yml has no {name!r} service"
    container = services[name]
    assert isinstance(container, dict)
    return container


def _environment(container: dict[str, Any]) -> dict[str, str]:
    raw = container.get("environment") or {}
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) for item in raw)
    return {str(key): _interpolate(str(value)) for key, value in raw.items()}


def _command(container: dict[str, Any]) -> list[str]:
    command = container.get("command")
    if isinstance(command, str):
        return shlex.split(command)
    assert isinstance(command, list), "the container has no command"
    return [str(part) for part in command]


def _option(command: list[str], option: str) -> str:
    assert option in command, f"{option} missing from {command}"
    return command[command.index(option) + 1]


def _published_ports(container: dict[str, Any]) -> list[tuple[int, int]]:
    """``(published, target)`` pairs, from the short or the long port syntax."""
    pairs: list[tuple[int, int]] = []
    for port in container.get("ports", []):
        if isinstance(port, dict):
            pairs.append((int(port["published"]), int(port["target"])))
        else:
            *_, published, target = str(port).split("/")[0].split(":")
            pairs.append((int(published), int(target)))
    return pairs


def _advertised_listeners(compose: dict[str, Any]) -> dict[str, str]:
    """Kafka's advertised listeners, by name: ``{"INTERNAL": "kafka:9092", …}``."""
    advertised = _environment(_container(compose, "kafka"))["KAFKA_ADVERTISED_LISTENERS"]
    return dict(listener.split("://", 1) for listener in advertised.split(","))


def _variables_read_by(settings: type[BaseSettings]) -> set[str]:
    """The environment variables a settings class reads: prefixed field names, or aliases,
    and those of the settings it holds (the Kafka connection)."""
    prefix = settings.model_config.get("env_prefix") or ""
    names: set[str] = set()
    for field_name, field in settings.model_fields.items():
        nested = field.annotation
        if isinstance(nested, type) and issubclass(nested, BaseSettings):
            names |= _variables_read_by(nested)
            continue
        alias = field.validation_alias
        if isinstance(alias, str):
            names.add(alias.upper())
        elif isinstance(alias, AliasChoices):
            names.update(choice.upper() for choice in alias.choices if isinstance(choice, str))
        else:
            names.add(f"{prefix}{field_name}".upper())
    return names


def _use_compose_environment(
    compose: dict[str, Any], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Make this process's environment the one compose gives ``name``, and only that."""
    read = _variables_read_by(SETTINGS[name]) | _variables_read_by(AuthSettings)
    for variable in os.environ:
        if variable.upper() in read:
            monkeypatch.delenv(variable)
    for variable, value in _environment(_container(compose, name)).items():
        monkeypatch.setenv(variable, value)


def _settings_in_compose(
    compose: dict[str, Any], name: str, monkeypatch: pytest.MonkeyPatch
) -> ServiceSettings:
    _use_compose_environment(compose, name, monkeypatch)
    return SETTINGS[name]()


def _created_databases(compose: dict[str, Any]) -> set[str]:
    """The databases created by the scripts mounted into the postgres init directory."""
    created: set[str] = set()
    for volume in _container(compose, "postgres").get("volumes", []):
        source, _, target = str(volume).partition(":")
        if not target.startswith(INIT_SCRIPTS):
            continue
        script = (COMPOSE_FILE.parent / source).resolve()
        assert script.is_file(), f"{source} is mounted into {INIT_SCRIPTS} but does not exist"
        created.update(
            name.strip('"').lower()
            for name in re.findall(
                r'CREATE\s+DATABASE\s+("?[\w-]+"?)', script.read_text(), re.IGNORECASE
            )
        )
    return created


def test_every_service_has_a_container(compose: dict[str, Any]) -> None:
    assert set(SERVICES) <= set(compose["services"])


@pytest.mark.parametrize("name", SERVICES)
def test_service_environment_names_no_loopback_address(compose: dict[str, Any], name: str) -> None:
    environment = _environment(_container(compose, name))
    loopback = {
        variable: value
        for variable, value in environment.items()
        if any(host in value for host in LOOPBACK)
    }
    assert loopback == {}


@pytest.mark.parametrize("name", SERVICES)
def test_every_variable_given_to_a_service_is_one_its_settings_read(
    compose: dict[str, Any], name: str
) -> None:
    known = _variables_read_by(SETTINGS[name]) | _variables_read_by(AuthSettings)
    given = {variable.upper() for variable in _environment(_container(compose, name))}
    assert given - known == set()


@pytest.mark.parametrize("name", SERVICES)
def test_published_port_is_the_port_the_settings_read(
    compose: dict[str, Any], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings_in_compose(compose, name, monkeypatch)
    assert _published_ports(_container(compose, name)) == [(settings.port, settings.port)]


@pytest.mark.parametrize("name", SERVICES)
def test_uvicorn_serves_the_host_and_port_the_settings_read(
    compose: dict[str, Any], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings_in_compose(compose, name, monkeypatch)
    command = _command(_container(compose, name))
    assert (_option(command, "--host"), int(_option(command, "--port"))) == (
        settings.host,
        settings.port,
    )
    assert settings.host == "0.0.0.0"


@pytest.mark.parametrize("name", SERVICES)
def test_healthcheck_asks_the_service_readiness_on_its_own_port(
    compose: dict[str, Any], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings_in_compose(compose, name, monkeypatch)
    probe = " ".join(str(part) for part in _container(compose, name)["healthcheck"]["test"])
    urls = re.findall(r"http://(?:127\.0\.0\.1|localhost):(\d+)(/[\w/]*)", probe)
    assert urls == [(str(settings.port), "/health/ready")]


@pytest.mark.parametrize("name", SERVICES)
def test_database_url_reaches_the_postgres_container_with_its_credentials(
    compose: dict[str, Any], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = urlsplit(_settings_in_compose(compose, name, monkeypatch).database_url)
    postgres = _environment(_container(compose, "postgres"))
    assert (url.scheme, url.hostname, url.port, url.username, url.password) == (
        "postgresql",
        "postgres",
        5432,
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_PASSWORD"],
    )


@pytest.mark.parametrize("name", SERVICES)
def test_database_url_names_the_service_own_database(
    compose: dict[str, Any], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = urlsplit(_settings_in_compose(compose, name, monkeypatch).database_url)
    assert url.path == f"/{name}"


@pytest.mark.parametrize("name", SERVICES)
def test_service_database_is_created_by_the_postgres_init_script(
    compose: dict[str, Any], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = urlsplit(_settings_in_compose(compose, name, monkeypatch).database_url).path
    assert database.lstrip("/") in _created_databases(compose)


@pytest.mark.parametrize("name", SERVICES)
def test_kafka_bootstrap_is_the_broker_listener_advertised_inside_compose(
    compose: dict[str, Any], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings_in_compose(compose, name, monkeypatch)
    inside = {
        address
        for address in _advertised_listeners(compose).values()
        if address.rsplit(":", 1)[0] in compose["services"]
    }
    bootstrap = set(settings.kafka.servers)
    assert bootstrap
    assert bootstrap <= inside


@pytest.mark.parametrize("name", SERVICES)
def test_auth_settings_accept_the_compose_defaults(
    compose: dict[str, Any], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use_compose_environment(compose, name, monkeypatch)
    auth = AuthSettings()
    assert (auth.environment, auth.jwt_secret) == (
        Environment.DEVELOPMENT,
        DEVELOPMENT_JWT_SECRET,
    )


@pytest.mark.parametrize("name", SERVICES)
def test_service_starts_after_kafka_postgres_and_the_topics(
    compose: dict[str, Any], name: str
) -> None:
    depends_on = _container(compose, name)["depends_on"]
    conditions = {dependency: depends_on[dependency]["condition"] for dependency in depends_on}
    assert conditions == {
        "kafka": "service_healthy",
        "postgres": "service_healthy",
        "topics": "service_completed_successfully",
    }


@pytest.mark.parametrize("name", SERVICES)
def test_service_runs_the_app_factory_of_its_own_package(
    compose: dict[str, Any], name: str
) -> None:
    command = _command(_container(compose, name))
    assert command[0] == "uvicorn"
    assert "--factory" in command
    targets = [part for part in command if re.fullmatch(r"[\w.]+:\w+", part)]
    assert len(targets) == 1, f"one module:factory target expected in {command}"
    module, _, factory = targets[0].partition(":")
    assert (module.split("."), factory) == (["services", name, "app"], "create_app")
    package = REPOSITORY.joinpath(*module.split(".")[:-1])
    assert (package / "__init__.py").is_file()
    assert SETTINGS[name].__module__ == f"services.{name}.settings"


def test_topics_container_runs_bapas_topics_create(compose: dict[str, Any]) -> None:
    command = _command(_container(compose, "topics"))
    assert command == ["bapas", "topics", "create"]
    scripts = tomllib.loads((REPOSITORY / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["bapas"] == "shared.cli.main:app"
    answer = CliRunner().invoke(bapas, ["topics", "create", "--help"])
    assert answer.exit_code == 0, answer.output


def test_topics_are_created_on_the_broker_listener_advertised_inside_compose(
    compose: dict[str, Any],
) -> None:
    bootstrap = _environment(_container(compose, "topics"))["KAFKA_BOOTSTRAP_SERVERS"]
    assert bootstrap == _advertised_listeners(compose)["INTERNAL"]
    assert bootstrap.rsplit(":", 1)[0] == "kafka"


def test_topics_are_created_once_kafka_is_healthy(compose: dict[str, Any]) -> None:
    topics = _container(compose, "topics")
    assert topics["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert str(topics.get("restart", "no")) == "no"


def test_kafka_runs_in_kraft_mode(compose: dict[str, Any]) -> None:
    environment = _environment(_container(compose, "kafka"))
    roles = set(environment["KAFKA_PROCESS_ROLES"].split(","))
    voters = environment["KAFKA_CONTROLLER_QUORUM_VOTERS"]
    assert roles == {"broker", "controller"}
    assert voters.split("@")[0] == environment["KAFKA_NODE_ID"]
    for name, container in compose["services"].items():
        assert "zookeeper" not in f"{name} {container.get('image', '')}".lower()
        assert not any("ZOOKEEPER" in variable.upper() for variable in _environment(container))


def test_kafka_creates_no_topic_on_demand(compose: dict[str, Any]) -> None:
    environment = _environment(_container(compose, "kafka"))
    assert environment["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"


def test_kafka_internal_topics_fit_one_node(compose: dict[str, Any]) -> None:
    environment = _environment(_container(compose, "kafka"))
    assert {
        environment["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"],
        environment["KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"],
        environment["KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"],
    } == {"1"}
    assert environment["KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS"] == "0"


def test_kafka_host_listener_is_published_on_its_advertised_port(
    compose: dict[str, Any],
) -> None:
    host, _, port = _advertised_listeners(compose)["EXTERNAL"].rpartition(":")
    assert host == "localhost"
    assert (int(port), int(port)) in _published_ports(_container(compose, "kafka"))


def _bound_listeners(compose: dict[str, Any]) -> dict[str, int]:
    """Kafka's bound listeners, by name: ``{"INTERNAL": 9092, …}``."""
    listeners = _environment(_container(compose, "kafka"))["KAFKA_LISTENERS"]
    return {
        name: int(address.rpartition(":")[2])
        for name, address in (listener.split("://", 1) for listener in listeners.split(","))
    }


def test_kafka_listeners_each_have_a_security_protocol(compose: dict[str, Any]) -> None:
    environment = _environment(_container(compose, "kafka"))
    protocols = environment["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"]
    mapped = {pair.split(":")[0] for pair in protocols.split(",")}
    assert set(_bound_listeners(compose)) == mapped
    assert environment["KAFKA_CONTROLLER_LISTENER_NAMES"] in mapped


def test_kafka_advertises_each_listener_on_the_port_it_binds(compose: dict[str, Any]) -> None:
    bound = _bound_listeners(compose)
    advertised = {
        name: int(address.rpartition(":")[2])
        for name, address in _advertised_listeners(compose).items()
    }
    assert advertised == {name: bound[name] for name in advertised}


def test_kafka_brokers_talk_over_the_listener_advertised_inside_compose(
    compose: dict[str, Any],
) -> None:
    environment = _environment(_container(compose, "kafka"))
    inter_broker = environment["KAFKA_INTER_BROKER_LISTENER_NAME"]
    assert _advertised_listeners(compose)[inter_broker].rpartition(":")[0] == "kafka"


def test_services_and_topics_are_built_from_the_one_dockerfile(compose: dict[str, Any]) -> None:
    built = {name: _container(compose, name) for name in [*SERVICES, "topics"]}
    assert {str(container["build"]) for container in built.values()} == {"."}
    assert len({container["image"] for container in built.values()}) == 1
    assert (REPOSITORY / "Dockerfile").is_file()
