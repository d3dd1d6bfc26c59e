"""Holds the Kubernetes manifests to the Kubernetes API and to the code they run.

No cluster is needed: every object is validated against the API's schemas shipped
with the ``kubernetes-validate`` package (nothing is fetched), strictly (an unknown or
misspelt field fails), for the oldest Kubernetes the manifests claim and the newest the
package knows. Then what an operator would otherwise find out on a cluster: each
service's probes ask paths its app serves on the port its settings read, it has
resources, a disruption budget and an autoscaler bound by the topics' partitions,
every variable it is given is one its settings read, every secret reaches it from a
Secret, the Secrets and ConfigMaps it names exist with the keys it names (but a key
marked optional, which an operator adds only for a while), and the placeholders of the
Secrets are refused rather than run with.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml
from fastapi import FastAPI
from pydantic import ValidationError
from starlette.routing import Match
from typer.testing import CliRunner

from services.enrolment.settings import EnrolmentSettings
from shared.cli.main import app as bapas
from shared.kafka.connection import KafkaConnection, SecurityProtocol
from shared.kafka.topics import DEFAULT_PARTITIONS
from shared.settings import AuthSettings, Environment, ServiceSettings
from tests.support.documented_apps import documented_app
from tests.support.settings_variables import (
    SERVICES,
    SETTINGS,
    is_secret,
    secret_variables_of_service,
    variables_of_service,
    variables_read_by,
)

REPOSITORY = Path(__file__).resolve().parents[2]
MANIFESTS = REPOSITORY / "deploy" / "kubernetes"
KUSTOMIZATION = MANIFESTS / "kustomization.yaml"
SECRETS_FILE = "secrets.yaml"
PLACEHOLDER = "REPLACE_ME"
TOPICS_JOB = "bapas-topics"

OLDEST_KUBERNETES = "1.30"
"""The oldest Kubernetes the manifests run on (the preStop ``sleep`` action needs it)."""
KUBERNETES_VERSIONS = (OLDEST_KUBERNETES, kubernetes_validate.latest_version())

_QUANTITY = re.compile(r"(?P<number>\d+(?:\.\d+)?)(?P<suffix>m|Ki|Mi|Gi|Ti|k|M|G|T)?")
_SUFFIXES = {
    None: 1.0,
    "m": 1e-3,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "Ki": 2.0**10,
    "Mi": 2.0**20,
    "Gi": 2.0**30,
    "Ti": 2.0**40,
}


# --- reading the manifests -----------------------------------------------------------


@dataclass(frozen=True)
class Manifest:
    file: str
    document: dict[str, Any]

    @property
    def kind(self) -> str:
        return str(self.document["kind"])

    @property
    def name(self) -> str:
        return str(self.document["metadata"]["name"])

    def __str__(self) -> str:
        return f"{self.file}:{self.kind}/{self.name}"


def _manifest_files() -> list[Path]:
    return sorted(path for path in MANIFESTS.glob("*.yaml") if path != KUSTOMIZATION)


def _load_manifests() -> list[Manifest]:
    return [
        Manifest(path.name, document)
        for path in _manifest_files()
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8"))
        if document
    ]


MANIFESTS_FOUND = _load_manifests()


def _objects(kind: str) -> dict[str, dict[str, Any]]:
    return {
        manifest.name: manifest.document for manifest in MANIFESTS_FOUND if manifest.kind == kind
    }


def _object(kind: str, name: str) -> dict[str, Any]:
    found = _objects(kind)
    assert name in found, f"no {kind} named {name!r} under deploy/kubernetes"
    return found[name]


def _data(kind: str, name: str) -> dict[str, str]:
    """The keys and values of a ConfigMap or Secret (``stringData`` or base64 ``data``)."""
    document = _object(kind, name)
    values = {key: str(value) for key, value in (document.get("stringData") or {}).items()}
    for key, value in (document.get("data") or {}).items():
        values[key] = base64.b64decode(value).decode() if kind == "Secret" else str(value)
    return values


def _pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    spec = workload["spec"]["template"]["spec"]
    assert isinstance(spec, dict)
    return spec


def _container(workload: dict[str, Any]) -> dict[str, Any]:
    containers = _pod_spec(workload)["containers"]
    assert len(containers) == 1, "one container a pod"
    container = containers[0]
    assert isinstance(container, dict)
    return container


def _pod_labels(workload: dict[str, Any]) -> dict[str, str]:
    return dict(workload["spec"]["template"]["metadata"]["labels"])


def _port_number(container: dict[str, Any], port: int | str) -> int:
    """A probe's or a Service's port, by number or by the container port's name."""
    if isinstance(port, int):
        return port
    named = {entry.get("name"): int(entry["containerPort"]) for entry in container["ports"]}
    assert port in named, f"the container has no port named {port!r}"
    return named[port]


