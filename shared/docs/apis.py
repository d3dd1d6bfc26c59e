"""Each service's OpenAPI and AsyncAPI documents, generated from its real app.

The documents are published in the repository (``docs/openapi/``, ``docs/asyncapi/``)
so that other teams can read the contract without running the platform, and a test
keeps them equal to what the code generates. They come from the services' own
composition roots (``services.<name>.app.create_app``), so they are the documents the
running services serve at ``/openapi.json`` and ``/asyncapi.json``; building an app
opens nothing (the database and Kafka are opened by its lifespan, never run here).

Published documents must not depend on the machine that generated them. The only
environment-dependent value in them is the Kafka address FastStream puts in the
AsyncAPI ``servers`` section (from the broker's bootstrap servers). The apps are
therefore built with ``KAFKA_BOOTSTRAP_SERVERS`` (and the auth settings, which could
refuse to build an app) removed from the environment, so the documents carry the
documented default, ``127.0.0.1:9092``, whatever the environment says.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, cast

from fastapi import FastAPI

from shared.asyncapi import asyncapi_document
from shared.kafka.topics import TOPIC_OF_SERVICE

PUBLISHING_SERVICES: tuple[str, ...] = tuple(TOPIC_OF_SERVICE)
"""The services that write a topic, each with an AsyncAPI document of its events."""
SERVICES: tuple[str, ...] = (*PUBLISHING_SERVICES, "insights")
"""The services whose OpenAPI documents are published, in a stable order: those that
write a topic, then insights, which only reads them (and so has no AsyncAPI document)."""

_MACHINE_DEPENDENT_VARIABLES = ("KAFKA_BOOTSTRAP_SERVERS",)
_MACHINE_DEPENDENT_PREFIXES = ("BAPAS_JWT_", "BAPAS_ENVIRONMENT")


@contextmanager
def documented_defaults() -> Iterator[None]:
    """Remove, for the duration, the variables that would change the documents."""
    removed = {
        name: value
        for name, value in os.environ.items()
        if name in _MACHINE_DEPENDENT_VARIABLES or name.startswith(_MACHINE_DEPENDENT_PREFIXES)
    }
    for name in removed:
        del os.environ[name]
    try:
        yield
    finally:
        os.environ.update(removed)


def app_factory(service: str) -> Callable[[], FastAPI]:
    """The service's ``create_app``, found by name (``shared`` imports no service)."""
    module = importlib.import_module(f"services.{service}.app")
    return cast(Callable[[], FastAPI], module.create_app)


def build_app(service: str) -> FastAPI:
    """The service's app as the documented defaults configure it; nothing is started."""
    factory = app_factory(service)
    with documented_defaults():
        return factory()


def openapi_document(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI document, as it serves it at ``/openapi.json``."""
    return app.openapi()


def service_asyncapi_document(app: FastAPI) -> dict[str, Any]:
    """The AsyncAPI document of the app's FastStream broker (``app.state.runtime.broker``)."""
    broker = app.state.runtime.broker
    document: dict[str, Any] = asyncapi_document(broker, title=app.title, version=app.version)
    return document
