"""Runs Apache Kafka in KRaft combined mode from the jars Maven fetched into
``infra/kafka/lib``: one node for development and tests, or a cluster of N nodes on
other loopback ports for the fault tests.

A cluster may also be *secure*: each node then has a ``SASL_SSL`` listener of its own
beside the ``PLAINTEXT`` one, presenting a certificate signed by a CA made for the
cluster, and accepting the users named when its storage is formatted (SCRAM-SHA-512,
SCRAM-SHA-256 and PLAIN). That is how a deployment's brokers are reached, so the
clients' security settings can be tried here; the brokers keep ``PLAINTEXT`` among
themselves, on the loopback.
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr

from shared.kafka.connection import KafkaConnection, SaslMechanism, SecurityProtocol
from shared.stack.certificates import BrokerCertificates
from shared.stack.errors import StackError
from shared.stack.paths import StackPaths
from shared.stack.processes import require_free_ports, running_pid, start_detached, stop_pid_file

KAFKA_VERSION = "4.4.0"
SECURE_LISTENER = "SASL_SSL"
SCRAM_MECHANISMS = (SaslMechanism.SCRAM_SHA_512, SaslMechanism.SCRAM_SHA_256)
_SAFE_CREDENTIAL = re.compile(r"[A-Za-z0-9._~-]+")
"""What a name or password may hold here: nothing the broker's tools would have to quote."""


@dataclass(frozen=True)
class KafkaUser:
    """Someone the secure listener lets in, by any of its mechanisms."""

    name: str
    password: str = field(repr=False)

    def __post_init__(self) -> None:
        for what, value in (("name", self.name), ("password", self.password)):
            if not _SAFE_CREDENTIAL.fullmatch(value):
                raise StackError(
                    f"the Kafka user {self.name!r}: a {what} of the local stack's users is "
                    "letters, digits and . _ ~ - only"
                )


@dataclass(frozen=True)
class SecureListener:
    """A ``SASL_SSL`` listener on every node, and the users it accepts.

    The users are written into the cluster's metadata when its storage is formatted:
    a cluster first started without them must be wiped to have them.
    """

    users: tuple[KafkaUser, ...]

    def __post_init__(self) -> None:
        if not self.users:
            raise StackError("a secure Kafka listener needs at least one user")


@dataclass(frozen=True)
class KafkaNode:
    node_id: int
    broker_port: int
    controller_port: int
    secure_port: int | None = None


@dataclass(frozen=True)
class KafkaCluster:
    """A named set of nodes; node ``i`` listens on ``base_port + 2i`` (controller +1),
    and, when the cluster is ``secure``, on ``base_port + 2·size + i`` with SASL_SSL."""

    name: str
    size: int
    base_port: int
    secure: SecureListener | None = None

    @property
    def nodes(self) -> list[KafkaNode]:
        return [
            KafkaNode(
                i + 1,
                self.base_port + 2 * i,
                self.base_port + 2 * i + 1,
                self.base_port + 2 * self.size + i if self.secure else None,
            )
            for i in range(self.size)
        ]

    @property
    def bootstrap_servers(self) -> str:
        return ",".join(f"127.0.0.1:{node.broker_port}" for node in self.nodes)

    @property
    def secure_bootstrap_servers(self) -> str:
        """The SASL_SSL listeners, as ``KAFKA_BOOTSTRAP_SERVERS`` takes them."""
        if self.secure is None:
            raise StackError(f"the Kafka cluster {self.name!r} has no secure listener")
        return ",".join(f"127.0.0.1:{node.secure_port}" for node in self.nodes)

    @property
    def heap(self) -> str:
        return "512m" if self.size == 1 else "384m"


def development_cluster(size: int = 1, base_port: int = 9092) -> KafkaCluster:
    """The development broker (one node on 9092), or another cluster named by its shape."""
    name = "local" if (size, base_port) == (1, 9092) else f"local-{size}x{base_port}"
    return KafkaCluster(name=name, size=size, base_port=base_port)


