"""One rich console for every command, and the way a command reports a failure:
a clear sentence in red and exit code 1, never a traceback."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console

from shared.stack.errors import StackError

console = Console(highlight=False)

P = ParamSpec("P")
R = TypeVar("R")


def fail(message: str) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code=1)


def reports_stack_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn a ``StackError`` raised by ``command`` into a clear message and exit 1."""

    @wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except StackError as error:
            raise fail(str(error)) from None

    return wrapper
