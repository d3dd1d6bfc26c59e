"""The two ways a command is refused, whatever the service: a business rule says no
(HTTP 409, the message says which rule), or a value is wrong given the others or the
stored facts (HTTP 422 naming the body field). Aggregates raise them; the shared HTTP
conventions answer them."""

from __future__ import annotations


class RuleViolated(Exception):
    """A business rule refuses the command; the message says which and why."""


class InvalidValue(ValueError):
    """A value of the command is wrong; ``field`` names it as the request body does."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
