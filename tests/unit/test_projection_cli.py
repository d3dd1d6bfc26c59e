"""``bapas projection rebuild`` is told what to rebuild: one projection, or ``--all``.
Anything else is a clear sentence and exit code 1, before anything is touched."""

from __future__ import annotations

from typer.testing import CliRunner

from shared.cli.main import app
from shared.cli.projection import known_services


def _rebuild(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["projection", "rebuild", *args])
    return result.exit_code, " ".join(result.output.split())


def test_a_rebuild_without_a_projection_or_all_asks_for_one_of_them() -> None:
    code, output = _rebuild("enrolment")

    assert code == 1
    assert "name the PROJECTION of enrolment to rebuild, or give --all" in output


def test_a_rebuild_of_a_projection_and_all_at_once_is_refused() -> None:
    code, output = _rebuild("enrolment", "pokmas", "--all")

    assert code == 1
    assert "give one PROJECTION or --all, not both" in output


def test_a_rebuild_of_everything_of_an_unknown_service_names_the_known_ones() -> None:
    code, output = _rebuild("nowhere", "--all")

    assert code == 1
    assert f"unknown service 'nowhere'; known: {', '.join(known_services())}" in output


def test_a_rebuild_of_an_unknown_projection_names_the_service_s_projections() -> None:
    code, output = _rebuild("pokmas", "seats")

    assert code == 1
    assert "the pokmas service has no projection 'seats'; known: programme_seats" in output
    assert "Traceback" not in output
