"""Log lines an operator can search: one JSON object per line on stderr, from every logger.

A national deployment collects the services' stderr and searches it by field, so a
line is ``{"time", "level", "logger", "message", "service", …}`` with the
``correlation_id``, ``event_id`` and ``bapas_code`` of the request or event being
handled whenever those are known, and an exception as one ``exception`` text. The
same holds for the lines of the libraries (aiokafka, asyncpg, uvicorn, FastStream):
structlog formats the standard library's records too, as the formatter of the root
logger's one handler. ``BAPAS_LOG_FORMAT=console`` makes the lines readable by a person
instead (no colours unless stderr is a terminal); ``BAPAS_LOG_LEVEL`` sets the level.

What a line carries beyond its message comes from the log context: code binds values
for a block (:func:`log_context`) or until the enclosing block ends
(:func:`bind_log_context`), and every line logged meanwhile, by any logger, carries
them. Nothing else is added: no request body, no record's extras, and tracebacks
without the values of local variables (they may hold a NIK or a name).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from enum import StrEnum
from typing import Any, Literal
from uuid import UUID

import structlog
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from structlog.stdlib import ProcessorFormatter
from structlog.typing import EventDict, Processor, WrappedLogger

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]

READING_ORDER = (
    "time",
    "level",
    "logger",
    "message",
    "service",
    "correlation_id",
    "event_id",
    "bapas_code",
)
"""The fields a JSON line starts with, in this order (those it has); the others follow."""

UVICORN_LOGGERS = ("uvicorn", "uvicorn.error")
UVICORN_ACCESS_LOGGER = "uvicorn.access"


class LogFormat(StrEnum):
    JSON = "json"
    CONSOLE = "console"


class LogSettings(BaseSettings):
    """How a process logs: ``BAPAS_LOG_FORMAT`` and ``BAPAS_LOG_LEVEL``."""

    model_config = SettingsConfigDict(env_prefix="BAPAS_LOG_", extra="ignore")

    format: LogFormat = Field(
        default=LogFormat.JSON,
        description="`json`: one JSON object per line, for collectors; `console`: lines "
        "for a person to read.",
    )
    level: LogLevel = Field(default="INFO", description="The lowest level written.")

    @field_validator("format", mode="before")
    @classmethod
    def _format_in_any_case(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("level", mode="before")
    @classmethod
    def _level_in_any_case(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value


class _StderrHandler(logging.Handler):
    """Writes each formatted record as one line to ``sys.stderr`` as it is at that moment.

    Looked up per line rather than held, so that a stream replaced later (a test's
    capture) receives the lines, and one ``write`` per line keeps concurrent lines whole.
    """

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
        except Exception:
            self.handleError(record)


_EVERY_LINE: tuple[Processor, ...] = (
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True, key="time"),
)
"""What every line gets, whether structlog or the standard library logged it."""


def configure_logging(
    service: str, *, log_format: LogFormat | str | None = None, level: str | None = None
) -> None:
    """Send every logger's lines to stderr in ``log_format`` from ``level`` up, each
    naming ``service``; what is not given comes from :class:`LogSettings`.

    Configuring again replaces the previous configuration: the root logger keeps one
    handler of ours, whatever else (a test's capture) is attached to it.
    """
    given: dict[str, Any] = {"format": log_format, "level": level}
    settings = LogSettings(**{name: value for name, value in given.items() if value is not None})
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_EVERY_LINE,
            ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = _StderrHandler()
    handler.setFormatter(
        ProcessorFormatter(
            foreign_pre_chain=_EVERY_LINE,
            processors=[
                ProcessorFormatter.remove_processors_meta,
                _naming_service(service),
                *_rendering(settings.format),
            ],
        )
    )
    root = logging.getLogger()
    for previous in [h for h in root.handlers if isinstance(h, _StderrHandler)]:
        root.removeHandler(previous)
    root.addHandler(handler)
    root.setLevel(settings.level)
    _uvicorn_through_root()
    logging.captureWarnings(True)  # a warning is a line like the others, not bare text


def _naming_service(service: str) -> Processor:
    def add_service(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
        event_dict["service"] = service
        return event_dict

    return add_service


def _rendering(log_format: LogFormat) -> list[Processor]:
    renamed = structlog.processors.EventRenamer("message")
    if log_format is LogFormat.CONSOLE:
        return [
            renamed,
            structlog.dev.ConsoleRenderer(
                colors=sys.stderr.isatty(),
                # Rich's tracebacks would show the local variables' values.
                exception_formatter=structlog.dev.plain_traceback,
                event_key="message",
                timestamp_key="time",
            ),
        ]
    return [
        structlog.processors.format_exc_info,
        renamed,
        _in_reading_order,
        # str() rather than structlog's repr() fallback: a UUID or a date as its text.
        structlog.processors.JSONRenderer(default=str),
    ]


def _in_reading_order(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    first = {key: event_dict.pop(key) for key in READING_ORDER if key in event_dict}
    return {**first, **event_dict}


def _uvicorn_through_root() -> None:
    """uvicorn configures its loggers with handlers of its own before it builds the app:
    its lines go through the root handler instead, at the root's level. Its access
    lines are silenced: they carry the raw path and query, and the request log's line
    (:mod:`shared.http.request_log`) says what they would, without either."""
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.setLevel(logging.NOTSET)
        logger.propagate = True
    access = logging.getLogger(UVICORN_ACCESS_LOGGER)
    access.handlers.clear()
    access.disabled = True


@contextmanager
def log_context(**values: object) -> Iterator[None]:
    """Every line logged in the block carries ``values`` (those that are not ``None``);
    afterwards the context is what it was before the block, whatever was bound in it."""
    before = structlog.contextvars.get_contextvars()
    bind_log_context(**values)
    try:
        yield
    finally:
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(**before)


def bind_log_context(**values: object) -> None:
    """Every line logged from here until the enclosing :func:`log_context` ends carries
    ``values`` (those that are not ``None``; a UUID as its text)."""
    structlog.contextvars.bind_contextvars(**_as_context(values))


def _as_context(values: Mapping[str, object]) -> dict[str, Any]:
    return {
        name: str(value) if isinstance(value, UUID) else value
        for name, value in values.items()
        if value is not None
    }