@dataclass(frozen=True)
class Source:
    """Where a variable of a container comes from: a literal, a ConfigMap or a Secret."""

    kind: str  # "value", "ConfigMap" or "Secret"
    name: str = ""
    key: str = ""
    value: str = ""
    optional: bool = False
    """A key the object may lack: the variable is then not set."""


def _sources(container: dict[str, Any]) -> dict[str, Source]:
    """Every variable of the container, ``envFrom`` first and ``env`` over it."""
    sources: dict[str, Source] = {}
    for entry in container.get("envFrom", []):
        assert "prefix" not in entry, "a prefix would rename every variable"
        for field, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
            if field in entry:
                name = entry[field]["name"]
                sources |= {key: Source(kind, name, key) for key in _data(kind, name)}
    for entry in container.get("env", []):
        reference = entry.get("valueFrom", {})
        if "secretKeyRef" in reference:
            selector = reference["secretKeyRef"]
            sources[entry["name"]] = Source(
                "Secret",
                selector["name"],
                selector["key"],
                optional=selector.get("optional", False),
            )
        elif "configMapKeyRef" in reference:
            selector = reference["configMapKeyRef"]
            sources[entry["name"]] = Source(
                "ConfigMap",
                selector["name"],
                selector["key"],
                optional=selector.get("optional", False),
            )
        else:
            assert not reference, f"{entry['name']}: only Secrets and ConfigMaps are expected"
            sources[entry["name"]] = Source("value", value=str(entry.get("value", "")))
    return sources


def _environment(
    container: dict[str, Any], secret_values: Mapping[tuple[str, str], str]
) -> dict[str, str]:
    """The container's environment, with ``secret_values[(secret, key)]`` for Secrets."""
    environment: dict[str, str] = {}
    for variable, source in _sources(container).items():
        if source.kind == "value":
            environment[variable] = source.value
        elif source.kind == "ConfigMap":
            if source.key in _data("ConfigMap", source.name) or not source.optional:
                environment[variable] = _data("ConfigMap", source.name)[source.key]
        elif (source.name, source.key) in secret_values or not source.optional:
            environment[variable] = secret_values[(source.name, source.key)]
    return environment


def _placeholder_secrets() -> dict[tuple[str, str], str]:
    """The Secrets as ``secrets.yaml`` writes them."""
    return {
        (name, key): value
        for name in _objects("Secret")
        for key, value in _data("Secret", name).items()
    }


def _filled_secrets() -> dict[tuple[str, str], str]:
    """The Secrets an operator fills in: each bare placeholder replaced by a generated
    key (``openssl rand -base64 32``), which every secret of the platform accepts."""
    return {
        reference: base64.b64encode(secrets.token_bytes(32)).decode()
        if value == PLACEHOLDER
        else value
        for reference, value in _placeholder_secrets().items()
    }


def _mounted_file(workload: dict[str, Any], path: str) -> tuple[str, str, str]:
    """``(kind, name, key)`` of the ConfigMap or Secret that puts a file at ``path``."""
    container = _container(workload)
    volumes = {volume["name"]: volume for volume in _pod_spec(workload).get("volumes", [])}
    file = PurePosixPath(path)
    for mount in container.get("volumeMounts", []):
        folder = PurePosixPath(mount["mountPath"])
        if file.parent != folder:
            continue
        volume = volumes[mount["name"]]
        for field, kind, name_field in (
            ("secret", "Secret", "secretName"),
            ("configMap", "ConfigMap", "name"),
        ):
            if field in volume:
                items = {item["path"]: item["key"] for item in volume[field].get("items", [])}
                return kind, volume[field][name_field], items.get(file.name, file.name)
    raise AssertionError(f"nothing is mounted at {file.parent}")


