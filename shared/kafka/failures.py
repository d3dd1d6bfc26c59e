"""Tells a Kafka that is not there yet from a Kafka that will not let this client in.

A broker that is still starting is worth waiting for; one that refuses the credentials,
does not offer the SASL mechanism asked for, or presents a certificate the client cannot
trust will refuse the next attempt just the same. Such a refusal is reported at once,
saying which setting to check, and never showing the password.

aiokafka's clients hide the cause: when no bootstrap server lets them in, they raise
only "Unable to bootstrap", having logged each server's error. So the errors are taken
from that log while a client starts (:func:`connection_failures`); a caller that holds
the error itself classifies it with :func:`refusal`.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from aiokafka.errors import (
    AuthenticationFailedError,
    AuthenticationMethodNotSupported,
    IllegalSaslStateError,
    SaslAuthenticationFailed,
    UnsupportedSaslMechanismError,
)

AIOKAFKA_LOGGER = "aiokafka"


class KafkaRefused(RuntimeError):
    """Kafka answered, but will not let this client in: no retry can help."""


@dataclass(frozen=True)
class ConnectionFailure:
    """Why one connection to ``address`` (``host:port``) failed."""

    address: str
    error: BaseException


def refusal(error: BaseException, *, at: str) -> KafkaRefused | None:
    """``error``, met connecting to the Kafka at ``at`` (an address, or a connection's
    description), as a refusal that names the setting to check; ``None`` when it may
    pass (a broker still starting, a network that recovers)."""
    match error:
        case SaslAuthenticationFailed() | AuthenticationFailedError():
            return KafkaRefused(
                f"Kafka at {at} refused the credentials ({_reason(error)}): "
                "check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"
            )
        case UnsupportedSaslMechanismError() | AuthenticationMethodNotSupported():
            return KafkaRefused(
                f"Kafka at {at} does not offer the SASL mechanism asked for "
                f"({_reason(error)}): check KAFKA_SASL_MECHANISM"
            )
        case IllegalSaslStateError():
            return KafkaRefused(
                f"Kafka at {at} does not expect SASL on that listener: "
                "check KAFKA_SECURITY_PROTOCOL and KAFKA_BOOTSTRAP_SERVERS"
            )
        case ssl.SSLCertVerificationError():
            return KafkaRefused(
                f"Kafka at {at} presented a certificate this client cannot trust "
                f"({error.verify_message}): check KAFKA_SSL_CAFILE (the CA that signed the "
                "brokers' certificates) and that KAFKA_BOOTSTRAP_SERVERS names the brokers "
                "as their certificates do"
            )
    return None


def first_refusal(failures: Iterable[ConnectionFailure]) -> KafkaRefused | None:
    """The first of ``failures`` that is a refusal, said of the address it came from."""
    for failure in failures:
        refused = refusal(failure.error, at=failure.address)
        if refused is not None:
            return refused
    return None


@contextmanager
def connection_failures() -> Iterator[list[ConnectionFailure]]:
    """The connection failures aiokafka logs meanwhile, as they come.

    They are what its log records carry: an error, after the host and port when the
    record names them. Records that aiokafka's logger level drops are not seen.
    """
    collector = _FailureCollector()
    logger = logging.getLogger(AIOKAFKA_LOGGER)
    logger.addHandler(collector)
    try:
        yield collector.failures
    finally:
        logger.removeHandler(collector)


class _FailureCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.failures: list[ConnectionFailure] = []

    def emit(self, record: logging.LogRecord) -> None:
        arguments = record.args if isinstance(record.args, tuple) else ()
        errors = [argument for argument in arguments if isinstance(argument, BaseException)]
        if not errors:
            return
        host_and_port = arguments[:2]
        address = (
            f"{host_and_port[0]}:{host_and_port[1]}"
            if len(host_and_port) == 2 and isinstance(host_and_port[1], int)
            else "the bootstrap servers"
        )
        self.failures.extend(ConnectionFailure(address, error) for error in errors)


def _reason(error: BaseException) -> str:
    """What the broker said, when it said something; else the error's kind."""
    said = error.args[0] if error.args else None
    return said if isinstance(said, str) and said else type(error).__name__
