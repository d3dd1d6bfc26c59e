"""The enrolment service's application service: each command is one unit of work in a
transaction that reads and locks what it decides on (:mod:`services.enrolment.records`),
loads the aggregate, hands it the caller's command object and saves the events with
their read models' changes. Beside it, the periodic jobs, which record events the same
way: the check of wajib lapor (missed due dates) and retention (profiles erased a
configured time after the supervision ended).

It runs on any event store with the PostgreSQL store's protocol and any
:class:`~services.enrolment.records.EnrolmentRecords`: in the service, the event store
and the records of its database; in a test of the rules, an event store in memory and
records kept beside it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import TypeVar
from uuid import UUID, uuid4

from services.enrolment import commands
from services.enrolment.domain import (
    DEFAULT_RETENTION_YEARS,
    Client,
    ClientStatus,
    Enrolment,
    NikAlreadyRegistered,
    PrivateNote,
    ProgrammeTerms,
    years_after,
)
from services.enrolment.notes import erase_klien_data
from services.enrolment.records import EnrolmentRecords, RecordsOf
from services.enrolment.reporting import DEFAULT_EVERY_DAYS
from shared.commands import Command
from shared.events.enrolment import IntegrationType, SupervisionOutcome, WithdrawalReason
from shared.events.envelope import Actor, Envelope, EventPayload
from shared.eventstore.application import Application
from shared.eventstore.refusals import InvalidValue, NotVisible, RuleViolated
from shared.eventstore.store import CommandContext, ConcurrencyConflict, Events, EventStore
from shared.eventstore.unit_of_work import UnitOfWork, unit_of_work
from shared.reference import latest_today, today_in

C = TypeVar("C", bound=Command)

log = logging.getLogger(__name__)

NO_CLIENT = "no klien with this id"
NO_ENROLMENT = "no enrolment with this id"


@dataclass(frozen=True)
class EnrolmentApplication(Application):
    """The commands one caller may give, in one request's context; each is a unit of
    work in a transaction that locks what it decides on."""

    records: RecordsOf
    reporting_every_days: Mapping[IntegrationType, int] = field(
        default_factory=lambda: DEFAULT_EVERY_DAYS
    )
    """The default interval of wajib lapor by kind of integration (configuration)."""

    # -- klien --------------------------------------------------------------------

    async def release_client(self, command: commands.ReleaseClient) -> Events:
        self.caller.require_write(command.bapas_code)
        client = Client.release(
            uuid4(),
            command,
            reporting_every_days=self.reporting_every_days[command.integration_type],
        )
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
        """The end of supervision; a revocation also withdraws the klien's open
        enrolments (reason ``revoked``), caused by the SupervisionEnded, in the same
        transaction: each once, since a second end is refused."""
        async with self._work(transaction=True) as work:
            records = self.records(work)
            await self._lock_client(records, client_id)
            open_enrolments = await records.lock_open_enrolments(client_id)
            client = await work.load(Client, client_id)
            client.end_supervision(command)
            events = await work.save(client)
            if command.outcome is SupervisionOutcome.REVOKED:
                caused = replace(work.context, causation_id=events[-1].event_id)
                await self._end_enrolments(
                    work, open_enrolments, WithdrawalReason.REVOKED, command.ended_on, caused
                )
            return events

    async def schedule_reporting(
        self, client_id: UUID, command: commands.ScheduleReporting
    ) -> Events:
        return await self._change_client(client_id, Client.schedule_reporting, command)

    async def record_report(self, client_id: UUID, command: commands.RecordReport) -> Events:
        async with self._work(transaction=True) as work:
            records = self.records(work)
            bapas_code = await self._lock_client(records, client_id)
            client = await work.load(Client, client_id)
            note = client.record_report(command, today=self._today(bapas_code))
            await self._keep(records, note)
            return await work.save(client)

    async def transfer(self, client_id: UUID, command: commands.TransferClient) -> Events:
        """The klien moves to another Bapas: its open enrolments at the old office end
        (reason ``moved``), its NIK is registered at the new office, and the klien is
        the new office's from ClientTransferredIn on. The withdrawals are saved first,
        so that they come before ClientTransferredOut under the old office's key."""
        async with self._work(transaction=True) as work:
            records = self.records(work)
            bapas_code = await self._lock_client(records, client_id)
            open_enrolments = await records.lock_open_enrolments(client_id)
            client = await work.load(Client, client_id)
            note = client.transfer(command, today=self._today(bapas_code))
            if not await records.move_profile(client_id, command.to_bapas_code):
                raise NikAlreadyRegistered(command.to_bapas_code)
            await self._keep(records, note)
            await self._end_enrolments(
                work, open_enrolments, WithdrawalReason.MOVED, command.transferred_on, None
            )
            return await work.save(client)

    async def _end_enrolments(
        self,
        work: UnitOfWork,
        enrolment_ids: list[UUID],
        reason: WithdrawalReason,
        on: date,
        context: CommandContext | None,
    ) -> None:
        for enrolment_id in enrolment_ids:
            enrolment = await work.load(Enrolment, enrolment_id)
            enrolment.end_as_klien_leaves(reason, on=on)
            if enrolment.pending_events:
                await work.save(enrolment, context=context)

    async def erase_profile(self, client_id: UUID) -> Events:
        async with self._work(transaction=True) as work:
            records = self.records(work)
            bapas_code = await self._lock_client(records, client_id)
            client = await work.load(Client, client_id)
            client.erase_profile(erased_on=self._today(bapas_code))
            await records.erase_profile(client_id)
            return await work.save(client)

    async def _change_client(
        self, client_id: UUID, change: Callable[[Client, C], PrivateNote | None], command: C
    ) -> Events:
        """Lock the klien, check the caller may change it, apply ``change`` with the
        command, keep the note it hands back, and save."""
        async with self._work(transaction=True) as work:
            records = self.records(work)
            await self._lock_client(records, client_id)
            client = await work.load(Client, client_id)
            await self._keep(records, change(client, command))
            return await work.save(client)

    @staticmethod
    async def _keep(records: EnrolmentRecords, note: PrivateNote | None) -> None:
        """Keep a note the events leave out, in the command's transaction; refused (and
        nothing saved) once the klien's profile is erased, which leaves no key for it."""
        if note is not None and not await records.keep_note(note):
            raise InvalidValue(
                note.field,
                "cannot be kept: the klien's personal data was erased; leave it out",
            )

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
        self,
        enrolment_id: UUID,
        change: Callable[[Enrolment, ProgrammeTerms], PrivateNote | None],
    ) -> Events:
        """Lock the enrolment, check the caller may change it (its Bapas's officer or the
        partner of its programme's Pokmas), apply ``change``, keep the note it hands
        back, and save."""
        async with self._work(transaction=True) as work:
            records = self.records(work)
            place = await records.lock_enrolment(enrolment_id)
            if place is None:
                raise NotVisible(NO_ENROLMENT)
            self.caller.require_write(place.bapas_code, partner_of=place.pokmas_id)
            enrolment = await work.load(Enrolment, enrolment_id)
            await self._keep(records, change(enrolment, place.terms))
            return await work.save(enrolment)


