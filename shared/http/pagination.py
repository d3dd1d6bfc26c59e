"""Cursor pagination for every list endpoint: ``limit``, an opaque ``cursor``, a page.

The API contract fixes the shape (``limit`` default 50, max 500; ``{"items", "next_cursor"}``).
Keyset pagination keeps a deep page as cheap as the first one over 200,000 klien:
the cursor carries the sort key of the last item shown, and the next query asks for
the rows after it. The key travels as URL-safe base64 of its JSON, so clients treat
it as opaque while the service decodes it with the key's own type.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, TypeAdapter, ValidationError

from shared.http.problems import FieldError, Unprocessable

DEFAULT_LIMIT = 50
MAX_LIMIT = 500

K = TypeVar("K")
T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list; ``next_cursor`` is ``None`` on the last page."""

    items: list[T]
    next_cursor: str | None


class CursorCodec(Generic[K]):
    """How one list's sort key travels in its cursor, e.g. ``CursorCodec(tuple[datetime, UUID])``.

    Build one per list at import time: it compiles a pydantic validator for the key.
    """

    def __init__(self, key_type: type[K]) -> None:
        self._adapter: TypeAdapter[K] = TypeAdapter(key_type)

    def encode(self, key: K) -> str:
        return base64.urlsafe_b64encode(self._adapter.dump_json(key)).rstrip(b"=").decode()

    def decode(self, cursor: str) -> K:
        """The key in ``cursor``; a 422 naming ``query.cursor`` if it is not one of ours.

        A cursor is what a client sends back, so it may be anything: a date at the edge
        of the calendar or a time without its zone would reach the database and fail
        there, so only keys a list could have given out are accepted.
        """
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            key = self._adapter.validate_json(raw)
        except (binascii.Error, ValueError, ValidationError, OverflowError):
            # ValidationError is a ValueError; named for the reader.
            key = None
        if key is None or not _could_be_given_out(key):
            raise Unprocessable(
                "invalid cursor",
                errors=[FieldError("query.cursor", "not a cursor this list gave out")],
            )
        return key


_FIRST_YEAR, _LAST_YEAR = 1970, 2200
"""No item of the platform is dated outside these years."""


def _could_be_given_out(key: object) -> bool:
    """Whether every date and time in the key is one a list item could carry."""
    parts = key if isinstance(key, tuple | list) else (key,)
    for part in parts:
        if isinstance(part, datetime) and (part.tzinfo is None or part.utcoffset() is None):
            return False
        if isinstance(part, date) and not _FIRST_YEAR <= part.year <= _LAST_YEAR:
            return False
        if isinstance(part, int) and not -(2**63) <= part < 2**63:
            return False
    return True


@dataclass(frozen=True, slots=True)
class PageRequest:
    """The ``limit`` and ``cursor`` a list request came with."""

    limit: int
    cursor: str | None

    def after(self, codec: CursorCodec[K]) -> K | None:
        """The sort key to continue after, or ``None`` for the first page."""
        return None if self.cursor is None else codec.decode(self.cursor)

    def page(self, rows: Sequence[T], codec: CursorCodec[K], key: Callable[[T], K]) -> Page[T]:
        """The page for rows fetched with ``LIMIT limit + 1``: the extra row means "more"."""
        items = list(rows[: self.limit])
        more = len(rows) > self.limit
        return Page(items=items, next_cursor=codec.encode(key(items[-1])) if more else None)

    @property
    def fetch_limit(self) -> int:
        """The SQL ``LIMIT`` to use: one more row than the page shows."""
        return self.limit + 1


# ``async`` so that FastAPI runs it on the event loop, not in its thread pool.
async def page_request(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page")] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(max_length=1024, description="The `next_cursor` of the previous page"),
    ] = None,
) -> PageRequest:
    """The dependency for a list endpoint's paging parameters."""
    return PageRequest(limit=limit, cursor=cursor)
