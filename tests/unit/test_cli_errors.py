"""The ``bapas`` command fails with a clear sentence, never a traceback, when Java or
Maven is missing, a port is taken or the stack is not up."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shared.cli.main import app


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture
def path_without(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A PATH holding only what a test links into it: no java, no mvn by default."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    return bin_dir


def test_stack_up_without_java_says_java_is_missing(path_without: Path) -> None:
    code, output = _invoke("stack", "up")

    assert code == 1
    assert "Java is not installed" in output
    assert "Traceback" not in output


def test_stack_up_without_maven_and_jars_says_maven_is_missing(
    path_without: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    java = shutil.which("java", path="/usr/bin:/usr/local/bin") or "/usr/bin/java"
    (path_without / "java").symlink_to(java)
    monkeypatch.setenv("BAPAS_HOME", str(tmp_path / "fresh-checkout"))

    code, output = _invoke("stack", "up")

    assert code == 1
    assert "Maven is not installed" in output
    assert "Traceback" not in output


def test_stack_up_names_the_kafka_port_that_is_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        monkeypatch.setenv("BAPAS_KAFKA_PORT", str(port))

        code, output = _invoke("stack", "up")

    assert code == 1
    assert f"{port} (Kafka node 1)" in output.replace("\n", "")
    assert "Traceback" not in output


def test_topics_create_when_kafka_is_not_up_asks_whether_the_stack_is_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{port}")

    code, output = _invoke("topics", "create")

    assert code == 1
    assert "is the stack up" in output
    assert "Traceback" not in output


def test_token_for_an_unknown_bapas_is_refused() -> None:
    code, output = _invoke("token", "--role", "bapas_officer", "--bapas", "atlantis")

    assert code == 1
    assert "unknown Bapas code 'atlantis'" in output


def test_token_missing_a_claim_its_role_needs_is_refused() -> None:
    code, output = _invoke("token", "--role", "pokmas_partner", "--bapas", "balikpapan")

    assert code == 1
    assert "pokmas_id" in output