def stop_every_node(paths: StackPaths) -> int:
    """Stop every Kafka node this stack started, whatever its cluster; returns how many."""
    return sum(stop_pid_file(pid_file) for pid_file in sorted(paths.pids.glob("kafka-*.pid")))


def require_java() -> str:
    java = shutil.which("java")
    if java is None:
        raise StackError(
            "Java is not installed (no `java` on PATH). Kafka needs Java 17 or newer: "
            "install it (for example `apt-get install openjdk-17-jre-headless`) and retry."
        )
    return java


def kafka_jars_present(paths: StackPaths) -> bool:
    return any(paths.kafka_lib.glob(f"kafka_2.13-{KAFKA_VERSION}.jar"))


def fetch_kafka_jars(paths: StackPaths) -> None:
    """Fetch the broker's jars with Maven (about 45 jars, 43 MB) unless already there."""
    if kafka_jars_present(paths):
        return
    mvn = shutil.which("mvn")
    if mvn is None:
        raise StackError(
            "Maven is not installed (no `mvn` on PATH). It fetches Kafka's jars once: "
            "install it (for example `apt-get install maven`) and retry."
        )
    result = subprocess.run(
        [
            mvn,
            "-q",
            "-B",
            "dependency:copy-dependencies",
            f"-DoutputDirectory={paths.kafka_lib}",
            "-DincludeScope=runtime",
        ],
        cwd=paths.kafka_infra,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0 or not kafka_jars_present(paths):
        raise StackError(
            "Maven could not fetch Kafka's jars:\n" + (result.stdout + result.stderr)[-2000:]
        )


def _kafka_uuid() -> str:
    """A Kafka ``Uuid`` string: URL-safe base64 of 16 random bytes, not starting with '-'."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text


class KafkaRunner:
    """Formats, starts and stops the nodes of one cluster; idempotent both ways."""

    def __init__(self, paths: StackPaths, cluster: KafkaCluster) -> None:
        self.paths = paths
        self.cluster = cluster
        self.data = paths.kafka_data(cluster.name)
        self.certificates = BrokerCertificates(self.data / "tls")

    def _node_dir(self, node: KafkaNode) -> Path:
        return self.data / f"node-{node.node_id}"

    def pid_file(self, node: KafkaNode) -> Path:
        return self.paths.pids / f"kafka-{self.cluster.name}-{node.node_id}.pid"

    def log_file(self, node: KafkaNode) -> Path:
        return self.paths.logs / f"kafka-{self.cluster.name}-{node.node_id}.log"

    def running_nodes(self) -> list[KafkaNode]:
        return [node for node in self.cluster.nodes if running_pid(self.pid_file(node))]

    def start(self) -> None:
        """Start every node that is not running yet (formatting fresh storage first)."""
        java = require_java()
        fetch_kafka_jars(self.paths)
        to_start = [node for node in self.cluster.nodes if not running_pid(self.pid_file(node))]
        ports: dict[str, int] = {}
        for node in to_start:
            ports[f"Kafka node {node.node_id}"] = node.broker_port
            ports[f"Kafka controller {node.node_id}"] = node.controller_port
            if node.secure_port is not None:
                ports[f"Kafka node {node.node_id} ({SECURE_LISTENER})"] = node.secure_port
        require_free_ports(ports)
        self._format_storage(java)
        for node in to_start:
            self._start_node(java, node)

    def stop(self) -> bool:
        stopped = [stop_pid_file(self.pid_file(node)) for node in self.cluster.nodes]
        return any(stopped)

    def kill_node(self, node_id: int) -> None:
        """Stop one node abruptly (SIGKILL), as a crash would; for fault tests."""
        node = self.cluster.nodes[node_id - 1]
        stop_pid_file(self.pid_file(node), crash=True)

    def start_node(self, node_id: int) -> None:
        self._start_node(require_java(), self.cluster.nodes[node_id - 1])

    def secure_connection(
        self,
        user: KafkaUser | None = None,
        mechanism: SaslMechanism = SaslMechanism.SCRAM_SHA_512,
    ) -> KafkaConnection:
        """How a client reaches the secure listeners as ``user`` (the listener's first
        user by default), trusting the cluster's CA."""
        secure = self.cluster.secure
        if secure is None:
            raise StackError(f"the Kafka cluster {self.cluster.name!r} has no secure listener")
        user = user or secure.users[0]
        return KafkaConnection(
            bootstrap_servers=self.cluster.secure_bootstrap_servers,
            security_protocol=SecurityProtocol.SASL_SSL,
            sasl_mechanism=mechanism,
            sasl_username=user.name,
            sasl_password=user.password,
            ssl_cafile=self.certificates.ca_file,
        )

    def wipe(self) -> None:
        """Kill the nodes and delete their data: nothing of them is worth a clean stop."""
        for node in self.cluster.nodes:
            stop_pid_file(self.pid_file(node), crash=True)
        shutil.rmtree(self.data, ignore_errors=True)

    def _properties(self, node: KafkaNode) -> str:
        size = self.cluster.size
        min_isr = 2 if size >= 3 else 1
        replication = min(3, size)
        voters = ",".join(f"127.0.0.1:{n.controller_port}" for n in self.cluster.nodes)
        listeners = {
            "PLAINTEXT": (node.broker_port, "PLAINTEXT"),
            "CONTROLLER": (node.controller_port, "PLAINTEXT"),
        }
        if node.secure_port is not None:
            listeners[SECURE_LISTENER] = (node.secure_port, SECURE_LISTENER)
        addresses = ",".join(f"{name}://127.0.0.1:{port}" for name, (port, _) in listeners.items())
        lines = {
            "process.roles": "broker,controller",
            "node.id": str(node.node_id),
            "controller.quorum.bootstrap.servers": voters,
            "listeners": addresses,
            "advertised.listeners": addresses,
            "inter.broker.listener.name": "PLAINTEXT",
            "controller.listener.names": "CONTROLLER",
            "listener.security.protocol.map": ",".join(
                f"{name}:{protocol}" for name, (_, protocol) in listeners.items()
            ),
            "log.dirs": str(self._node_dir(node) / "data"),
            "num.network.threads": "2",
            "num.io.threads": "2",
            "background.threads": "2",
            "num.partitions": "12",
            "auto.create.topics.enable": "false",
            "default.replication.factor": str(replication),
            "min.insync.replicas": str(min_isr),
            "offsets.topic.num.partitions": "1",
            "offsets.topic.replication.factor": str(replication),
            "transaction.state.log.num.partitions": "1",
            "transaction.state.log.replication.factor": str(replication),
            "transaction.state.log.min.isr": str(min_isr),
            "share.coordinator.state.topic.replication.factor": str(replication),
            "share.coordinator.state.topic.min.isr": str(min_isr),
            "group.initial.rebalance.delay.ms": "0",
            **self._secure_listener_properties(),
        }
        return "".join(f"{key}={_property_value(value)}\n" for key, value in lines.items())

    def _secure_listener_properties(self) -> dict[str, str]:
        """TLS with the cluster's certificate, and SASL with the listener's users: SCRAM
        users live in the cluster's metadata (added at format time), PLAIN ones here."""
        secure = self.cluster.secure
        if secure is None:
            return {}
        prefix = f"listener.name.{SECURE_LISTENER.lower()}"
        plain_users = " ".join(f'user_{user.name}="{user.password}"' for user in secure.users)
        mechanisms = (*SCRAM_MECHANISMS, SaslMechanism.PLAIN)
        return {
            f"{prefix}.sasl.enabled.mechanisms": ",".join(mechanisms),
            **{
                f"{prefix}.{mechanism.lower()}.sasl.jaas.config": (
                    "org.apache.kafka.common.security.scram.ScramLoginModule required;"
                )
                for mechanism in SCRAM_MECHANISMS
            },
            f"{prefix}.plain.sasl.jaas.config": (
                f"org.apache.kafka.common.security.plain.PlainLoginModule required {plain_users};"
            ),
            f"{prefix}.ssl.keystore.type": "PEM",
            f"{prefix}.ssl.keystore.certificate.chain": self.certificates.chain_file.read_text(),
            f"{prefix}.ssl.keystore.key": self.certificates.key_file.read_text(),
        }

    def _scram_users(self) -> list[str]:
        """StorageTool's arguments that add the secure listener's users to new storage."""
        secure = self.cluster.secure
        if secure is None:
            return []
        return [
            argument
            for user in secure.users
            for mechanism in SCRAM_MECHANISMS
            for argument in (
                "--add-scram",
                f"{mechanism}=[name={user.name},password={user.password}]",
            )
        ]

    def _format_storage(self, java: str) -> None:
        """Write each node's properties; format the nodes whose storage is new."""
        cluster_id_file = self.data / "cluster.id"
        self.data.mkdir(parents=True, exist_ok=True)
        if not cluster_id_file.exists():
            cluster_id_file.write_text(_kafka_uuid())
        cluster_id = cluster_id_file.read_text().strip()
        if self.cluster.secure is not None and not self.certificates.exist():
            self.certificates.issue()
        directory_ids = {node.node_id: _kafka_uuid() for node in self.cluster.nodes}
        initial_controllers = ",".join(
            f"{n.node_id}@127.0.0.1:{n.controller_port}:{directory_ids[n.node_id]}"
            for n in self.cluster.nodes
        )
        formatting: list[tuple[KafkaNode, subprocess.Popen[str]]] = []
        for node in self.cluster.nodes:
            node_dir = self._node_dir(node)
            node_dir.mkdir(parents=True, exist_ok=True)
            properties = node_dir / "server.properties"
            properties.write_text(self._properties(node))
            if (node_dir / "data" / "meta.properties").exists():
                continue
            quorum = (
                ["--standalone"]
                if self.cluster.size == 1
                else ["--initial-controllers", initial_controllers]
            )
            command = [
                java,
                "-cp",
                str(self.paths.kafka_lib / "*"),
                f"-Dlog4j2.configurationFile={self.paths.kafka_infra / 'log4j2.properties'}",
                "kafka.tools.StorageTool",
                "format",
                *quorum,
                "-t",
                cluster_id,
                "-c",
                str(properties),
                *self._scram_users(),
            ]
            process = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
            formatting.append((node, process))
        for node, process in formatting:
            output, _ = process.communicate(timeout=120)
            if process.returncode != 0:
                raise StackError(f"formatting Kafka node {node.node_id} failed:\n{output[-2000:]}")

    def _start_node(self, java: str, node: KafkaNode) -> None:
        heap = self.cluster.heap
        start_detached(
            [
                java,
                f"-Xms{min(256, int(heap.rstrip('m')))}m",
                f"-Xmx{heap}",
                "-XX:+UseG1GC",
                "-Djava.awt.headless=true",
                f"-Dlog4j2.configurationFile={self.paths.kafka_infra / 'log4j2.properties'}",
                "-cp",
                str(self.paths.kafka_lib / "*"),
                "kafka.Kafka",
                str(self._node_dir(node) / "server.properties"),
            ],
            pid_file=self.pid_file(node),
            log_file=self.log_file(node),
        )


def client_environment(connection: KafkaConnection) -> dict[str, str]:
    """The ``KAFKA_*`` variables with which a process (a service started against this
    stack) reaches the brokers as ``connection`` does; unset settings are left out."""
    environment: dict[str, str] = {}
    for name, value in connection:
        if value is None:
            continue
        text = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
        environment[f"KAFKA_{name.upper()}"] = text
    return environment


def _property_value(value: str) -> str:
    """``value`` as a Java properties file reads it back (PEM spans several lines)."""
    return value.replace("\\", "\\\\").replace("\n", "\\n")