REPORT_CHECK_ACTOR = Actor(role="service", sub="enrolment.report-check")


async def check_reports(
    store: EventStore,
    now: datetime,
    *,
    every_days: Mapping[IntegrationType, int] = DEFAULT_EVERY_DAYS,
) -> list[Envelope[EventPayload]]:
    """The daily check of wajib lapor, at ``now``: for each klien under supervision, the
    due dates that passed unanswered by midnight at the klien's Bapas are recorded as
    missed, with a recommendation to revoke after three in a row; a klien without a
    schedule (released before wajib lapor was kept) gets the default one, starting from
    today. Returns the events recorded.

    Every instance runs it, on start, on a timer and on demand: a due date is recorded
    missed once however many run it. Each klien is checked under its row's lock, so two
    instances take turns, and the second finds the due dates answered or missed already,
    for which the aggregate records nothing.
    """
    # Each office's exact day is the aggregate's to check.
    candidates = await store.pool.fetch(
        "SELECT client_id FROM clients WHERE status = $1"
        " AND (reporting_every_days IS NULL OR next_due_on < $2) ORDER BY client_id",
        ClientStatus.UNDER_SUPERVISION.value,
        latest_today(now),
    )
    context = CommandContext(actor=REPORT_CHECK_ACTOR, occurred_at=now.astimezone(UTC))

    async def check(work: UnitOfWork, client: Client) -> None:
        client.record_missed_reports(
            today=today_in(client.bapas_code, now),
            default_every_days=every_days[client.integration_type],
        )

    return await _each_klien(store, context, [row["client_id"] for row in candidates], check)


RETENTION_ACTOR = Actor(role="service", sub="enrolment.retention")


async def erase_profiles_past_retention(
    store: EventStore, now: datetime, *, years: int = DEFAULT_RETENTION_YEARS
) -> list[Envelope[EventPayload]]:
    """Retention, at ``now``: the profile of each klien whose supervision ended ``years``
    years ago or more (at the klien's Bapas) is erased, as an officer would erase it
    (ClientProfileErased; the data key, the profile and the notes deleted). Returns the events
    recorded. Every instance runs it; like the check of wajib lapor, each klien is
    taken under its row's lock, and an erased profile is not erased again.
    """
    candidates = await store.pool.fetch(
        "SELECT client_id FROM clients WHERE status = $1 AND profile_erased_on IS NULL"
        " AND supervision_ended_on <= $2 ORDER BY client_id",
        ClientStatus.SUPERVISION_ENDED.value,
        years_after(latest_today(now), -years),
    )
    context = CommandContext(actor=RETENTION_ACTOR, occurred_at=now.astimezone(UTC))

    async def erase(work: UnitOfWork, client: Client) -> None:
        client.erase_profile_past_retention(today=today_in(client.bapas_code, now), years=years)
        if client.pending_events:
            await erase_klien_data(work.connection, client.id)

    return await _each_klien(store, context, [row["client_id"] for row in candidates], erase)


async def _each_klien(
    store: EventStore,
    context: CommandContext,
    client_ids: list[UUID],
    change: Callable[[UnitOfWork, Client], Awaitable[None]],
) -> list[Envelope[EventPayload]]:
    """What a periodic job does to each klien: under the klien's row lock, as the
    officers' commands take it (so that they and other instances take turns), load it,
    ``change`` it and save what it recorded; the events saved."""
    recorded: list[Envelope[EventPayload]] = []
    for client_id in client_ids:
        try:
            async with unit_of_work(store, context, transaction=True) as work:
                await work.connection.execute(
                    "SELECT 1 FROM clients WHERE client_id = $1 FOR UPDATE", client_id
                )
                client = await work.load(Client, client_id)
                await change(work, client)
                if client.pending_events:
                    recorded.extend(await work.save(client))
        except ConcurrencyConflict:
            log.info("klien %s changed meanwhile (another instance's job?)", client_id)
    return recorded
