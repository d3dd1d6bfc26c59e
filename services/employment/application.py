"""The employment service's application service: load, check who may, call the
aggregate with the command, save.

The commands on one employer, vacancy or placement are one unit of work each on the
fast path (loads, then one save; the event store's primary key refuses a save whose
aggregate changed since its load). Placing a klien decides on more than its aggregates
(:mod:`services.employment.records`), so it runs in a transaction that locks what it
reads first. "Today" at a Bapas comes from the instant in the command's context, never
from a clock, so tests choose the day.

It runs on any event store with the PostgreSQL store's protocol and any
:class:`~services.employment.records.EmploymentRecords`: the service's own, or an
event store in memory with records kept beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar
from uuid import UUID

from services.employment import commands
from services.employment.domain import (
    NOT_A_VACANCY_OF_THE_EMPLOYER,
    Employer,
    Placement,
    Vacancy,
)
from services.employment.records import RecordsOf
from shared.eventstore.aggregate import Aggregate
from shared.eventstore.application import Application
from shared.eventstore.refusals import InvalidValue
from shared.eventstore.store import Events

A = TypeVar("A", bound=Aggregate)

NO_CLIENT = "no klien with this id is known (the enrolment service records klien)"
NO_EMPLOYER = "no employer with this id"


@dataclass(frozen=True)
class EmploymentApplication(Application):
    """The commands one caller may give, in one request's context."""

    records: RecordsOf

    # -- employers ------------------------------------------------------------------

    async def register_employer(self, command: commands.RegisterEmployer) -> Events:
        self.caller.require_write(command.bapas_code)
        employer = Employer.register(command)
        async with self._work() as work:
            return await work.save(employer)

    async def pledge(self, employer_id: UUID, command: commands.SignPledge) -> Events:
        return await self._change(
            Employer, employer_id, lambda employer, today: employer.pledge(command, today=today)
        )

    # -- vacancies ------------------------------------------------------------------

    async def post_vacancy(self, employer_id: UUID, command: commands.PostVacancy) -> Events:
        async with self._work() as work:
            employer = await work.load(Employer, employer_id)
            self.caller.require_write(employer.bapas_code)
            candidates = await self.records(work).candidates_for(employer.bapas_code, command.skill)
            vacancy = Vacancy.post(
                employer, command, today=self._today(employer.bapas_code), candidates=candidates
            )
            return await work.save(vacancy)

    async def close_vacancy(self, vacancy_id: UUID, command: commands.CloseVacancy) -> Events:
        return await self._change(
            Vacancy, vacancy_id, lambda vacancy, today: vacancy.close(command, today=today)
        )

    # -- placements -----------------------------------------------------------------

    async def place(self, command: commands.PlaceClient) -> Events:
        async with self._work(transaction=True) as work:
            records = self.records(work)
            employer = await work.load_named(
                Employer, command.employer_id, field="employer_id", unknown=NO_EMPLOYER
            )
            self.caller.require_write(employer.bapas_code)
            klien = await records.lock_client(command.client_id)
            if klien is None:
                raise InvalidValue("client_id", NO_CLIENT)
            vacancy, placed = None, 0
            if command.vacancy_id is not None:
                # Locked before it is loaded: a closure committed meanwhile is seen.
                placed = await records.lock_vacancy_placements(command.vacancy_id)
                vacancy = await work.load_named(
                    Vacancy,
                    command.vacancy_id,
                    field="vacancy_id",
                    unknown=NOT_A_VACANCY_OF_THE_EMPLOYER,
                )
            placement = Placement.place(
                command,
                employer=employer,
                klien=klien,
                open_placement=await records.open_placement_of(klien.client_id),
                vacancy=vacancy,
                placed=placed,
                today=self._today(employer.bapas_code),
            )
            return await work.save(placement)

    async def check_placement(self, placement_id: UUID, command: commands.CheckPlacement) -> Events:
        return await self._change(
            Placement, placement_id, lambda placement, today: placement.check(command, today=today)
        )

    async def end_placement(self, placement_id: UUID, command: commands.EndPlacement) -> Events:
        return await self._change(
            Placement, placement_id, lambda placement, today: placement.end(command, today=today)
        )
