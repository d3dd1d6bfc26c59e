"""A placement ended because its klien left the Bapas's supervision (revoked, or moved to
another Bapas), asked of the Placement aggregate alone: it ends on the day the klien
left, for that reason, never before the placement started nor before a check that found
the klien at work, and only once."""

from __future__ import annotations

import pytest

from services.employment.domain import Placement
from shared.events.employment import PlacementEnded, PlacementEndReason
from shared.eventstore.refusals import RuleViolated
from tests.rules.test_employment_rules import DAY, SIX_WEEKS_DUE, TODAY, a_placement, check

LEAVING = (PlacementEndReason.REVOKED, PlacementEndReason.MOVED)


def ended_event(placement: Placement) -> PlacementEnded:
    ended = placement.pending_events[-1]
    assert isinstance(ended, PlacementEnded)
    return ended


@pytest.mark.parametrize("reason", LEAVING)
def test_the_placement_ends_on_the_day_the_klien_left_for_that_reason(
    reason: PlacementEndReason,
) -> None:
    placement = a_placement()

    placement.end_as_the_klien_leaves(left_on=TODAY, reason=reason)

    ended = ended_event(placement)
    assert (ended.ended_on, ended.reason, ended.client_id, ended.employer_id) == (
        TODAY,
        reason,
        placement.client_id,
        placement.employer_id,
    )


def test_a_placement_starting_after_the_klien_left_ends_on_its_first_day() -> None:
    starts_on = TODAY + 5 * DAY
    placement = a_placement(started_on=starts_on)

    placement.end_as_the_klien_leaves(left_on=TODAY, reason=PlacementEndReason.REVOKED)

    assert ended_event(placement).ended_on == starts_on


def test_a_klien_found_at_work_after_the_day_they_left_ends_the_placement_on_that_check() -> None:
    placement = a_placement()
    check(placement, SIX_WEEKS_DUE)

    placement.end_as_the_klien_leaves(left_on=SIX_WEEKS_DUE - DAY, reason=PlacementEndReason.MOVED)

    assert ended_event(placement).ended_on == SIX_WEEKS_DUE


def test_a_placement_already_ended_does_not_end_again_when_the_klien_leaves() -> None:
    placement = a_placement()
    check(placement, SIX_WEEKS_DUE, still_employed=False)

    with pytest.raises(RuleViolated, match="cannot end again"):
        placement.end_as_the_klien_leaves(left_on=TODAY, reason=PlacementEndReason.REVOKED)