def _use_environment(
    environment: Mapping[str, str], read: set[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Make this process's environment ``environment``, as far as ``read`` goes."""
    for variable in list(os.environ):
        if variable.upper() in read:
            monkeypatch.delenv(variable)
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)


def _pod_environment_in_this_process(
    workload: dict[str, Any],
    read: set[str],
    secret_values: Mapping[tuple[str, str], str],
    monkeypatch: pytest.MonkeyPatch,
    folder: Path,
) -> dict[str, str]:
    """The pod's environment set here, its mounted CA file stood in for by a local one."""
    environment = _environment(_container(workload), secret_values)
    if cafile := environment.get("KAFKA_SSL_CAFILE"):
        kind, name, key = _mounted_file(workload, cafile)
        local = folder / "ca.crt"
        mounted = secret_values[(name, key)] if kind == "Secret" else _data(kind, name)[key]
        local.write_text(mounted)
        environment["KAFKA_SSL_CAFILE"] = str(local)
    _use_environment(environment, read, monkeypatch)
    return environment


def _quantity(value: str | int | float) -> float:
    found = _QUANTITY.fullmatch(str(value))
    assert found, f"{value!r} is not a quantity"
    return float(found["number"]) * _SUFFIXES[found["suffix"]]


def _image_user() -> int:
    """The uid of the user the Dockerfile runs the image as."""
    found = re.search(r"--uid (\d+)", (REPOSITORY / "Dockerfile").read_text(encoding="utf-8"))
    assert found, "the Dockerfile creates no user with a fixed uid"
    return int(found[1])


def _workloads() -> Iterator[tuple[str, dict[str, Any]]]:
    for kind in ("Deployment", "Job"):
        for name, workload in _objects(kind).items():
            yield f"{kind}/{name}", workload


WORKLOADS = dict(_workloads())
"""The objects that run pods, as ``Deployment/pokmas``, ``Job/bapas-topics``."""


@pytest.fixture(scope="module")
def apps() -> dict[str, FastAPI]:
    """Each service's app, built (nothing started) to see which paths it serves."""
    return {name: documented_app(name) for name in SERVICES}


def _serves(app: FastAPI, path: str) -> bool:
    """Whether a ``GET path`` reaches one of the app's routes."""
    scope = {"type": "http", "method": "GET", "path": path, "root_path": "", "headers": []}
    return any(route.matches(scope)[0] is Match.FULL for route in app.router.routes)


# --- the schemas ---------------------------------------------------------------------


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("manifest", MANIFESTS_FOUND, ids=str)
def test_every_manifest_is_a_valid_kubernetes_object(manifest: Manifest, version: str) -> None:
    try:
        kubernetes_validate.validate(manifest.document, version, strict=True)
    except kubernetes_validate.ValidationError as error:
        where = ".".join(str(part) for part in error.path)
        problem = f"{manifest} against Kubernetes {version}: {where}: {error.message}"
    else:
        return
    pytest.fail(problem)


def test_the_manifests_hold_what_the_platform_needs() -> None:
    kinds = {manifest.kind for manifest in MANIFESTS_FOUND}
    assert {
        "Namespace",
        "ConfigMap",
        "Secret",
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
        "Job",
    } <= kinds


def test_kustomization_applies_every_manifest_but_the_secrets() -> None:
    kustomization = yaml.safe_load(KUSTOMIZATION.read_text(encoding="utf-8"))
    listed = kustomization["resources"]
    assert len(listed) == len(set(listed))
    files = {path.name for path in _manifest_files()}
    assert set(listed) == files - {SECRETS_FILE}
    in_secrets_file = {str(m) for m in MANIFESTS_FOUND if m.file == SECRETS_FILE}
    secrets_anywhere = {str(m) for m in MANIFESTS_FOUND if m.kind == "Secret"}
    assert in_secrets_file == secrets_anywhere


def test_kustomization_sets_the_image_every_pod_runs() -> None:
    kustomization = yaml.safe_load(KUSTOMIZATION.read_text(encoding="utf-8"))
    overridden = {image["name"] for image in kustomization["images"]}
    run = {_container(workload)["image"].split(":")[0] for workload in WORKLOADS.values()}
    assert run == overridden


def test_every_object_lives_in_the_platform_namespace() -> None:
    namespaces = _objects("Namespace")
    assert len(namespaces) == 1
    outside = {
        str(manifest)
        for manifest in MANIFESTS_FOUND
        if manifest.kind != "Namespace"
        and manifest.document["metadata"].get("namespace") not in namespaces
    }
    assert outside == set()


# --- the secrets ---------------------------------------------------------------------


def test_the_secrets_file_writes_placeholders_only() -> None:
    written = {
        reference: value
        for reference, value in _placeholder_secrets().items()
        if PLACEHOLDER not in value
    }
    assert written == {}


def test_every_secret_is_used_by_a_pod() -> None:
    used: set[str] = set()
    for workload in WORKLOADS.values():
        used |= {
            source.name
            for source in _sources(_container(workload)).values()
            if source.kind == "Secret"
        }
        used |= {
            volume["secret"]["secretName"]
            for volume in _pod_spec(workload).get("volumes", [])
            if "secret" in volume
        }
    assert set(_objects("Secret")) == used


@pytest.mark.parametrize("workload", WORKLOADS)
def test_every_configmap_and_secret_a_pod_names_exists_with_the_keys_it_names(
    workload: str,
) -> None:
    found = WORKLOADS[workload]
    for variable, source in _sources(_container(found)).items():
        if source.kind != "value":
            data = _data(source.kind, source.name)
            assert source.optional or source.key in data, f"{variable}: {source}"
    for volume in _pod_spec(found).get("volumes", []):
        if "secret" in volume:
            _object("Secret", volume["secret"]["secretName"])
        if "configMap" in volume:
            _object("ConfigMap", volume["configMap"]["name"])


@pytest.mark.parametrize("name", SERVICES)
def test_every_secret_reaches_the_service_from_a_secret(name: str) -> None:
    sources = _sources(_container(_object("Deployment", name)))
    secret = secret_variables_of_service(name) | {v for v in sources if is_secret(v)}
    not_from_a_secret = {
        variable: source.kind
        for variable, source in sources.items()
        if variable in secret and source.kind != "Secret"
    }
    assert not_from_a_secret == {}


@pytest.mark.parametrize(
    ("name", "settings_of", "variable"),
    [
        ("pokmas", AuthSettings, "BAPAS_JWT_SECRET"),
        ("enrolment", SETTINGS["enrolment"], "ENROLMENT_PROFILE_MASTER_KEY"),
        ("enrolment", SETTINGS["enrolment"], "ENROLMENT_NIK_LOOKUP_KEY"),
        ("enrolment", SETTINGS["enrolment"], "ENROLMENT_CERTIFICATE_KEY"),
        ("notifications", SETTINGS["notifications"], "NOTIFICATIONS_SECRETS_MASTER_KEY"),
    ],
)
def test_a_pod_given_the_placeholder_secrets_refuses_to_start(
    name: str,
    settings_of: Callable[[], object],
    variable: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    _pod_environment_in_this_process(
        _object("Deployment", name),
        variables_of_service(name),
        _placeholder_secrets(),
        monkeypatch,
        tmp_path,
    )
    with pytest.raises(ValidationError, match=variable):
        settings_of()


def test_the_enrolment_pod_reads_an_old_master_key_while_its_secret_holds_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    deployment = _object("Deployment", "enrolment")
    read = variables_of_service("enrolment")
    filled = _filled_secrets()
    _pod_environment_in_this_process(deployment, read, filled, monkeypatch, tmp_path)
    assert EnrolmentSettings().master_keys().previous == ()

    old = secrets.token_bytes(32)
    rotating = filled | {("enrolment-master-key", "previous"): base64.b64encode(old).decode()}
    _pod_environment_in_this_process(deployment, read, rotating, monkeypatch, tmp_path)
    assert EnrolmentSettings().master_keys().previous == (old,)


# --- each service --------------------------------------------------------------------


def _service_settings(
    name: str, monkeypatch: pytest.MonkeyPatch, folder: Path
) -> tuple[ServiceSettings, dict[str, str]]:
    environment = _pod_environment_in_this_process(
        _object("Deployment", name),
        variables_of_service(name),
        _filled_secrets(),
        monkeypatch,
        folder,
    )
    return SETTINGS[name](), environment


@pytest.mark.parametrize("name", SERVICES)
def test_every_variable_given_to_a_service_is_one_its_settings_read(name: str) -> None:
    given = {variable.upper() for variable in _sources(_container(_object("Deployment", name)))}
    assert given - variables_of_service(name) == set()


@pytest.mark.parametrize("name", SERVICES)
def test_service_settings_accept_the_pod_environment(
    name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings, environment = _service_settings(name, monkeypatch, tmp_path)
    auth = AuthSettings()
    assert auth.environment is Environment.PRODUCTION
    assert auth.secret_refusal() is None
    assert settings.kafka.security_protocol is SecurityProtocol.SASL_SSL
    assert settings.kafka.servers == environment["KAFKA_BOOTSTRAP_SERVERS"].split(",")
    assert settings.database_url.endswith(f"/{name}?sslmode=require")


@pytest.mark.parametrize("name", SERVICES)
def test_uvicorn_serves_the_service_app_on_the_port_its_settings_read(
    name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings, _ = _service_settings(name, monkeypatch, tmp_path)
    container = _container(_object("Deployment", name))
    command = [str(part) for part in container["command"]]
    assert command[:2] == ["uvicorn", "--factory"]
    assert f"services.{name}.app:create_app" in command
    option = {command[i]: command[i + 1] for i in range(len(command) - 1)}
    assert (option["--host"], int(option["--port"])) == ("0.0.0.0", settings.port)
    assert settings.host == "0.0.0.0"
    assert [int(port["containerPort"]) for port in container["ports"]] == [settings.port]


@pytest.mark.parametrize("name", SERVICES)
def test_probes_ask_paths_the_service_serves_on_its_port(
    name: str, apps: dict[str, FastAPI], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings, _ = _service_settings(name, monkeypatch, tmp_path)
    container = _container(_object("Deployment", name))
    probes = {
        probe: (
            container[probe]["httpGet"]["path"],
            _port_number(container, container[probe]["httpGet"]["port"]),
        )
        for probe in ("readinessProbe", "livenessProbe", "startupProbe")
        if probe in container
    }
    assert probes["readinessProbe"] == ("/health/ready", settings.port)
    assert probes["livenessProbe"] == ("/health/live", settings.port)
    unserved = {path for path, _ in probes.values() if not _serves(apps[name], path)}
    assert unserved == set()


@pytest.mark.parametrize("name", SERVICES)
def test_service_has_requests_within_limits(name: str) -> None:
    resources = _container(_object("Deployment", name))["resources"]
    for resource in ("cpu", "memory"):
        request = _quantity(resources["requests"][resource])
        limit = _quantity(resources["limits"][resource])
        assert 0 < request <= limit, resource


@pytest.mark.parametrize("workload", WORKLOADS)
def test_pods_run_as_the_image_user_on_a_read_only_root(workload: str) -> None:
    found = WORKLOADS[workload]
    pod = _pod_spec(found)["securityContext"]
    container = _container(found)["securityContext"]
    assert (pod["runAsNonRoot"], pod["runAsUser"]) == (True, _image_user())
    assert container["readOnlyRootFilesystem"] is True
    assert container["allowPrivilegeEscalation"] is False
    assert container["capabilities"]["drop"] == ["ALL"]


@pytest.mark.parametrize("workload", WORKLOADS)
def test_no_service_link_variable_reaches_the_settings(workload: str) -> None:
    assert _pod_spec(WORKLOADS[workload])["enableServiceLinks"] is False


@pytest.mark.parametrize("name", SERVICES)
def test_the_service_sends_requests_to_the_pods_port(name: str) -> None:
    deployment = _object("Deployment", name)
    service = _object("Service", name)["spec"]
    labels = _pod_labels(deployment)
    assert service["selector"].items() <= labels.items()
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    container = _container(deployment)
    [port] = service["ports"]
    assert _port_number(container, port["targetPort"]) == int(
        container["ports"][0]["containerPort"]
    )


@pytest.mark.parametrize("name", SERVICES)
def test_a_drain_may_evict_a_pod_but_never_all(name: str) -> None:
    budget = _object("PodDisruptionBudget", name)["spec"]
    autoscaler = _object("HorizontalPodAutoscaler", name)["spec"]
    assert (
        budget["selector"]["matchLabels"].items()
        <= _pod_labels(_object("Deployment", name)).items()
    )
    least = int(autoscaler["minReplicas"])
    if "maxUnavailable" in budget:
        assert 1 <= int(budget["maxUnavailable"]) < least
    else:
        assert 1 <= int(budget["minAvailable"]) < least


@pytest.mark.parametrize("name", SERVICES)
def test_autoscaler_scales_on_cpu_within_the_partitions(name: str) -> None:
    autoscaler = _object("HorizontalPodAutoscaler", name)
    spec = autoscaler["spec"]
    assert autoscaler["apiVersion"] == "autoscaling/v2"
    assert spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
    assert 2 <= int(spec["minReplicas"]) <= int(spec["maxReplicas"]) <= DEFAULT_PARTITIONS
    resources = {
        metric["resource"]["name"] for metric in spec["metrics"] if metric["type"] == "Resource"
    }
    assert "cpu" in resources
    # The autoscaler owns the count: a replicas field would reset it at every apply.
    assert "replicas" not in _object("Deployment", name)["spec"]


# --- Kafka and the topics ------------------------------------------------------------


@pytest.mark.parametrize("workload", WORKLOADS)
def test_kafka_is_reached_over_tls_trusting_a_mounted_ca(workload: str) -> None:
    found = WORKLOADS[workload]
    environment = _environment(_container(found), _placeholder_secrets())
    assert environment["KAFKA_SECURITY_PROTOCOL"] == str(SecurityProtocol.SASL_SSL)
    kind, name, key = _mounted_file(found, environment["KAFKA_SSL_CAFILE"])
    assert key in _data(kind, name)


def test_kafka_bootstrap_is_a_list_of_brokers() -> None:
    servers = _data("ConfigMap", "bapas-kafka")["KAFKA_BOOTSTRAP_SERVERS"]
    listed = KafkaConnection.model_validate({"bootstrap_servers": servers}).servers
    assert len(listed) >= 3


def test_topics_job_runs_bapas_topics_create() -> None:
    container = _container(_object("Job", TOPICS_JOB))
    assert container["command"] == ["bapas", "topics", "create"]
    answer = CliRunner().invoke(bapas, ["topics", "create", "--help"])
    assert answer.exit_code == 0, answer.output


def test_topics_job_is_given_only_the_kafka_settings_and_its_secrets_from_secrets() -> None:
    sources = _sources(_container(_object("Job", TOPICS_JOB)))
    assert set(sources) - variables_read_by(KafkaConnection) == set()
    assert {v for v, s in sources.items() if is_secret(v) and s.kind != "Secret"} == set()


def test_topics_job_reaches_the_brokers_the_services_reach() -> None:
    job = _environment(_container(_object("Job", TOPICS_JOB)), _placeholder_secrets())
    for name in SERVICES:
        service = _environment(_container(_object("Deployment", name)), _placeholder_secrets())
        kafka = {
            variable: value for variable, value in service.items() if variable.startswith("KAFKA_")
        }
        assert kafka == job, name
