"""The enrolment service's application service: each command is one unit of work in a
transaction that reads and locks what it decides on (:mod:`services.enrolment.records`),
loads the aggregate, hands it the caller's command object and saves the events with
their read models' changes.

It runs on any event store with the PostgreSQL store's protocol and any
:class:`~services.enrolment.records.EnrolmentRecords`: in the service, the event store
and the records of its database; in a test of the rules, an event store in memory and
records kept beside it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar
from uuid import UUID, uuid4

from services.enrolment import commands
from services.enrolment.domain import Client, Enrolment, NikAlreadyRegistered, ProgrammeTerms
from services.enrolment.records import EnrolmentRecords, RecordsOf
from shared.commands import Command
from shared.eventstore.application import Application
from shared.eventstore.refusals import InvalidValue, NotVisible, RuleViolated
from shared.eventstore.store import Events

C = TypeVar("C", bound=Command)

NO_CLIENT = "no klien with this id"
NO_ENROLMENT = "no enrolment with this id"


@dataclass(frozen=True)
class EnrolmentApplication(Application):
    """The commands one caller may give, in one request's context; each is a unit of
    work in a transaction that locks what it decides on."""

    records: RecordsOf

    # -- klien --------------------------------------------------------------------

    async def release_client(self, command: commands.ReleaseClient) -> Events:
        self.caller.require_write(command.bapas_code)
        client = Client.release(uuid4(), command)
        async with self._work(transaction=True) as work:
            records = self.records(work)
            if not await records.keep_profile(client.id, command.bapas_code, command.profile):
                raise NikAlreadyRegistered()
            return await work.save(client)

    async def record_employment(
        self, client_id: UUID, command: commands.RecordEmployment
    ) -> Events:
        return await self._change_client(client_id, Client.record_employment, command)

    async def record_reoffence(self, client_id: UUID, command: commands.RecordReoffence) -> Events:
        return await self._change_client(client_id, Client.record_reoffence, command)

    async def end_supervision(self, client_id: UUID, command: commands.EndSupervision) -> Events:
        return await self._change_client(client_id, Client.end_supervision, command)

    async def erase_profile(self, client_id: UUID) -> Events:
        async with self._work(transaction=True) as work:
            records = self.records(work)
            bapas_code = await self._lock_client(records, client_id)
            client = await work.load(Client, client_id)
            client.erase_profile(erased_on=self._today(bapas_code))
            await records.erase_profile(client_id)
            return await work.save(client)

    async def _change_client(
        self, client_id: UUID, change: Callable[[Client, C], None], command: C
    ) -> Events:
        """Lock the klien, check the caller may change it, apply ``change`` with the
        command, and save."""
        async with self._work(transaction=True) as work:
            await self._lock_client(self.records(work), client_id)
            client = await work.load(Client, client_id)
            change(client, command)
            return await work.save(client)

    async def _lock_client(self, records: EnrolmentRecords, client_id: UUID) -> str:
        bapas_code = await records.lock_client(client_id)
        if bapas_code is None:
            raise NotVisible(NO_CLIENT)
        self.caller.require_write(bapas_code)
        return bapas_code

    # -- enrolments ---------------------------------------------------------------

    async def enrol(self, client_id: UUID, command: commands.EnrolClient) -> Events:
        async with self._work(transaction=True) as work:
            records = self.records(work)
            bapas_code = await self._lock_client(records, client_id)
            programme = await records.lock_programme(command.programme_id)
            if programme is None:
                raise InvalidValue("programme_id", "no programme with this id is known")
            mou = await records.mou(programme.mou_id)
            if mou is None:
                raise RuleViolated(f"the MoU {programme.mou_id} of the programme is not known")
            enrolment = Enrolment.enrol(
                uuid4(),
                command,
                client=await work.load(Client, client_id),
                programme=programme,
                mou=mou,
                seats_taken=await records.seats_taken(programme.programme_id),
                klien_seats=await records.seats_of(client_id),
                today=self._today(bapas_code),
            )
            return await work.save(enrolment)

    async def record_attendance(
        self, enrolment_id: UUID, command: commands.RecordAttendance
    ) -> Events:
        return await self._change_enrolment(
            enrolment_id, lambda enrolment, terms: enrolment.record_attendance(command, terms)
        )

    async def complete_training(
        self, enrolment_id: UUID, command: commands.CompleteTraining
    ) -> Events:
        return await self._change_enrolment(
            enrolment_id, lambda enrolment, terms: enrolment.complete(command, terms)
        )

    async def withdraw(self, enrolment_id: UUID, command: commands.WithdrawFromTraining) -> Events:
        return await self._change_enrolment(
            enrolment_id, lambda enrolment, _: enrolment.withdraw(command)
        )

    async def _change_enrolment(
        self, enrolment_id: UUID, change: Callable[[Enrolment, ProgrammeTerms], None]
    ) -> Events:
        """Lock the enrolment, check the caller may change it (its Bapas's officer or the
        partner of its programme's Pokmas), apply ``change`` and save."""
        async with self._work(transaction=True) as work:
            place = await self.records(work).lock_enrolment(enrolment_id)
            if place is None:
                raise NotVisible(NO_ENROLMENT)
            self.caller.require_write(place.bapas_code, partner_of=place.pokmas_id)
            enrolment = await work.load(Enrolment, enrolment_id)
            change(enrolment, place.terms)
            return await work.save(enrolment)
