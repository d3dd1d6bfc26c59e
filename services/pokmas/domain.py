"""The pokmas service's aggregates and their rules: a Pokmas, its MoUs, its programmes.

Command methods take the caller's command object (:mod:`services.pokmas.commands`),
check a rule, then record an event built from it; state changes only in ``apply``
(``shared.eventstore.aggregate``). Every date rule takes ``today``, the date at the
Bapas (rule 5), from the caller, so the domain never reads a clock.

Two kinds of refusal, both free of HTTP: :class:`RuleViolated` when a business rule
refuses the command (the API answers 409 with its reason) and :class:`InvalidValue`
when a value of the command is wrong, in itself or against the entity it changes
(422 naming the field).
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from uuid import UUID, uuid4

from services.pokmas import commands
from shared.events.envelope import AggregateType, EventPayload
from shared.events.pokmas import (
    Contact,
    MoUExpired,
    MoURenewed,
    MoUSigned,
    MoUTerminated,
    PokmasContactChanged,
    PokmasRegistered,
    ProgrammeClosed,
    ProgrammeOpened,
)
from shared.eventstore.aggregate import Aggregate
from shared.eventstore.refusals import InvalidValue, RuleViolated

NOT_AN_MOU_OF_THE_POKMAS = "no MoU of this Pokmas has this id"


class MoUStatus(StrEnum):
    """Where an MoU is in its life cycle; a renewal keeps it ``active``.

    ``active`` means signed and neither terminated nor expired, whether or not its
    ``valid_from`` has come: a programme under it must still lie inside its validity.
    """

    ACTIVE = "active"
    EXPIRED = "expired"
    TERMINATED = "terminated"


class ProgrammeStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


def _not_in_the_future(field: str, day: date, today: date) -> None:
    """Something that happened cannot have happened after today at the Bapas."""
    if day > today:
        raise InvalidValue(field, f"{day} lies in the future at the Bapas (today is {today})")


class Pokmas(Aggregate):
    """A community group or person partnering with one Bapas."""

    aggregate_type = AggregateType.POKMAS

    name: str
    contact: Contact

    @classmethod
    def register(cls, command: commands.RegisterPokmas) -> Pokmas:
        pokmas = cls(uuid4(), command.bapas_code)
        pokmas.record(
            PokmasRegistered.built_from(
                command, pokmas_id=pokmas.id, skills=tuple(dict.fromkeys(command.skills))
            )
        )
        return pokmas

    def change_contact(self, command: commands.ChangeContact) -> None:
        self.record(PokmasContactChanged(pokmas_id=self.id, contact=command.contact))

    def apply(self, event: EventPayload) -> None:
        match event:
            case PokmasRegistered():
                self.name = event.name
                self.contact = event.contact
            case PokmasContactChanged():
                self.contact = event.contact


class MoU(Aggregate):
    """An MoU (PKS) between a Bapas and one of its Pokmas, for the skills of its scope."""

    aggregate_type = AggregateType.MOU

    pokmas_id: UUID
    number: str
    signed_on: date
    valid_from: date
    valid_until: date
    scope: tuple[str, ...]
    status: MoUStatus

    @classmethod
    def sign(cls, pokmas: Pokmas, command: commands.SignMoU, *, today: date) -> MoU:
        valid_from, valid_until = command.valid_from, command.valid_until
        if valid_until < valid_from:
            raise InvalidValue("valid_until", f"must not be before valid_from ({valid_from})")
        _not_in_the_future("signed_on", command.signed_on, today)
        if valid_until < today:
            raise InvalidValue(
                "valid_until", f"{valid_until} has passed at the Bapas: the MoU would be expired"
            )
        mou = cls(uuid4(), pokmas.bapas_code)
        mou.record(
            MoUSigned.built_from(
                command,
                mou_id=mou.id,
                pokmas_id=pokmas.id,
                scope=tuple(dict.fromkeys(command.scope)),
            )
        )
        return mou

    def renew(self, command: commands.RenewMoU, *, today: date) -> None:
        """Extend the MoU; an MoU that was terminated or expired becomes active again,
        so the enrolments it suspended resume (the domain rules: suspended "until the MoU
        is renewed")."""
        valid_until = command.valid_until
        if valid_until <= self.valid_until:
            raise InvalidValue(
                "valid_until",
                f"a renewal must extend the MoU beyond its current valid_until {self.valid_until}",
            )
        if valid_until < today:
            raise InvalidValue("valid_until", f"a renewal must reach at least today ({today})")
        self.record(MoURenewed(mou_id=self.id, valid_until=valid_until, renewed_on=today))

    def terminate(self, command: commands.TerminateMoU, *, today: date) -> None:
        self._require_in_force(today, "terminated")
        _not_in_the_future("effective_on", command.effective_on, today)
        if command.effective_on < self.signed_on:
            raise InvalidValue(
                "effective_on", f"must not be before the MoU was signed ({self.signed_on})"
            )
        self.record(MoUTerminated.built_from(command, mou_id=self.id))

    def expire(self, *, today: date) -> bool:
        """Record that the MoU expired if its validity ended before ``today``.

        Returns whether it did: an MoU that is still valid, or already expired or
        terminated, records nothing, so running the daily job again changes nothing.
        """
        if self.status is not MoUStatus.ACTIVE or today <= self.valid_until:
            return False
        self.record(MoUExpired(mou_id=self.id, expired_on=self.valid_until + timedelta(days=1)))
        return True

    def check_can_host(self, *, skill: str, starts_on: date, ends_on: date, today: date) -> None:
        """Rule 1: a programme needs an active MoU covering its skill and its dates."""
        if self.status is not MoUStatus.ACTIVE:
            raise RuleViolated(
                f"rule 1: MoU {self.number} is {self.status}; a programme needs an active MoU"
            )
        if today > self.valid_until:
            raise RuleViolated(
                f"rule 1: MoU {self.number} lapsed after {self.valid_until}; "
                "a programme needs an active MoU"
            )
        if skill not in self.scope:
            raise RuleViolated(
                f"rule 1: the scope of MoU {self.number} ({', '.join(self.scope)}) "
                f"does not cover the skill {skill}"
            )
        if starts_on < self.valid_from or ends_on > self.valid_until:
            raise RuleViolated(
                f"rule 1: the programme's dates {starts_on}..{ends_on} must lie inside the "
                f"validity of MoU {self.number} ({self.valid_from}..{self.valid_until})"
            )

    def _require_in_force(self, today: date, action: str) -> None:
        if self.status is not MoUStatus.ACTIVE:
            raise RuleViolated(f"MoU {self.number} is {self.status}; it cannot be {action}")
        if today > self.valid_until:
            raise RuleViolated(
                f"MoU {self.number} lapsed after {self.valid_until}; it cannot be {action}"
            )

    def apply(self, event: EventPayload) -> None:
        match event:
            case MoUSigned():
                self.pokmas_id = event.pokmas_id
                self.number = event.number
                self.signed_on = event.signed_on
                self.valid_from = event.valid_from
                self.valid_until = event.valid_until
                self.scope = event.scope
                self.status = MoUStatus.ACTIVE
            case MoURenewed():
                self.valid_until = event.valid_until
                self.status = MoUStatus.ACTIVE
            case MoUTerminated():
                self.status = MoUStatus.TERMINATED
            case MoUExpired():
                self.status = MoUStatus.EXPIRED


class Programme(Aggregate):
    """A training programme a Pokmas runs in one skill under one of its MoUs."""

    aggregate_type = AggregateType.PROGRAMME

    pokmas_id: UUID
    status: ProgrammeStatus

    @classmethod
    def open(
        cls, mou: MoU, command: commands.OpenProgramme, *, pokmas_id: UUID, today: date
    ) -> Programme:
        """Open a programme for the Pokmas ``pokmas_id`` under ``mou``, loaded by the
        command's ``mou_id``: an MoU of another Pokmas is refused as an unknown one."""
        if mou.id != command.mou_id or mou.pokmas_id != pokmas_id:
            raise InvalidValue("mou_id", NOT_AN_MOU_OF_THE_POKMAS)
        starts_on, ends_on = command.starts_on, command.ends_on
        if ends_on < starts_on:
            raise InvalidValue("ends_on", f"must not be before starts_on ({starts_on})")
        mou.check_can_host(skill=command.skill, starts_on=starts_on, ends_on=ends_on, today=today)
        programme = cls(uuid4(), mou.bapas_code)
        programme.record(
            ProgrammeOpened.built_from(command, programme_id=programme.id, pokmas_id=mou.pokmas_id)
        )
        return programme

    def close(self, command: commands.CloseProgramme, *, today: date) -> None:
        if self.status is ProgrammeStatus.CLOSED:
            raise RuleViolated("the programme is already closed")
        _not_in_the_future("closed_on", command.closed_on, today)
        self.record(ProgrammeClosed.built_from(command, programme_id=self.id))

    def apply(self, event: EventPayload) -> None:
        match event:
            case ProgrammeOpened():
                self.pokmas_id = event.pokmas_id
                self.status = ProgrammeStatus.OPEN
            case ProgrammeClosed():
                self.status = ProgrammeStatus.CLOSED
