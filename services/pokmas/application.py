"""The pokmas service's application service: load, check scope, call the aggregate, save.

Each command object (:mod:`services.pokmas.commands`) is one unit of work on the fast
path: it loads what it decides on, hands the command to the aggregate, then stores its
events, their outbox rows and the read models' changes atomically (one statement for
one event), so a refused or failed command leaves nothing behind. The loads need no
transaction around them: at READ COMMITTED it would hide nothing from concurrent
commands; the event store's primary key refuses a save whose aggregate changed since
its load (409), and the rules that span aggregates are checked against the state their
events had committed.

"Today" is never read from a clock here: a request's commands take it from the instant
in their context, the daily expiry job from the instant it runs for, so tests choose
the day.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TypeVar
from uuid import UUID

from services.pokmas import commands
from services.pokmas.domain import NOT_AN_MOU_OF_THE_POKMAS, MoU, Pokmas, Programme
from shared.events.envelope import Actor
from shared.eventstore.aggregate import Aggregate
from shared.eventstore.application import Application
from shared.eventstore.store import (
    CommandContext,
    ConcurrencyConflict,
    Events,
    EventStore,
)
from shared.eventstore.unit_of_work import unit_of_work
from shared.reference import latest_today, today_in

log = logging.getLogger(__name__)

EXPIRY_ACTOR = Actor(role="service", sub="pokmas.mou_expiry")

A = TypeVar("A", bound=Aggregate)


class PokmasApplication(Application):
    """The commands one caller may give, each taking its command object, in one
    request's context (on any event store: the service's, or one in memory). Each is
    a unit of work on the fast path: loads, then one save."""

    # -- Pokmas ---------------------------------------------------------------------

    async def register_pokmas(self, command: commands.RegisterPokmas) -> Events:
        self.caller.require_write(command.bapas_code)
        pokmas = Pokmas.register(command)
        async with self._work() as work:
            return await work.save(pokmas)

    async def change_contact(self, pokmas_id: UUID, command: commands.ChangeContact) -> Events:
        return await self._change(
            Pokmas, pokmas_id, lambda pokmas, _: pokmas.change_contact(command)
        )

    # -- MoUs -----------------------------------------------------------------------

    async def sign_mou(self, pokmas_id: UUID, command: commands.SignMoU) -> Events:
        async with self._work() as work:
            pokmas = await work.load(Pokmas, pokmas_id)
            self.caller.require_write(pokmas.bapas_code)
            mou = MoU.sign(pokmas, command, today=self._today(pokmas.bapas_code))
            return await work.save(mou)

    async def renew_mou(self, mou_id: UUID, command: commands.RenewMoU) -> Events:
        return await self._change(MoU, mou_id, lambda mou, today: mou.renew(command, today=today))

    async def terminate_mou(self, mou_id: UUID, command: commands.TerminateMoU) -> Events:
        return await self._change(
            MoU, mou_id, lambda mou, today: mou.terminate(command, today=today)
        )

    # -- Programmes -----------------------------------------------------------------

    async def open_programme(self, pokmas_id: UUID, command: commands.OpenProgramme) -> Events:
        async with self._work() as work:
            pokmas = await work.load(Pokmas, pokmas_id)
            # The partner of this Pokmas may open its programmes too (the API contract).
            self.caller.require_write(pokmas.bapas_code, partner_of=pokmas.id)
            mou = await work.load_named(
                MoU, command.mou_id, field="mou_id", unknown=NOT_AN_MOU_OF_THE_POKMAS
            )
            programme = Programme.open(
                mou, command, pokmas_id=pokmas.id, today=self._today(pokmas.bapas_code)
            )
            return await work.save(programme)

    async def close_programme(self, programme_id: UUID, command: commands.CloseProgramme) -> Events:
        return await self._change(
            Programme, programme_id, lambda programme, today: programme.close(command, today=today)
        )


async def expire_lapsed_mous(store: EventStore, now: datetime) -> list[UUID]:
    """Record MoUExpired for each active MoU whose validity ended before today at its
    Bapas (rule 5); returns the MoUs this call expired.

    Every instance runs this daily job. The effect happens once however many run it,
    and however often: an expired MoU records nothing more (:meth:`MoU.expire`), and
    two instances expiring the same MoU at once both write its next version, which the
    event store's primary key lets only one of them do.
    """
    # The exact day of each office is the aggregate's to check.
    candidates = await store.pool.fetch(
        "SELECT mou_id FROM mous WHERE status = 'active' AND valid_until < $1",
        latest_today(now),
    )
    context = CommandContext(actor=EXPIRY_ACTOR, occurred_at=now.astimezone(UTC))
    expired: list[UUID] = []
    for row in candidates:
        try:
            async with unit_of_work(store, context, transaction=False) as work:
                mou = await work.load(MoU, row["mou_id"])
                if mou.expire(today=today_in(mou.bapas_code, now)):
                    await work.save(mou)
                    expired.append(mou.id)
        except ConcurrencyConflict:
            log.info("MoU %s changed meanwhile (another instance expired it?)", row["mou_id"])
    return expired
