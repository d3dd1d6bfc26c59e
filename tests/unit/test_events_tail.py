"""``bapas events tail`` shows one readable line per event."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

from shared.cli.tail import describe
from shared.events.envelope import Actor, new_envelope
from shared.events.pokmas import MoUSigned


def test_a_line_names_the_office_the_type_the_aggregate_and_the_key_fields() -> None:
    mou_id = uuid4()
    event = new_envelope(
        MoUSigned(
            mou_id=mou_id,
            pokmas_id=uuid4(),
            number="PKS-07/2026",
            signed_on=date(2026, 1, 5),
            valid_from=date(2026, 1, 5),
            valid_until=date(2026, 12, 31),
            scope=("ac_repair",),
        ),
        bapas_code="balikpapan",
        aggregate_version=1,
        correlation_id=uuid4(),
        actor=Actor(role="bapas_officer", sub="pk-001"),
        occurred_at=datetime(2026, 1, 5, 2, 0, tzinfo=UTC),
        recorded_at=datetime(2026, 1, 5, 2, 0, 1, tzinfo=UTC),
    )

    line = describe(event)

    assert "balikpapan" in line
    assert "MoUSigned" in line
    assert f"mou:{str(mou_id)[:8]} v1" in line
    assert "number=PKS-07/2026" in line
    assert "valid_until=2026-12-31" in line
    assert "pokmas_id" not in line
