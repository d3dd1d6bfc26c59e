"""The supervision events of a :class:`World`'s klien, as the enrolment service records
them: a missed due date of wajib lapor, a recommendation to revoke, and a transfer to
another office (with the new office's PK officer, or none named), with the withdrawal
from training that a move brings.

A transfer's reason is free text, and an officer may well write the klien's name and
NIK in it; the reason here does, so that a test can check that no message repeats it.
The new office is Samarinda: with the topics' 12 partitions its key shares Balikpapan's
partition, so a consumer reads the two offices' events in the order they were sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

from shared.events.enrolment import (
    ClientTransferredIn,
    ClientTransferredOut,
    PkOfficer,
    ReportMissed,
    RevocationRecommended,
    TrainingWithdrawn,
    WithdrawalReason,
)
from shared.events.envelope import Actor, Envelope, EventPayload, new_envelope
from shared.reference import bapas_office
from tests.notifications.world import World

Event = Envelope[EventPayload]

KLIEN_NAME = "Ahmad Fauzi"
KLIEN_NIK = "6471051203900001"
NEW_BAPAS = "samarinda"


def recorded(payload: EventPayload, *, bapas_code: str, at: datetime | None = None) -> Event:
    """``payload`` as its service records it at ``bapas_code`` (now, unless ``at``)."""
    when = at or datetime.now(UTC)
    return new_envelope(
        payload,
        bapas_code=bapas_code,
        aggregate_version=1,
        correlation_id=uuid4(),
        actor=Actor(role="bapas_officer", sub="officer-test"),
        occurred_at=when,
        recorded_at=when,
    )


@dataclass
class Supervision:
    """The supervision of ``world``'s klien, and its move to the office ``new_bapas_code``."""

    world: World
    new_bapas_code: str = NEW_BAPAS
    new_officer_email: str | None = field(
        default_factory=lambda: f"pk-baru-{uuid4().hex[:10]}@bapas.example"
    )
    new_officer_phone: str | None = "+62 811 5800 0002"

    @property
    def new_office_email(self) -> str:
        return bapas_office(self.new_bapas_code).email

    @property
    def new_officer(self) -> PkOfficer:
        return PkOfficer(
            id=f"NIP-baru-{self.world.tag}",
            name="Ibu Siti Rahmawati",
            email=self.new_officer_email,
            phone=self.new_officer_phone,
        )

    def missed_due_dates(self, count: int = 3) -> list[date]:
        """The first ``count`` due dates of a streak of misses, every 30 days; the third
        was yesterday."""
        first = self.world.today - timedelta(days=61)
        return [first + timedelta(days=30 * n) for n in range(count)]

    def report_missed(self, in_a_row: int = 1) -> ReportMissed:
        """The ``in_a_row``-th miss of the streak of :meth:`missed_due_dates`."""
        return ReportMissed(
            client_id=self.world.client_id,
            due_on=self.missed_due_dates(in_a_row)[-1],
            missed_in_a_row=in_a_row,
        )

    def revocation_recommended(self, missed: Sequence[date] | None = None) -> RevocationRecommended:
        return RevocationRecommended(
            client_id=self.world.client_id,
            recommended_on=self.world.today,
            missed_due_dates=list(missed or self.missed_due_dates()),
        )

    def withdrawn_for_the_move(self) -> TrainingWithdrawn:
        return TrainingWithdrawn(
            enrolment_id=self.world.enrolment_id,
            client_id=self.world.client_id,
            programme_id=self.world.programme_id,
            withdrawn_on=self.world.today,
            reason_code=WithdrawalReason.MOVED,
        )

    def transferred_out(self) -> ClientTransferredOut:
        return ClientTransferredOut(
            client_id=self.world.client_id,
            to_bapas_code=self.new_bapas_code,
            transferred_on=self.world.today,
            reason=f"{KLIEN_NAME} (NIK {KLIEN_NIK}) bekerja di bengkel kakaknya di Samarinda",
        )

    def transferred_in(self, *, officer_named: bool = True) -> ClientTransferredIn:
        return ClientTransferredIn(
            client_id=self.world.client_id,
            from_bapas_code=self.world.bapas_code,
            transferred_on=self.world.today,
            pk_officer=self.new_officer if officer_named else None,
        )

    def story(self, *, officer_named: bool = True) -> list[Event]:
        """The klien released, withdrawn from training by its move, moved, and
        recommended for revocation at the new office, each event recorded at the office
        it belongs to."""
        old, new = self.world.bapas_code, self.new_bapas_code
        return [
            recorded(self.world.client_released(), bapas_code=old),
            recorded(self.withdrawn_for_the_move(), bapas_code=old),
            recorded(self.transferred_out(), bapas_code=old),
            recorded(self.transferred_in(officer_named=officer_named), bapas_code=new),
            recorded(self.revocation_recommended(), bapas_code=new),
        ]
