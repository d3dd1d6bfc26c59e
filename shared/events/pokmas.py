"""Events of the pokmas service: Pokmas partners, their MoUs and their programmes.

Written to ``pokmas.events.v1``. The enrolment service learns programmes, capacities
and MoU states only from these events, and notifications tells people about them.

Each event derives from the base of its aggregate (:class:`PokmasEvent`,
:class:`MoUEvent`, :class:`ProgrammeEvent`), which declares the aggregate's type and its
id, the payload's first field; a concrete event adds only its name, version and own
fields.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import Field

from shared.events.envelope import (
    AggregateType,
    ContractModel,
    Email,
    EventPayload,
    Phone,
    ShortText,
    Source,
    Text,
)
from shared.reference.skills import SkillCode

Skills = Annotated[tuple[SkillCode, ...], Field(min_length=1)]


class PokmasKind(StrEnum):
    ORGANISATION = "organisation"
    INDIVIDUAL = "individual"


class Contact(ContractModel):
    """The person the Bapas and the notifications reach at a Pokmas."""

    name: ShortText
    phone: Phone
    email: Email


class PokmasServiceEvent(EventPayload):
    """An event of the pokmas service."""

    source: ClassVar[Source] = Source.POKMAS


class PokmasEvent(PokmasServiceEvent):
    """An event of one Pokmas (the Pokmas aggregate), named by its ``pokmas_id``."""

    aggregate_type: ClassVar[AggregateType] = AggregateType.POKMAS

    pokmas_id: UUID

    @property
    def aggregate_id(self) -> UUID:
        return self.pokmas_id


class MoUEvent(PokmasServiceEvent):
    """An event of one MoU (the MoU aggregate), named by its ``mou_id``."""

    aggregate_type: ClassVar[AggregateType] = AggregateType.MOU

    mou_id: UUID

    @property
    def aggregate_id(self) -> UUID:
        return self.mou_id


class ProgrammeEvent(PokmasServiceEvent):
    """An event of one programme (the Programme aggregate), named by its ``programme_id``."""

    aggregate_type: ClassVar[AggregateType] = AggregateType.PROGRAMME

    programme_id: UUID

    @property
    def aggregate_id(self) -> UUID:
        return self.programme_id


class PokmasRegistered(PokmasEvent):
    """A Pokmas (community group or individual) became a partner of a Bapas."""

    event_type: ClassVar[str] = "PokmasRegistered"
    schema_version: ClassVar[int] = 1

    name: ShortText
    kind: PokmasKind
    registration_number: ShortText | None = None
    contact: Contact
    address: Text
    skills: Skills


class PokmasContactChanged(PokmasEvent):
    """A Pokmas named a new contact person, or the contact's details changed."""

    event_type: ClassVar[str] = "PokmasContactChanged"
    schema_version: ClassVar[int] = 1

    contact: Contact


class MoUSigned(MoUEvent):
    """A Bapas and a Pokmas signed an MoU (PKS) for training in the skills of its scope."""

    event_type: ClassVar[str] = "MoUSigned"
    schema_version: ClassVar[int] = 1

    pokmas_id: UUID
    number: ShortText
    signed_on: date
    valid_from: date
    valid_until: date
    scope: Skills


class MoURenewed(MoUEvent):
    """An MoU was extended; ``valid_until`` is its new last day."""

    event_type: ClassVar[str] = "MoURenewed"
    schema_version: ClassVar[int] = 1

    valid_until: date
    renewed_on: date


class MoUTerminated(MoUEvent):
    """An MoU was ended before its term, from ``effective_on``."""

    event_type: ClassVar[str] = "MoUTerminated"
    schema_version: ClassVar[int] = 1

    effective_on: date
    reason: Text


class MoUExpired(MoUEvent):
    """An MoU reached the end of its validity without renewal (emitted the day after)."""

    event_type: ClassVar[str] = "MoUExpired"
    schema_version: ClassVar[int] = 1

    expired_on: date


class ProgrammeOpened(ProgrammeEvent):
    """A Pokmas opened a training programme in one skill under one of its MoUs."""

    event_type: ClassVar[str] = "ProgrammeOpened"
    schema_version: ClassVar[int] = 1

    pokmas_id: UUID
    mou_id: UUID
    skill: SkillCode
    title: ShortText
    capacity: int = Field(ge=1, description="Seats for klien.")
    starts_on: date
    ends_on: date
    sessions_planned: int = Field(ge=1)
    location: Text


class ProgrammeClosed(ProgrammeEvent):
    """A programme stopped taking part in the scheme."""

    event_type: ClassVar[str] = "ProgrammeClosed"
    schema_version: ClassVar[int] = 1

    closed_on: date
    reason: Text
