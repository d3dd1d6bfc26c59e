"""Which documents the repository publishes, their exact content, and writing them.

One function, :func:`published_documents`, says what every generated document must
contain, by path relative to the repository root; ``bapas docs export`` writes that,
and the test of the published documents compares the committed files with it. Content
is byte-stable: JSON with two-space indentation, sorted keys and a trailing newline,
nothing that depends on the time or the machine (see :mod:`shared.docs.apis` for the
Kafka address).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from shared.docs.apis import (
    PUBLISHING_SERVICES,
    SERVICES,
    build_app,
    openapi_document,
    service_asyncapi_document,
)
from shared.docs.catalogue import render_event_catalogue
from shared.docs.offices import render_offices

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
EVENT_CATALOGUE = PurePosixPath("docs/events.md")
OFFICES = PurePosixPath("docs/offices.md")
OPENAPI_DIRECTORY = PurePosixPath("docs/openapi")
ASYNCAPI_DIRECTORY = PurePosixPath("docs/asyncapi")
GENERATED_DIRECTORIES = (OPENAPI_DIRECTORY, ASYNCAPI_DIRECTORY)
"""Folders that hold only generated documents: a file there that is not generated is stale."""


def render_json(document: Any) -> str:
    """A JSON document as published: indent 2, sorted keys, UTF-8 text, trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def published_documents() -> dict[PurePosixPath, str]:
    """Every generated document's content, by path relative to the repository root."""
    documents: dict[PurePosixPath, str] = {}
    for service in SERVICES:
        app = build_app(service)
        documents[OPENAPI_DIRECTORY / f"{service}.json"] = render_json(openapi_document(app))
        if service in PUBLISHING_SERVICES:
            documents[ASYNCAPI_DIRECTORY / f"{service}.json"] = render_json(
                service_asyncapi_document(app)
            )
    documents[EVENT_CATALOGUE] = render_event_catalogue()
    documents[OFFICES] = render_offices()
    return documents


def export_documents(
    root: Path = REPOSITORY_ROOT, documents: dict[PurePosixPath, str] | None = None
) -> list[Path]:
    """Write every generated document under ``root``, and remove stale generated files.

    Returns the paths written. A file in a generated folder that the code no longer
    generates (a service that was removed) is deleted, so the folder never lies.
    ``documents`` defaults to :func:`published_documents` (pass them if already built).
    """
    documents = published_documents() if documents is None else documents
    for directory in GENERATED_DIRECTORIES:
        for path in sorted((root / directory).glob("*.json")):
            if PurePosixPath(path.relative_to(root).as_posix()) not in documents:
                path.unlink()
    written = []
    for relative, content in documents.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8", newline="\n")
        written.append(path)
    return written


@dataclass(frozen=True)
class StaleDocument:
    """A published document that differs from what the code generates."""

    path: PurePosixPath
    problem: str
    """``missing``, ``differs`` or ``not generated``."""


def stale_documents(
    root: Path = REPOSITORY_ROOT, documents: dict[PurePosixPath, str] | None = None
) -> list[StaleDocument]:
    """The documents under ``root`` that ``bapas docs export`` would change."""
    expected = published_documents() if documents is None else documents
    stale = []
    for relative, content in expected.items():
        path = root / relative
        if not path.is_file():
            stale.append(StaleDocument(relative, "missing"))
        elif path.read_text(encoding="utf-8") != content:
            stale.append(StaleDocument(relative, "differs"))
    for directory in GENERATED_DIRECTORIES:
        for path in sorted((root / directory).glob("*.json")):
            relative = PurePosixPath(path.relative_to(root).as_posix())
            if relative not in expected:
                stale.append(StaleDocument(relative, "not generated"))
    return stale
