"""The enrolment commands' records kept beside an event store in memory, for tests of
the rules that span aggregates without PostgreSQL.

The klien and enrolments are the store's own aggregates, replayed from their events,
and which enrolments hold a seat is the domain's say, as in the service. The programmes
and MoUs are what the pokmas events would have told the service: the test sets them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from uuid import UUID

from services.enrolment.domain import (
    OPEN,
    Client,
    Enrolment,
    MoU,
    PrivateNote,
    Programme,
    ProgrammeTerms,
    Seat,
)
from services.enrolment.profiles import ClientProfile
from services.enrolment.records import EnrolmentPlace, EnrolmentRecords
from shared.events.envelope import AggregateType
from shared.eventstore.memory import InMemoryEventStore
from shared.eventstore.unit_of_work import UnitOfWork


@dataclass
class RecordsInMemory:
    """:class:`~services.enrolment.records.EnrolmentRecords` beside ``store``."""

    store: InMemoryEventStore
    programmes: dict[UUID, Programme] = field(default_factory=dict)
    mous: dict[UUID, MoU] = field(default_factory=dict)
    registered_niks: dict[tuple[str, str], UUID] = field(default_factory=dict)
    """The klien holding each (Bapas, NIK)."""
    notes: dict[tuple[UUID, str], str] = field(default_factory=dict)
    """The notes kept out of the events, by klien and what they are about."""

    def of(self, work: UnitOfWork) -> EnrolmentRecords:
        return self

    async def lock_client(self, client_id: UUID) -> str | None:
        history = await self.store.load_history(client_id)
        if not history or history[0].aggregate_type is not AggregateType.CLIENT:
            return None
        return (await self.store.load(Client, client_id)).bapas_code  # moves with a transfer

    async def lock_programme(self, programme_id: UUID) -> Programme | None:
        return self.programmes.get(programme_id)

    async def mou(self, mou_id: UUID) -> MoU | None:
        return self.mous.get(mou_id)

    async def seats_taken(self, programme_id: UUID) -> int:
        return sum(
            enrolment.programme_id == programme_id and enrolment.status.holds_a_seat
            for enrolment in await self._enrolments()
        )

    async def seats_of(self, client_id: UUID) -> Sequence[Seat]:
        return [
            Seat(
                programme_id=enrolment.programme_id,
                starts_on=self.programmes[enrolment.programme_id].starts_on,
                ends_on=self.programmes[enrolment.programme_id].ends_on,
            )
            for enrolment in await self._enrolments()
            if enrolment.client_id == client_id and enrolment.status.holds_a_seat
        ]

    async def lock_enrolment(self, enrolment_id: UUID) -> EnrolmentPlace | None:
        history = await self.store.load_history(enrolment_id)
        if not history or history[0].aggregate_type is not AggregateType.ENROLMENT:
            return None
        enrolment = await self.store.load(Enrolment, enrolment_id)
        programme = self.programmes[enrolment.programme_id]
        return EnrolmentPlace(
            bapas_code=enrolment.bapas_code,
            pokmas_id=programme.pokmas_id,
            terms=ProgrammeTerms(
                starts_on=programme.starts_on,
                ends_on=programme.ends_on,
                sessions_planned=programme.sessions_planned,
            ),
        )

    async def keep_profile(self, client_id: UUID, bapas_code: str, profile: ClientProfile) -> bool:
        if (bapas_code, profile.nik) in self.registered_niks:
            return False
        self.registered_niks[bapas_code, profile.nik] = client_id
        return True

    async def lock_open_enrolments(self, client_id: UUID) -> list[UUID]:
        return sorted(
            enrolment.id
            for enrolment in await self._enrolments()
            if enrolment.client_id == client_id and enrolment.status in OPEN
        )

    async def move_profile(self, client_id: UUID, to_bapas_code: str) -> bool:
        held = [key for key, holder in self.registered_niks.items() if holder == client_id]
        if any((to_bapas_code, nik) in self.registered_niks for _, nik in held):
            return False
        for bapas_code, nik in held:
            del self.registered_niks[bapas_code, nik]
            self.registered_niks[to_bapas_code, nik] = client_id
        return True

    async def keep_note(self, note: PrivateNote) -> bool:
        if note.client_id not in self.registered_niks.values():
            return False  # its profile is erased: no key to seal the note under
        self.notes[note.client_id, note.about] = note.text
        return True

    async def erase_profile(self, client_id: UUID) -> None:
        self.notes = {key: text for key, text in self.notes.items() if key[0] != client_id}
        self.registered_niks = {
            key: holder for key, holder in self.registered_niks.items() if holder != client_id
        }

    async def _enrolments(self) -> list[Enrolment]:
        ids = dict.fromkeys(
            envelope.aggregate_id
            for envelope in self.store.published
            if envelope.aggregate_type is AggregateType.ENROLMENT
        )
        return [await self.store.load(Enrolment, enrolment_id) for enrolment_id in ids]
