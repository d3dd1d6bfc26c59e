"""Database URLs: the local stack's, through PostgreSQL's Unix socket where the kernel
allows its path, and another database on the same server, whichever way it is reached."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.postgres.statements import Statement
from shared.postgres.urls import with_database
from shared.stack.paths import StackPaths
from shared.stack.postgres import PostgresServer


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgresql://postgres@127.0.0.1:55432/postgres",
            "postgresql://postgres@127.0.0.1:55432/pokmas",
        ),
        (
            "postgresql://postgres@/postgres?host=/srv/bapas/var/postgres/run&port=55432",
            "postgresql://postgres@/pokmas?host=/srv/bapas/var/postgres/run&port=55432",
        ),
        ("postgresql://user:secret@db.internal/", "postgresql://user:secret@db.internal/pokmas"),
    ],
    ids=["tcp", "unix socket", "no database"],
)
def test_another_database_keeps_the_server_and_how_it_is_reached(url: str, expected: str) -> None:
    assert with_database(url, "pokmas") == expected


def test_the_stack_connects_through_its_socket_and_names_the_database() -> None:
    server = PostgresServer(StackPaths(root=Path("/srv/bapas"), var=Path("/srv/bapas/var")))

    assert server.url("enrolment") == (
        "postgresql://postgres@/enrolment?host=/srv/bapas/var/postgres/run&port=55432"
    )


def test_a_socket_path_too_long_for_the_kernel_falls_back_to_tcp() -> None:
    deep = Path("/srv") / ("a-very-long-folder-name-" * 5)
    server = PostgresServer(StackPaths(root=deep, var=deep / "var"), port=55433)

    assert server.socket_directory is None
    assert server.url("pokmas") == "postgresql://postgres@127.0.0.1:55433/pokmas"


def test_a_statement_follows_the_parameters_of_the_one_it_is_folded_into() -> None:
    statement = Statement("UPDATE mous SET status = $2 WHERE mou_id = $1 AND $2 <> $10", 1, 2)

    assert statement.shifted(13) == (
        "UPDATE mous SET status = $15 WHERE mou_id = $14 AND $15 <> $23"
    )
    assert statement.args == (1, 2)
