"""The scope rules refuse with the application's own refusals, so they run without HTTP."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from uuid import UUID

import pytest

from shared.eventstore.refusals import NotPermitted, NotVisible
from shared.scope import Principal, Role

PROVINCES = {"balikpapan": "kalimantan-timur", "surabaya": "jawa-timur"}
OWN_POKMAS = UUID("00000000-0000-4000-8000-000000000001")
OTHER_POKMAS = UUID("00000000-0000-4000-8000-000000000002")

OFFICER = Principal(Role.BAPAS_OFFICER, "pk-1", bapas="balikpapan")
PARTNER = Principal(Role.POKMAS_PARTNER, "partner-1", bapas="balikpapan", pokmas_id=OWN_POKMAS)
REGIONAL = Principal(
    Role.REGIONAL, "kanwil-1", province="kalimantan-timur", bapas_provinces=PROVINCES
)
MINISTRY = Principal(Role.MINISTRY, "ditjenpas-1")


def test_a_write_outside_the_office_is_not_permitted() -> None:
    with pytest.raises(NotPermitted) as refused:
        OFFICER.require_write("surabaya")

    assert str(refused.value) == (
        "role bapas_officer may not make this change: it is outside its scope"
    )


@pytest.mark.parametrize("caller", [MINISTRY, REGIONAL], ids=lambda caller: caller.role)
def test_roles_that_only_read_are_not_permitted_to_write(caller: Principal) -> None:
    with pytest.raises(NotPermitted, match=f"^role {caller.role} may not make this change"):
        caller.require_write("balikpapan")


def test_a_partner_is_not_permitted_to_write_for_another_pokmas() -> None:
    with pytest.raises(NotPermitted):
        PARTNER.require_write("balikpapan", partner_of=OTHER_POKMAS)


def test_permitted_writes_pass() -> None:
    OFFICER.require_write("balikpapan")
    PARTNER.require_write("balikpapan", partner_of=OWN_POKMAS)


def test_an_item_of_another_office_is_not_visible_with_the_unknown_ids_detail() -> None:
    with pytest.raises(NotVisible) as refused:
        OFFICER.require_read("surabaya", detail="no klien with this id")

    assert str(refused.value) == "no klien with this id"


def test_an_item_of_another_province_is_not_visible() -> None:
    with pytest.raises(NotVisible) as refused:
        REGIONAL.require_read("surabaya")

    assert str(refused.value) == "not found"


def test_another_pokmas_is_not_visible_to_a_partner() -> None:
    with pytest.raises(NotVisible):
        PARTNER.require_read("balikpapan", pokmas_id=OTHER_POKMAS, detail="no Pokmas")


def test_visible_items_pass() -> None:
    OFFICER.require_read("balikpapan")
    REGIONAL.require_read("balikpapan")
    PARTNER.require_read("balikpapan", pokmas_id=OWN_POKMAS)
    MINISTRY.require_read("surabaya")


def test_the_scope_rules_load_without_the_web_framework() -> None:
    script = (
        "import sys, shared.scope, shared.eventstore.refusals; "
        "print(sorted(m for m in ('fastapi', 'starlette') if m in sys.modules))"
    )

    loaded = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).parents[2],
        capture_output=True,
        text=True,
        check=True,
    )

    assert loaded.stdout.strip() == "[]"
