"""The published contracts in ``docs/`` are what the code generates, so they never lie.

``docs/events.md``, ``docs/openapi/<service>.json`` and ``docs/asyncapi/<service>.json``
are committed for readers who never run the platform. Each test generates them afresh
from the code and compares: a route, a model or an example that changed without
``uv run bapas docs export`` fails here and says so.
"""

from __future__ import annotations

import difflib
import json
import os
import subprocess
import sys
from pathlib import Path, PurePosixPath

import pytest

from shared.docs import (
    EXPORT_COMMAND,
    PUBLISHING_SERVICES,
    REPOSITORY_ROOT,
    SERVICES,
    build_app,
    envelope_field_rows,
    export_documents,
    payload_field_rows,
    published_documents,
    service_asyncapi_document,
    stale_documents,
)
from shared.events.envelope import EventPayload
from shared.events.registry import PAYLOAD_TYPES

GENERATED = published_documents()
DEFAULT_KAFKA = "127.0.0.1:9092"


def short_diff(committed: str, generated: str, path: PurePosixPath) -> str:
    lines = difflib.unified_diff(
        committed.splitlines(),
        generated.splitlines(),
        fromfile=f"committed {path}",
        tofile="generated",
        lineterm="",
    )
    return "\n".join(list(lines)[:40])


def test_generated_documents_are_the_catalogue_offices_and_openapi_and_asyncapi_per_service() -> (
    None
):
    expected = {PurePosixPath("docs/events.md"), PurePosixPath("docs/offices.md")} | {
        PurePosixPath(f"docs/{kind}/{service}.json")
        for kind in ("openapi", "asyncapi")
        for service in (SERVICES if kind == "openapi" else PUBLISHING_SERVICES)
    }

    assert set(GENERATED) == expected


@pytest.mark.parametrize("path", sorted(GENERATED), ids=str)
def test_committed_document_is_what_the_code_generates(path: PurePosixPath) -> None:
    committed_file = REPOSITORY_ROOT / path
    assert committed_file.is_file(), (
        f"{path} is not published; run `{EXPORT_COMMAND}` and commit the result"
    )
    committed = committed_file.read_text(encoding="utf-8")

    assert committed == GENERATED[path], (
        f"{path} differs from what the code generates; run `{EXPORT_COMMAND}` and commit "
        f"the result.\n{short_diff(committed, GENERATED[path], path)}"
    )


def test_no_published_document_is_left_over_from_code_that_is_gone() -> None:
    leftovers = [
        str(stale.path)
        for stale in stale_documents(documents=GENERATED)
        if stale.problem == "not generated"
    ]

    assert not leftovers, f"{leftovers} are not generated any more; run `{EXPORT_COMMAND}`"


def test_export_writes_documents_that_are_then_up_to_date(tmp_path: Path) -> None:
    stale_file = tmp_path / "docs" / "openapi" / "removed-service.json"
    stale_file.parent.mkdir(parents=True)
    stale_file.write_text("{}\n", encoding="utf-8")

    export_documents(tmp_path, documents=GENERATED)

    assert not stale_file.exists()
    assert stale_documents(tmp_path, documents=GENERATED) == []


def test_a_changed_document_is_reported_stale(tmp_path: Path) -> None:
    export_documents(tmp_path, documents=GENERATED)
    catalogue = tmp_path / "docs" / "events.md"
    catalogue.write_text(catalogue.read_text(encoding="utf-8") + "edited\n", encoding="utf-8")

    stale = stale_documents(tmp_path, documents=GENERATED)

    assert [(str(s.path), s.problem) for s in stale] == [("docs/events.md", "differs")]


@pytest.mark.parametrize("path", sorted(p for p in GENERATED if p.suffix == ".json"), ids=str)
def test_json_document_is_indented_sorted_and_ends_with_a_newline(path: PurePosixPath) -> None:
    content = GENERATED[path]

    assert content.endswith("}\n")
    assert (
        content
        == json.dumps(json.loads(content), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    )


@pytest.mark.parametrize("path", sorted(GENERATED), ids=str)
def test_document_holds_no_path_of_the_machine_that_generated_it(path: PurePosixPath) -> None:
    assert str(REPOSITORY_ROOT) not in GENERATED[path]
    assert str(Path.home()) not in GENERATED[path]


@pytest.mark.parametrize("service", PUBLISHING_SERVICES)
def test_asyncapi_server_is_the_documented_default_whatever_the_environment(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka-a.bapas.internal:9093")

    document = service_asyncapi_document(build_app(service))

    assert [server["host"] for server in document["servers"].values()] == [DEFAULT_KAFKA]
    assert os.environ["KAFKA_BOOTSTRAP_SERVERS"] == "kafka-a.bapas.internal:9093"


@pytest.mark.parametrize("service", PUBLISHING_SERVICES)
def test_asyncapi_document_names_the_service_topic(service: str) -> None:
    document = json.loads(GENERATED[PurePosixPath(f"docs/asyncapi/{service}.json")])

    addresses = {channel["address"] for channel in document["channels"].values()}

    assert f"{service}.events.v1" in addresses


def test_generation_is_the_same_in_another_process() -> None:
    """Another interpreter, another hash seed: no set or hash order leaks into a document."""
    script = (
        "import json, sys; from shared.docs import published_documents; "
        "json.dump({str(k): v for k, v in published_documents().items()}, sys.stdout)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=REPOSITORY_ROOT,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
        check=True,
    )

    assert json.loads(result.stdout) == {str(path): text for path, text in GENERATED.items()}


@pytest.mark.parametrize(
    "payload", PAYLOAD_TYPES, ids=lambda p: f"{p.event_type}.v{p.schema_version}"
)
def test_every_field_of_the_event_has_a_meaning_in_the_catalogue(
    payload: type[EventPayload],
) -> None:
    unexplained = [row.path for row in payload_field_rows(payload) if not row.meaning]

    assert not unexplained, (
        f"{payload.event_type} v{payload.schema_version}: give {unexplained} a "
        "Field(description=...) in the model, or a meaning in "
        "shared/docs/catalogue.py FIELD_MEANINGS"
    )


def test_every_envelope_field_has_a_meaning_in_the_catalogue() -> None:
    assert [row.path for row in envelope_field_rows() if not row.meaning] == []
