"""Valid events and a small aggregate over them, for tests of the core that need
real contract events without a service's domain."""

from __future__ import annotations

from uuid import UUID, uuid4

from shared.events.envelope import AggregateType, EventPayload
from shared.events.pokmas import Contact, PokmasContactChanged, PokmasKind, PokmasRegistered
from shared.eventstore.aggregate import Aggregate


def contact(name: str = "Ibu Sari") -> Contact:
    return Contact(name=name, phone="+62 812 5555 0101", email="sari@pokmas.example")


def registered(
    pokmas_id: UUID | None = None, name: str = "Pokmas Maju Bersama"
) -> PokmasRegistered:
    return PokmasRegistered(
        pokmas_id=pokmas_id or uuid4(),
        name=name,
        kind=PokmasKind.ORGANISATION,
        contact=contact(),
        address="Jl. Jenderal Sudirman 1, Balikpapan",
        skills=("ac_repair",),
    )


class PartnerRecord(Aggregate):
    """A Pokmas reduced to its name and contact: enough to exercise the store."""

    aggregate_type = AggregateType.POKMAS

    name: str
    contact_name: str

    @classmethod
    def register(cls, bapas_code: str, name: str) -> PartnerRecord:
        event = registered(name=name)
        partner = cls(event.pokmas_id, bapas_code)
        partner.record(event)
        return partner

    def change_contact(self, name: str) -> None:
        self.record(PokmasContactChanged(pokmas_id=self.id, contact=contact(name)))

    def apply(self, event: EventPayload) -> None:
        match event:
            case PokmasRegistered(name=name, contact=contact):
                self.name = name
                self.contact_name = contact.name
            case PokmasContactChanged(contact=contact):
                self.contact_name = contact.name
