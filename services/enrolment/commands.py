"""The application service: each command is one unit of work in a transaction that
locks what it decides on, loads the aggregate, calls one command method, and saves
the events with their read models' changes.

Locks keep the rules true under concurrency, always taken in the same order (a
klien's row, then a programme's projection row, then enrolment rows; the event
store's outbox lock comes last, at the save), so commands and the MoU reactions
never deadlock:

* an enrolment locks the klien's ``clients`` row (its other enrolments cannot change
  meanwhile: no overlap slips through) and the programme's ``pokmas_programmes`` row
  (``FOR UPDATE``) before counting the seats, so concurrent enrolments into one
  programme take turns and the capacity is never exceeded;
* a change of an enrolment locks its ``enrolments`` row, a change of a klien its
  ``clients`` row, so two commands on one aggregate take turns instead of failing
  with a concurrency conflict.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date
from uuid import UUID, uuid4

from services.enrolment.domain import (
    Client,
    Enrolment,
    MoU,
    MoUStatus,
    Programme,
    ProgrammeStatus,
    ProgrammeTerms,
    Seat,
)
from services.enrolment.profiles import ClientProfile, ProfileVault, erase_profile, store_profile
from shared.events.enrolment import IntegrationType, PkOfficer
from shared.eventstore.refusals import InvalidValue, NotVisible, RuleViolated
from shared.eventstore.store import CommandContext, Events, EventStore
from shared.eventstore.unit_of_work import UnitOfWork, unit_of_work
from shared.http import Principal
from shared.postgres.pool import Connection
from shared.reference import today_in


@dataclass(frozen=True)
class EnrolmentCommands:
    """The commands one caller may give, in one request's context."""

    store: EventStore
    vault: ProfileVault
    caller: Principal
    context: CommandContext

    def _work(self) -> AbstractAsyncContextManager[UnitOfWork]:
        return unit_of_work(self.store, self.context)

    def _today(self, bapas_code: str) -> date:
        return today_in(bapas_code, self.context.occurred_at)

    # -- klien --------------------------------------------------------------------

    async def release_client(
        self,
        *,
        bapas_code: str,
        register_number: str,
        integration_type: IntegrationType,
        released_on: date,
        supervision_ends_on: date,
        pk_officer: PkOfficer,
        profile: ClientProfile,
    ) -> Events:
        self.caller.require_write(bapas_code)
        client = Client.release(
            uuid4(),
            bapas_code,
            register_number=register_number,
            integration_type=integration_type,
            released_on=released_on,
            supervision_ends_on=supervision_ends_on,
            pk_officer=pk_officer,
        )
        async with self._work() as work:
            stored = await store_profile(
                work.connection,
                self.vault,
                client_id=client.id,
                bapas_code=bapas_code,
                profile=profile,
            )
            if not stored:
                raise RuleViolated("a klien with this NIK is already registered at this Bapas")
            return await work.save(client)

    async def change_client(self, client_id: UUID, change: Callable[[Client], None]) -> Events:
        """Lock the klien, check the caller may change it, apply ``change`` and save."""
        async with self._work() as work:
            await self._lock_client(work.connection, client_id)
            client = await work.load(Client, client_id)
            change(client)
            return await work.save(client)

    async def erase_profile(self, client_id: UUID) -> Events:
        async with self._work() as work:
            bapas_code = await self._lock_client(work.connection, client_id)
            client = await work.load(Client, client_id)
            client.erase_profile(erased_on=self._today(bapas_code))
            await erase_profile(work.connection, client_id)
            return await work.save(client)

    async def _lock_client(self, connection: Connection, client_id: UUID) -> str:
        bapas_code: str | None = await connection.fetchval(
            "SELECT bapas_code FROM clients WHERE client_id = $1 FOR UPDATE", client_id
        )
        if bapas_code is None:
            raise NotVisible("no klien with this id")
        self.caller.require_write(bapas_code)
        return bapas_code

    # -- enrolments ---------------------------------------------------------------

    async def enrol(self, client_id: UUID, *, programme_id: UUID, enrolled_on: date) -> Events:
        async with self._work() as work:
            connection = work.connection
            bapas_code = await self._lock_client(connection, client_id)
            programme = await _locked_programme(connection, programme_id)
            mou = await _mou(connection, programme.mou_id)
            seats_taken: int = await connection.fetchval(
                "SELECT count(*) FROM enrolments WHERE programme_id = $1 AND status <> 'withdrawn'",
                programme_id,
            )
            client = await work.load(Client, client_id)
            enrolment = Enrolment.enrol(
                uuid4(),
                client=client,
                programme=programme,
                mou=mou,
                seats_taken=seats_taken,
                klien_seats=await _seats_of(connection, client_id),
                enrolled_on=enrolled_on,
                today=self._today(bapas_code),
            )
            return await work.save(enrolment)

    async def change_enrolment(
        self, enrolment_id: UUID, change: Callable[[Enrolment, ProgrammeTerms], None]
    ) -> Events:
        """Lock the enrolment, check the caller may change it (its Bapas's officer or the
        partner of its programme's Pokmas), apply ``change`` and save."""
        async with self._work() as work:
            row = await work.connection.fetchrow(
                "SELECT bapas_code, pokmas_id, programme_starts_on, programme_ends_on,"
                " sessions_planned FROM enrolments WHERE enrolment_id = $1 FOR UPDATE",
                enrolment_id,
            )
            if row is None:
                raise NotVisible("no enrolment with this id")
            self.caller.require_write(row["bapas_code"], partner_of=row["pokmas_id"])
            enrolment = await work.load(Enrolment, enrolment_id)
            change(
                enrolment,
                ProgrammeTerms(
                    starts_on=row["programme_starts_on"],
                    ends_on=row["programme_ends_on"],
                    sessions_planned=row["sessions_planned"],
                ),
            )
            return await work.save(enrolment)


