"""Each service's app as the published documents are built from it (nothing started),
built once per test session: several test modules read its routes, its runtime and its
AsyncAPI document, and building the four apps costs over a second."""

from __future__ import annotations

import functools

from fastapi import FastAPI

from shared.docs import build_app


@functools.cache
def documented_app(service: str) -> FastAPI:
    return build_app(service)
