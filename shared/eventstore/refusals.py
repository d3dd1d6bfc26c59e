"""The ways the application says no, whatever the service and whoever asks.

Commands, queries and the scope rules refuse with these, never with an HTTP answer,
so the same code runs under the API, a command-line tool, a job or a plain test. Each
refusal's message is written for the caller. The shared HTTP conventions turn each
one into its problem document in one place: a broken business rule is a 409, a bad
value a 422 naming its body field, a change outside the caller's scope a 403, and
something the caller may not see (or that does not exist) a 404.
"""

from __future__ import annotations


class Refusal(Exception):
    """The application refuses what it was asked; the message says why, for the caller."""


class RuleViolated(Refusal):
    """A business rule refuses the command; the message says which and why."""


class InvalidValue(Refusal, ValueError):
    """A value of the command is wrong; ``field`` names it as the request body does."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NotPermitted(Refusal):
    """The caller may not do this: the change is outside its role or its scope."""


class NotVisible(Refusal):
    """Nothing with this id that the caller may see: none exists, or it lies outside the
    caller's scope. The two are one refusal with the same message, so that a caller
    cannot learn what exists outside its scope."""