async def _locked_programme(connection: Connection, programme_id: UUID) -> Programme:
    row = await connection.fetchrow(
        "SELECT programme_id, bapas_code, pokmas_id, mou_id, status, capacity, starts_on,"
        " ends_on, sessions_planned FROM pokmas_programmes WHERE programme_id = $1 FOR UPDATE",
        programme_id,
    )
    if row is None:
        raise InvalidValue("programme_id", "no programme with this id is known")
    return Programme(
        programme_id=row["programme_id"],
        bapas_code=row["bapas_code"],
        pokmas_id=row["pokmas_id"],
        mou_id=row["mou_id"],
        status=ProgrammeStatus(row["status"]),
        capacity=row["capacity"],
        starts_on=row["starts_on"],
        ends_on=row["ends_on"],
        sessions_planned=row["sessions_planned"],
    )


async def _mou(connection: Connection, mou_id: UUID) -> MoU:
    # Read after the programme's lock is held: a reaction that ended the MoU meanwhile
    # has committed, and this statement sees it.
    row = await connection.fetchrow(
        "SELECT status, valid_from, valid_until FROM pokmas_mous WHERE mou_id = $1", mou_id
    )
    if row is None:
        raise RuleViolated(f"the MoU {mou_id} of the programme is not known")
    return MoU(
        mou_id=mou_id,
        status=MoUStatus(row["status"]),
        valid_from=row["valid_from"],
        valid_until=row["valid_until"],
    )


async def _seats_of(connection: Connection, client_id: UUID) -> Sequence[Seat]:
    rows = await connection.fetch(
        "SELECT programme_id, programme_starts_on, programme_ends_on FROM enrolments"
        " WHERE client_id = $1 AND status <> 'withdrawn'",
        client_id,
    )
    return [
        Seat(
            programme_id=row["programme_id"],
            starts_on=row["programme_starts_on"],
            ends_on=row["programme_ends_on"],
        )
        for row in rows
    ]
