"""One rich console for every command, and the way a command reports a failure:
a clear sentence in red and exit code 1, never a traceback."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console

from shared.kafka.connection import KafkaConnection
from shared.stack.errors import StackError
from shared.stack.services import running_local_stack

console = Console(highlight=False)

P = ParamSpec("P")
R = TypeVar("R")


def fail(message: str) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code=1)


def kafka_of_the_environment() -> KafkaConnection:
    """The ``KAFKA_*`` settings of a command; when ``KAFKA_BOOTSTRAP_SERVERS`` is unset, the
    brokers of the cluster ``make up`` runs, whatever its size. Settings that cannot work
    exit with the reason."""
    try:
        if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
            return KafkaConnection()
        return running_local_stack().kafka_connection
    except ValidationError as error:
        reasons = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in error.errors())
        raise fail(f"the Kafka settings cannot work: {reasons}") from None


def kafka_does_not_answer(kafka: KafkaConnection, error: BaseException) -> str:
    """What a command says when the brokers it was given do not answer."""
    return f"Kafka does not answer at {kafka.describe()}: is the stack up (`make up`)? ({error!r})"


def reports_stack_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn a ``StackError`` raised by ``command`` into a clear message and exit 1."""

    @wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except StackError as error:
            raise fail(str(error)) from None

    return wrapper
