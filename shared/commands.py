"""The base of every command: what a caller asks a service to do, as one typed object.

A command is built once, from a request's body or by a test, and handed as it is from
the route through the application service to the aggregate's method, so its fields are
declared in one place. It is closed (an unknown field is refused, naming it) and
frozen, and its texts go through :func:`shared.guards.clean_texts` first: trimmed, never
blank, never holding a control character, never nested absurdly deep. A text it
refuses raises :class:`~shared.guards.TextRefused`, which is not a ``ValueError``, so
pydantic lets it through unchanged and the HTTP edge answers it with a 422 naming the
field.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

from shared.guards import clean_texts


class Command(BaseModel):
    """Base of every command and request body: closed, frozen, with clean texts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _clean_texts(cls, data: Any) -> Any:
        return clean_texts(data)
