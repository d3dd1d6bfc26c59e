"""Every logger of a service writes one JSON object per line on stderr (time, level,
logger, message, service, and the log context's correlation id, event id and Bapas),
or a line for a person with ``BAPAS_LOG_FORMAT=console``; configuring twice never
doubles a line."""

from __future__ import annotations

import json
import logging
import logging.config
import warnings
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
import structlog
import uvicorn.config
from pydantic import ValidationError

from shared.observability.logs import (
    UVICORN_ACCESS_LOGGER,
    UVICORN_LOGGERS,
    bind_log_context,
    configure_logging,
    log_context,
)

ESCAPE = "\x1b"
"""Starts every ANSI colour code."""


@pytest.fixture(autouse=True)
def logging_as_before() -> Iterator[None]:
    """Each test configures logging its own way; the session's is restored afterwards."""
    logging.captureWarnings(False)  # so that the test's configuration captures them anew
    root = logging.getLogger()
    saved_root = (root.handlers[:], root.level)
    saved_uvicorn = {
        name: (logger.handlers[:], logger.level, logger.propagate, logger.disabled)
        for name in (*UVICORN_LOGGERS, UVICORN_ACCESS_LOGGER)
        for logger in [logging.getLogger(name)]
    }
    yield
    root.handlers[:], root.level = saved_root
    for name, (handlers, level, propagate, disabled) in saved_uvicorn.items():
        logger = logging.getLogger(name)
        logger.handlers[:], logger.level, logger.propagate, logger.disabled = (
            handlers,
            level,
            propagate,
            disabled,
        )
    structlog.contextvars.clear_contextvars()
    logging.captureWarnings(False)


def json_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    """What was written to stderr, each line parsed as one JSON object."""
    return [json.loads(line) for line in capsys.readouterr().err.splitlines()]


def test_a_library_line_is_one_json_object_with_time_level_logger_message_and_service(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("pokmas", log_format="json")

    logging.getLogger("asyncpg.pool").warning("connection %s lost", 1)

    [line] = json_lines(capsys)
    assert {key: line[key] for key in ("level", "logger", "message", "service")} == {
        "level": "warning",
        "logger": "asyncpg.pool",
        "message": "connection 1 lost",
        "service": "pokmas",
    }
    assert datetime.fromisoformat(line["time"]).utcoffset() == timedelta(0)
    assert list(line)[:5] == ["time", "level", "logger", "message", "service"]


def test_a_structlog_line_carries_its_fields(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("insights", log_format="json")

    structlog.get_logger("services.insights.figures").info("figures read", rows=3)

    [line] = json_lines(capsys)
    assert (line["logger"], line["message"], line["service"], line["rows"]) == (
        "services.insights.figures",
        "figures read",
        "insights",
        3,
    )


def test_an_exception_is_one_text_field_of_its_line(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("enrolment", log_format="json")

    offices: dict[str, str] = {}
    try:
        offices["missing"]
    except KeyError:
        logging.getLogger("services.enrolment").exception("could not apply")

    [line] = json_lines(capsys)
    assert (line["level"], line["message"]) == ("error", "could not apply")
    assert line["exception"].startswith("Traceback (most recent call last):")
    assert "KeyError: 'missing'" in line["exception"]


def test_lines_in_a_log_context_carry_it_and_lines_after_it_do_not(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("notifications", log_format="json")
    correlation_id, event_id = uuid4(), uuid4()
    log = logging.getLogger("services.notifications.worker")

    with log_context(correlation_id=correlation_id, bapas_code="balikpapan"):
        with log_context(event_id=event_id):
            log.info("inside both")
        log.info("inside the request only")
    log.info("after")

    inner, outer, after = json_lines(capsys)
    assert (inner["correlation_id"], inner["event_id"], inner["bapas_code"]) == (
        str(correlation_id),
        str(event_id),
        "balikpapan",
    )
    assert (outer["correlation_id"], outer["bapas_code"]) == (str(correlation_id), "balikpapan")
    assert "event_id" not in outer
    assert not {"correlation_id", "event_id", "bapas_code"} & set(after)


def test_what_is_bound_inside_a_log_context_ends_with_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("pokmas", log_format="json")
    log = logging.getLogger("shared.http")

    with log_context(correlation_id=uuid4()):
        bind_log_context(bapas_code="samarinda", event_id=None)
        log.info("authenticated")
    log.info("next request")

    authenticated, after = json_lines(capsys)
    assert authenticated["bapas_code"] == "samarinda"
    assert "event_id" not in authenticated
    assert "bapas_code" not in after


def test_console_format_is_a_readable_line_without_colours(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("pokmas", log_format="console")

    with log_context(correlation_id="c0ffee00-0000-4000-8000-000000000000"):
        logging.getLogger("asyncpg.pool").warning("connection %s lost", 1)

    [line] = capsys.readouterr().err.splitlines()
    assert "connection 1 lost" in line
    assert "[warning" in line
    assert "[asyncpg.pool]" in line
    assert "service=pokmas" in line
    assert "correlation_id=c0ffee00-0000-4000-8000-000000000000" in line
    assert ESCAPE not in line
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)


def test_format_and_level_come_from_the_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BAPAS_LOG_FORMAT", "console")
    monkeypatch.setenv("BAPAS_LOG_LEVEL", "warning")
    configure_logging("pokmas")
    log = logging.getLogger("services.pokmas")

    log.info("not written")
    log.warning("written")

    [line] = capsys.readouterr().err.splitlines()
    assert "written" in line
    assert not line.startswith("{")


def test_an_unknown_format_is_refused_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BAPAS_LOG_FORMAT", "xml")

    with pytest.raises(ValidationError, match="format"):
        configure_logging("pokmas")


def test_configuring_twice_writes_each_line_once_in_the_last_configuration(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("pokmas", log_format="console")
    configure_logging("enrolment", log_format="json")

    logging.getLogger("asyncpg.pool").warning("connection closed")

    [line] = json_lines(capsys)
    assert (line["service"], line["message"]) == ("enrolment", "connection closed")


def test_uvicorn_lines_go_through_the_root_handler_after_uvicorn_configured_its_own(
    capsys: pytest.CaptureFixture[str],
) -> None:
    logging.config.dictConfig(uvicorn.config.LOGGING_CONFIG)  # what uvicorn does first
    configure_logging("insights", log_format="json")

    logging.getLogger("uvicorn.error").info("Started server process [%d]", 42)
    logging.getLogger("uvicorn.access").info('127.0.0.1 - "GET /api/v1/clients?nik=64 HTTP/1.1"')

    [line] = json_lines(capsys)
    assert (line["logger"], line["message"], line["service"]) == (
        "uvicorn.error",
        "Started server process [42]",
        "insights",
    )


def test_a_warning_is_a_json_line_too(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("pokmas", log_format="json")

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("a deprecated option", DeprecationWarning, stacklevel=1)

    [line] = json_lines(capsys)
    assert line["logger"] == "py.warnings"
    assert "a deprecated option" in line["message"]
