"""The daily checks: MoUs expiring in 30 and in 7 days, supervision ending in 14 days,
a placement's retention check due (6 weeks and 6 months after the start).

Run as a periodic job by every instance (hourly by default). "Today" is the date at
each Bapas, in its own time zone (domain rule 5), read from an injectable clock. A
reminder is due from its day for a while (until the date itself; a week for a
retention check not yet recorded): a window, so a day the service was down is made
up. It is recorded once per (reminder, cause, recipient, channel) by the deliveries'
unique key, whichever instance or round gets there first. The cause is the event that
set the date (MoUSigned or the last MoURenewed; ClientReleased; ClientPlaced), so a
renewed MoU is reminded of again for its new end.
"""

from __future__ import annotations

from uuid import uuid4

from services.notifications.deliveries import NewDelivery, record_deliveries
from services.notifications.directory import (
    mous_ending_between,
    placements_at_checks,
    supervisions_ending_between,
)
from services.notifications.domain import (
    MOU_REMINDER_DAYS,
    RETENTION_REMINDER_DAYS,
    SUPERVISION_REMINDER_DAYS,
    Clock,
    mou_reminder,
    retention_check_due,
)
from services.notifications.notices import (
    Notice,
    delivery_of,
    mou_expiring_notices,
    retention_check_notices,
    supervision_ending_notices,
)
from services.notifications.settings import NotificationsSettings
from shared.events.employment import RetentionMilestone
from shared.reference import bapas_offices
from shared.runtime import ServiceRuntime


class ReminderCheck:
    def __init__(self, settings: NotificationsSettings, *, clock: Clock) -> None:
        self._sms_enabled = settings.sms_enabled
        self._clock = clock

    async def run(self, runtime: ServiceRuntime) -> None:
        """Record the reminders due today at each Bapas; the worker sends them."""
        now = self._clock()
        today_at = {office.code: office.today(now) for office in bapas_offices()}
        check = uuid4()  # the correlation id of this round's reminders
        notices: list[Notice] = []
        async with runtime.pool.acquire() as connection, connection.transaction():
            for mou in await mous_ending_between(connection, today_at, MOU_REMINDER_DAYS):
                today = today_at[mou.bapas_code]
                reminder = mou_reminder((mou.valid_until - today).days)
                if reminder is not None:
                    notices.extend(mou_expiring_notices(mou, reminder, today=today, check=check))
            for ending in await supervisions_ending_between(
                connection, today_at, SUPERVISION_REMINDER_DAYS
            ):
                notices.extend(
                    supervision_ending_notices(
                        ending, today=today_at[ending.bapas_code], check=check
                    )
                )
            for placement in await placements_at_checks(
                connection,
                today_at,
                [milestone.first_day for milestone in RetentionMilestone],
                RETENTION_REMINDER_DAYS,
            ):
                days = (today_at[placement.bapas_code] - placement.started_on).days
                milestone = retention_check_due(days, placement.checked)
                if milestone is not None:
                    notices.extend(retention_check_notices(placement, milestone, check=check))
            deliveries: list[NewDelivery] = [
                delivery
                for notice in notices
                if (delivery := delivery_of(notice, sms_enabled=self._sms_enabled)) is not None
            ]
            await record_deliveries(connection, deliveries)
