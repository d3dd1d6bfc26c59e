"""Database URLs: the same server, another database. A URL may name a host and port or,
through its query, a Unix socket folder (``postgresql://user@/db?host=/run/pg``), so the
database is changed in the URL's path, never by cutting at its last slash."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def with_database(url: str, database: str) -> str:
    """``url`` with its database replaced by ``database``."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{database}"))
