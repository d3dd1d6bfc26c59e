"""The pokmas service's application service on an event store in memory: who may give them, the
rules that span aggregates (a programme's MoU is its own Pokmas's), concurrent changes
and what a refused command leaves behind, through the same unit of work as the
service's, without Kafka, PostgreSQL or HTTP."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

import pytest

from services.pokmas.application import PokmasApplication
from services.pokmas.commands import (
    ChangeContact,
    CloseProgramme,
    OpenProgramme,
    RegisterPokmas,
    RenewMoU,
    SignMoU,
    TerminateMoU,
)
from services.pokmas.domain import MoU, Pokmas
from shared.events.envelope import Actor
from shared.events.pokmas import Contact, PokmasKind
from shared.eventstore.memory import InMemoryEventStore
from shared.eventstore.refusals import InvalidValue, NotPermitted
from shared.eventstore.store import CommandContext, ConcurrencyConflict
from shared.eventstore.unit_of_work import unit_of_work
from shared.http import Principal, Role

NOW = datetime(2025, 3, 3, 3, 0, tzinfo=UTC)
CONTACT = Contact(name="Ibu Ani", phone="+62 812 1111 2222", email="ani@pokmas.example")


def officer(bapas: str = "balikpapan") -> Principal:
    return Principal(role=Role.BAPAS_OFFICER, sub=f"pk.{bapas}", bapas=bapas)


def partner(pokmas_id: UUID, bapas: str = "balikpapan") -> Principal:
    return Principal(role=Role.POKMAS_PARTNER, sub="partner", bapas=bapas, pokmas_id=pokmas_id)


def application(store: InMemoryEventStore, caller: Principal) -> PokmasApplication:
    context = CommandContext(actor=Actor(role=caller.role.value, sub=caller.sub), occurred_at=NOW)
    return PokmasApplication(store=store, caller=caller, context=context)


async def register(
    store: InMemoryEventStore, bapas: str = "balikpapan", *, caller: Principal | None = None
) -> UUID:
    events = await application(store, caller or officer(bapas)).register_pokmas(
        RegisterPokmas(
            bapas_code=bapas,
            name="Pokmas Maju Bersama",
            kind=PokmasKind.ORGANISATION,
            contact=CONTACT,
            address="Jl. Ahmad Yani 5",
            skills=("ac_repair",),
        )
    )
    return events[-1].aggregate_id


async def sign(store: InMemoryEventStore, pokmas_id: UUID) -> UUID:
    events = await application(store, officer()).sign_mou(
        pokmas_id,
        SignMoU(
            number="PKS/BPP/001/2025",
            signed_on=date(2025, 3, 1),
            valid_from=date(2025, 3, 1),
            valid_until=date(2025, 12, 31),
            scope=("ac_repair",),
        ),
    )
    return events[-1].aggregate_id


async def open_programme(
    store: InMemoryEventStore, caller: Principal, pokmas_id: UUID, mou_id: UUID
) -> UUID:
    events = await application(store, caller).open_programme(
        pokmas_id,
        OpenProgramme(
            mou_id=mou_id,
            skill="ac_repair",
            title="Servis AC rumah tangga",
            capacity=12,
            starts_on=date(2025, 4, 1),
            ends_on=date(2025, 6, 30),
            sessions_planned=16,
            location="Balai latihan kerja",
        ),
    )
    return events[-1].aggregate_id


async def test_a_registered_pokmas_is_stored_with_its_event_and_the_caller_as_actor() -> None:
    store = InMemoryEventStore()

    pokmas_id = await register(store)

    stored = await store.load(Pokmas, pokmas_id)
    assert (stored.bapas_code, stored.version) == ("balikpapan", 1)
    assert [(e.event_type, e.actor.sub) for e in store.published] == [
        ("PokmasRegistered", "pk.balikpapan")
    ]


async def test_an_officer_of_another_bapas_may_not_register_a_pokmas_here() -> None:
    store = InMemoryEventStore()

    with pytest.raises(NotPermitted):
        await register(store, "balikpapan", caller=officer("samarinda"))

    assert store.published == []


async def test_the_pokmas_partner_opens_a_programme_under_its_own_mou() -> None:
    store = InMemoryEventStore()
    pokmas_id = await register(store)
    mou_id = await sign(store, pokmas_id)

    await open_programme(store, partner(pokmas_id), pokmas_id, mou_id)

    assert [e.event_type for e in store.published] == [
        "PokmasRegistered",
        "MoUSigned",
        "ProgrammeOpened",
    ]


async def test_the_partner_of_another_pokmas_may_not_open_its_programmes() -> None:
    store = InMemoryEventStore()
    pokmas_id = await register(store)
    mou_id = await sign(store, pokmas_id)
    other = await register(store)

    with pytest.raises(NotPermitted):
        await open_programme(store, partner(other), pokmas_id, mou_id)


async def test_the_partner_opens_its_programmes_but_only_an_officer_closes_them() -> None:
    store = InMemoryEventStore()
    pokmas_id = await register(store)
    programme_id = await open_programme(
        store, partner(pokmas_id), pokmas_id, await sign(store, pokmas_id)
    )
    closure = CloseProgramme(closed_on=date(2025, 3, 3), reason="Selesai")

    with pytest.raises(NotPermitted):
        await application(store, partner(pokmas_id)).close_programme(programme_id, closure)

    await application(store, officer()).close_programme(programme_id, closure)
    assert store.published[-1].event_type == "ProgrammeClosed"


async def test_a_programme_cannot_be_opened_under_the_mou_of_another_pokmas() -> None:
    store = InMemoryEventStore()
    pokmas_id = await register(store)
    other = await register(store)
    others_mou = await sign(store, other)

    with pytest.raises(InvalidValue, match="mou_id: no MoU of this Pokmas has this id"):
        await open_programme(store, officer(), pokmas_id, others_mou)


async def test_a_programme_cannot_be_opened_under_an_id_that_is_no_mou() -> None:
    store = InMemoryEventStore()
    pokmas_id = await register(store)

    with pytest.raises(InvalidValue, match="mou_id: no MoU of this Pokmas has this id"):
        await open_programme(store, officer(), pokmas_id, pokmas_id)


async def test_of_two_changes_to_one_mou_loaded_at_the_same_version_the_second_is_refused() -> None:
    store = InMemoryEventStore()
    mou_id = await sign(store, await register(store))
    first = await store.load(MoU, mou_id)
    second = await store.load(MoU, mou_id)
    first.renew(RenewMoU(valid_until=date(2026, 6, 30)), today=date(2025, 3, 3))
    second.terminate(
        TerminateMoU(effective_on=date(2025, 3, 3), reason="Berhenti"), today=date(2025, 3, 3)
    )
    context = CommandContext(actor=Actor(role="bapas_officer", sub="pk.balikpapan"))
    async with unit_of_work(store, context, transaction=False) as work:
        await work.save(first)

    with pytest.raises(ConcurrencyConflict):
        async with unit_of_work(store, context, transaction=False) as work:
            await work.save(second)

    assert (await store.load(MoU, mou_id)).valid_until == date(2026, 6, 30)


async def test_a_unit_of_work_that_fails_leaves_nothing_behind() -> None:
    store = InMemoryEventStore()
    pokmas_id = await register(store)
    context = CommandContext(actor=Actor(role="bapas_officer", sub="pk.balikpapan"))

    async def change_then_fail() -> None:
        async with unit_of_work(store, context) as work:
            pokmas = await work.load(Pokmas, pokmas_id)
            pokmas.change_contact(
                ChangeContact(contact=CONTACT.model_copy(update={"name": "Pak Budi"}))
            )
            await work.save(pokmas)
            raise RuntimeError("the next step failed")

    with pytest.raises(RuntimeError, match="the next step failed"):
        await change_then_fail()

    assert [event.event_type for event in store.published] == ["PokmasRegistered"]
    kept = await store.load(Pokmas, pokmas_id)
    assert (kept.version, kept.contact.name) == (1, "Ibu Ani")
