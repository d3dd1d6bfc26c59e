"""The recipient directory: who to tell, projected from the pokmas, enrolment and
employment events.

An event names ids; the people to tell are found here. A Pokmas's contact comes from
PokmasRegistered and PokmasContactChanged; the Pokmas of an MoU and of a programme from
MoUSigned and ProgrammeOpened; a klien's office and PK officer from ClientReleased, and
from ClientTransferredIn once the klien moves (the new office, and the PK officer it
names or none until one is named: the old office's officer no longer supervises the
klien, so is no longer told of it); the klien of an enrolment from ClientEnrolled; an
employer's name from EmployerRegistered; a placement, its retention checks recorded and
its end from ClientPlaced, PlacementChecked and PlacementEnded. Bapas offices are
reference data.

Updates are folded per table in a few statements per batch: within one table an
entity's creation precedes its changes (events of an aggregate arrive in version
order), so inserting a batch's creations first and then applying its changes in order
gives the same result as applying each event in turn. A batch's notices read the
directory after it is updated, which is what each event would have read on its own,
except across a transfer: :func:`transfer_runs` cuts the batch there.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from services.notifications.domain import Recipient
from shared.events.employment import (
    ClientPlaced,
    EmployerRegistered,
    PlacementChecked,
    PlacementEnded,
    RetentionMilestone,
)
from shared.events.enrolment import (
    ClientEnrolled,
    ClientReleased,
    ClientTransferredIn,
    PkOfficer,
    SupervisionEnded,
)
from shared.events.envelope import Envelope, EventPayload
from shared.events.notifications import RecipientKind
from shared.events.pokmas import (
    MoUExpired,
    MoURenewed,
    MoUSigned,
    MoUTerminated,
    PokmasContactChanged,
    PokmasRegistered,
    ProgrammeOpened,
)
from shared.postgres.pool import Connection
from shared.reference import BapasOffice

Event = Envelope[EventPayload]


@dataclass(frozen=True, slots=True)
class PokmasEntry:
    pokmas_id: UUID
    name: str
    contact: Recipient


@dataclass(frozen=True, slots=True)
class MouEntry:
    mou_id: UUID
    pokmas_id: UUID
    number: str


@dataclass(frozen=True, slots=True)
class ProgrammeEntry:
    programme_id: UUID
    pokmas_id: UUID
    title: str
    skill: str


@dataclass(frozen=True, slots=True)
class ClientEntry:
    client_id: UUID
    register_number: str
    integration_type: str
    officer: Recipient | None
    """``None`` after a transfer that named no PK officer at the new office."""


@dataclass(frozen=True, slots=True)
class EnrolmentEntry:
    enrolment_id: UUID
    client_id: UUID
    programme_id: UUID
    pokmas_id: UUID


def office_recipient(office: BapasOffice) -> Recipient:
    return Recipient(RecipientKind.BAPAS, office.code, office.name, email=office.email)


def pokmas_entry(row: Any) -> PokmasEntry:
    """A ``pokmas`` row (or one joined under the same column names) as an entry."""
    contact = Recipient(
        RecipientKind.POKMAS,
        str(row["pokmas_id"]),
        row["contact_name"],
        email=row["contact_email"],
        phone=row["contact_phone"],
    )
    return PokmasEntry(row["pokmas_id"], row["name"], contact)


def officer_recipient(row: Any) -> Recipient | None:
    """The PK officer of a ``clients`` row, if it has one."""
    if row["officer_id"] is None:
        return None
    return Recipient(
        RecipientKind.PK_OFFICER,
        row["officer_id"],
        row["officer_name"],
        email=row["officer_email"],
        phone=row["officer_phone"],
    )


def client_entry(row: Any) -> ClientEntry:
    """A ``clients`` row (or one joined under the same column names) as an entry."""
    return ClientEntry(
        row["client_id"], row["register_number"], row["integration_type"], officer_recipient(row)
    )


# -- updates from events ---------------------------------------------------------------

_REGISTER_POKMAS = """
INSERT INTO pokmas (pokmas_id, bapas_code, name, contact_name, contact_email, contact_phone)
VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (pokmas_id) DO NOTHING
"""
_CHANGE_CONTACT = """
UPDATE pokmas SET contact_name = $2, contact_email = $3, contact_phone = $4
WHERE pokmas_id = $1
"""
_SIGN_MOU = """
INSERT INTO mous (mou_id, bapas_code, pokmas_id, number, valid_until, term_event_id,
                  term_event_type, status)
VALUES ($1, $2, $3, $4, $5, $6, 'MoUSigned', 'active') ON CONFLICT (mou_id) DO NOTHING
"""
_CHANGE_MOU = """
UPDATE mous SET valid_until = COALESCE($2, valid_until),
                term_event_id = COALESCE($3, term_event_id),
                term_event_type = COALESCE($4, term_event_type),
                status = $5
WHERE mou_id = $1
"""
_OPEN_PROGRAMME = """
INSERT INTO programmes (programme_id, bapas_code, pokmas_id, title, skill)
VALUES ($1, $2, $3, $4, $5) ON CONFLICT (programme_id) DO NOTHING
"""
_RELEASE_CLIENT = """
INSERT INTO clients (client_id, bapas_code, register_number, integration_type,
                     supervision_ends_on, release_event_id, under_supervision,
                     officer_id, officer_name, officer_email, officer_phone)
VALUES ($1, $2, $3, $4, $5, $6, true, $7, $8, $9, $10) ON CONFLICT (client_id) DO NOTHING
"""
_END_SUPERVISION = "UPDATE clients SET under_supervision = false WHERE client_id = $1"
_TRANSFER_CLIENT = """
UPDATE clients SET bapas_code = $2, officer_id = $3, officer_name = $4, officer_email = $5,
                   officer_phone = $6
WHERE client_id = $1
"""
_ENROL = """
INSERT INTO enrolments (enrolment_id, client_id, programme_id, pokmas_id)
VALUES ($1, $2, $3, $4) ON CONFLICT (enrolment_id) DO NOTHING
"""
_REGISTER_EMPLOYER = """
INSERT INTO employers (employer_id, bapas_code, name)
VALUES ($1, $2, $3) ON CONFLICT (employer_id) DO NOTHING
"""
_PLACE_CLIENT = """
INSERT INTO placements (placement_id, bapas_code, client_id, employer_id, kind, started_on,
                        placed_event_id)
VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (placement_id) DO NOTHING
"""
_CHECK_PLACEMENT = """
UPDATE placements SET checked = array_append(checked, $2)
WHERE placement_id = $1 AND NOT $2 = ANY(checked)
"""
_END_PLACEMENT = "UPDATE placements SET active = false WHERE placement_id = $1"


async def update_directory(connection: Connection, events: Sequence[Event]) -> None:
    """Fold the directory's share of ``events`` into its tables."""
    writes: dict[str, list[tuple[Any, ...]]] = {}

    def add(statement: str, *args: Any) -> None:
        writes.setdefault(statement, []).append(args)

    for event in events:
        code = event.bapas_code
        match event.payload:
            case PokmasRegistered(pokmas_id=pokmas_id, name=name, contact=contact):
                add(_REGISTER_POKMAS, pokmas_id, code, name, *_contact(contact))
            case PokmasContactChanged(pokmas_id=pokmas_id, contact=contact):
                add(_CHANGE_CONTACT, pokmas_id, *_contact(contact))
            case MoUSigned() as signed:
                add(
                    _SIGN_MOU,
                    signed.mou_id,
                    code,
                    signed.pokmas_id,
                    signed.number,
                    signed.valid_until,
                    event.event_id,
                )
            case MoURenewed(mou_id=mou_id, valid_until=valid_until):
                add(_CHANGE_MOU, mou_id, valid_until, event.event_id, event.event_type, "active")
            case MoUTerminated(mou_id=mou_id):
                add(_CHANGE_MOU, mou_id, None, None, None, "terminated")
            case MoUExpired(mou_id=mou_id):
                add(_CHANGE_MOU, mou_id, None, None, None, "expired")
            case ProgrammeOpened() as opened:
                add(
                    _OPEN_PROGRAMME,
                    opened.programme_id,
                    code,
                    opened.pokmas_id,
                    opened.title,
                    opened.skill,
                )
            case ClientReleased() as released:
                add(
                    _RELEASE_CLIENT,
                    released.client_id,
                    code,
                    released.register_number,
                    released.integration_type.value,
                    released.supervision_ends_on,
                    event.event_id,
                    *_officer_columns(released.pk_officer),
                )
            case SupervisionEnded(client_id=client_id):
                add(_END_SUPERVISION, client_id)
            case ClientTransferredIn(client_id=client_id, pk_officer=officer):
                # The envelope's office is the new one.
                add(_TRANSFER_CLIENT, client_id, code, *_officer_columns(officer))
            case ClientEnrolled() as enrolled:
                add(
                    _ENROL,
                    enrolled.enrolment_id,
                    enrolled.client_id,
                    enrolled.programme_id,
                    enrolled.pokmas_id,
                )
            case EmployerRegistered(employer_id=employer_id, name=name):
                add(_REGISTER_EMPLOYER, employer_id, code, name)
            case ClientPlaced() as placed:
                add(
                    _PLACE_CLIENT,
                    placed.placement_id,
                    code,
                    placed.client_id,
                    placed.employer_id,
                    placed.kind.value,
                    placed.started_on,
                    event.event_id,
                )
            case PlacementChecked(placement_id=placement_id, milestone=milestone):
                add(_CHECK_PLACEMENT, placement_id, milestone.value)
            case PlacementEnded(placement_id=placement_id):
                add(_END_PLACEMENT, placement_id)
    # Creations before changes (see the module's docstring); dicts keep insertion order.
    creations = (
        _REGISTER_POKMAS,
        _SIGN_MOU,
        _OPEN_PROGRAMME,
        _RELEASE_CLIENT,
        _ENROL,
        _REGISTER_EMPLOYER,
        _PLACE_CLIENT,
    )
    for statement in creations:
        if statement in writes:
            await connection.executemany(statement, writes.pop(statement))
    for statement, rows in writes.items():
        await connection.executemany(statement, rows)


def _contact(contact: Any) -> tuple[str, str, str]:
    return contact.name, contact.email, contact.phone


def _officer_columns(
    officer: PkOfficer | None,
) -> tuple[str | None, str | None, str | None, str | None]:
    if officer is None:
        return None, None, None, None
    return officer.id, officer.name, officer.email, officer.phone


def transfer_runs(events: Sequence[Event]) -> list[Sequence[Event]]:
    """``events`` cut before each ClientTransferredIn, in order.

    The directory is updated with a whole run before the run's notices look people up:
    a few statements per run rather than per event. Within a run with no transfer,
    nothing a notice reads changes but by creation, so every event finds the people it
    would have found on its own. A transfer changes the klien's office and PK officer:
    the events before it (the old office's withdrawals, ClientTransferredOut) are told
    to the old officer, so they are told before it is applied, and the events from it
    on to the new officer, once it is.
    """
    cuts = [
        index
        for index, event in enumerate(events)
        if index and isinstance(event.payload, ClientTransferredIn)
    ]
    return [events[start:end] for start, end in zip([0, *cuts], [*cuts, len(events)], strict=True)]


async def reset_directory(connection: Connection) -> None:
    await connection.execute(
        "TRUNCATE pokmas, mous, programmes, clients, enrolments, employers, placements"
    )


# -- lookups --------------------------------------------------------------------------


def _ids(events: Iterable[Event], field: str) -> set[UUID]:
    found: set[UUID] = set()
    for event in events:
        value = getattr(event.payload, field, None)
        if isinstance(value, UUID):
            found.add(value)
    return found


class Directory:
    """What the directory knows of the entities a batch of events names."""

    def __init__(self) -> None:
        self.pokmas: dict[UUID, PokmasEntry] = {}
        self.mous: dict[UUID, MouEntry] = {}
        self.programmes: dict[UUID, ProgrammeEntry] = {}
        self.clients: dict[UUID, ClientEntry] = {}
        self.enrolments: dict[UUID, EnrolmentEntry] = {}
        self.employers: dict[UUID, str] = {}
        """Employers' names."""

    @classmethod
    async def of_enrolments(cls, connection: Connection, events: Sequence[Event]) -> Directory:
        """Only the enrolments ``events`` name: enough to tell whom they are about
        (:meth:`klien_of`), in one query."""
        directory = cls()
        for row in await _fetch(
            connection,
            "SELECT * FROM enrolments WHERE enrolment_id = ANY($1)",
            _ids(events, "enrolment_id"),
        ):
            directory.enrolments[row["enrolment_id"]] = EnrolmentEntry(
                row["enrolment_id"], row["client_id"], row["programme_id"], row["pokmas_id"]
            )
        return directory

    @classmethod
    async def load(cls, connection: Connection, events: Sequence[Event]) -> Directory:
        """The entries ``events`` name, and those their entries name, in a few queries."""
        directory = await cls.of_enrolments(connection, events)
        enrolments = directory.enrolments.values()
        client_ids = _ids(events, "client_id") | {e.client_id for e in enrolments}
        for row in await _fetch(
            connection, "SELECT * FROM clients WHERE client_id = ANY($1)", client_ids
        ):
            directory.clients[row["client_id"]] = client_entry(row)
        programme_ids = _ids(events, "programme_id") | {e.programme_id for e in enrolments}
        for row in await _fetch(
            connection, "SELECT * FROM programmes WHERE programme_id = ANY($1)", programme_ids
        ):
            directory.programmes[row["programme_id"]] = ProgrammeEntry(
                row["programme_id"], row["pokmas_id"], row["title"], row["skill"]
            )
        for row in await _fetch(
            connection, "SELECT * FROM mous WHERE mou_id = ANY($1)", _ids(events, "mou_id")
        ):
            directory.mous[row["mou_id"]] = MouEntry(row["mou_id"], row["pokmas_id"], row["number"])
        pokmas_ids = (
            _ids(events, "pokmas_id")
            | {e.pokmas_id for e in enrolments}
            | {m.pokmas_id for m in directory.mous.values()}
            | {p.pokmas_id for p in directory.programmes.values()}
        )
        for row in await _fetch(
            connection, "SELECT * FROM pokmas WHERE pokmas_id = ANY($1)", pokmas_ids
        ):
            directory.pokmas[row["pokmas_id"]] = pokmas_entry(row)
        for row in await _fetch(
            connection,
            "SELECT employer_id, name FROM employers WHERE employer_id = ANY($1)",
            _ids(events, "employer_id"),
        ):
            directory.employers[row["employer_id"]] = row["name"]
        return directory

    def klien_of(self, payload: EventPayload) -> UUID | None:
        """The klien an event is about: the one it names, else its enrolment's
        (AttendanceRecorded, EnrolmentSuspended, EnrolmentResumed name only the
        enrolment); ``None`` for an event about no klien (a Pokmas, an MoU, a vacancy…)
        or about an enrolment never heard of."""
        client_id = getattr(payload, "client_id", None)
        if isinstance(client_id, UUID):
            return client_id
        enrolment_id = getattr(payload, "enrolment_id", None)
        enrolment = self.enrolments.get(enrolment_id) if isinstance(enrolment_id, UUID) else None
        return enrolment.client_id if enrolment else None


async def klien_of_events(connection: Connection, events: Sequence[Event]) -> dict[UUID, UUID]:
    """The klien each of ``events`` is about (:meth:`Directory.klien_of`), by event id;
    the events about no klien are left out."""
    directory = await Directory.of_enrolments(connection, events)
    return {
        event.event_id: client_id
        for event in events
        if (client_id := directory.klien_of(event.payload)) is not None
    }


async def _fetch(connection: Connection, query: str, ids: set[UUID]) -> list[Any]:
    if not ids:
        return []
    return list(await connection.fetch(query, list(ids)))


@dataclass(frozen=True, slots=True)
class ExpiringMou:
    """An active MoU near its end, for the daily check."""

    mou_id: UUID
    bapas_code: str
    number: str
    valid_until: date
    term_event_id: UUID
    term_event_type: str
    pokmas: PokmasEntry | None


@dataclass(frozen=True, slots=True)
class EndingSupervision:
    """A klien whose supervision ends soon, for the daily check."""

    client: ClientEntry
    bapas_code: str
    supervision_ends_on: date
    release_event_id: UUID


async def mous_ending_between(
    connection: Connection, today_at: dict[str, date], days: int
) -> list[ExpiringMou]:
    """Active MoUs whose last day is from today to ``days`` days later, today being
    the date at each office (``today_at`` maps Bapas codes to their date)."""
    rows = await connection.fetch(
        """
        SELECT m.mou_id, m.bapas_code, m.number, m.valid_until, m.term_event_id,
               m.term_event_type, m.pokmas_id, p.name, p.contact_name, p.contact_email,
               p.contact_phone, p.pokmas_id IS NOT NULL AS pokmas_known
        FROM unnest($1::text[], $2::date[]) AS office(bapas_code, today)
        JOIN mous m ON m.bapas_code = office.bapas_code
        LEFT JOIN pokmas p ON p.pokmas_id = m.pokmas_id
        WHERE m.status = 'active'
          AND m.valid_until BETWEEN office.today AND office.today + $3::int
        """,
        list(today_at),
        list(today_at.values()),
        days,
    )
    return [
        ExpiringMou(
            row["mou_id"],
            row["bapas_code"],
            row["number"],
            row["valid_until"],
            row["term_event_id"],
            row["term_event_type"],
            pokmas_entry(row) if row["pokmas_known"] else None,
        )
        for row in rows
    ]


async def supervisions_ending_between(
    connection: Connection, today_at: dict[str, date], days: int
) -> list[EndingSupervision]:
    """Klien under supervision whose supervision ends from today to ``days`` days later."""
    rows = await connection.fetch(
        """
        SELECT c.*
        FROM unnest($1::text[], $2::date[]) AS office(bapas_code, today)
        JOIN clients c ON c.bapas_code = office.bapas_code
        WHERE c.under_supervision
          AND c.supervision_ends_on BETWEEN office.today AND office.today + $3::int
        """,
        list(today_at),
        list(today_at.values()),
        days,
    )
    return [
        EndingSupervision(
            client_entry(row),
            row["bapas_code"],
            row["supervision_ends_on"],
            row["release_event_id"],
        )
        for row in rows
    ]


@dataclass(frozen=True, slots=True)
class PlacementAtCheck:
    """An active placement near one of its retention checks, for the daily check."""

    client: ClientEntry
    bapas_code: str
    employer_name: str | None
    kind: str
    started_on: date
    checked: frozenset[RetentionMilestone]
    placed_event_id: UUID


async def placements_at_checks(
    connection: Connection, today_at: dict[str, date], first_days: Collection[int], days: int
) -> list[PlacementAtCheck]:
    """Active placements, of klien whose PK officer is known, that started from
    ``first_day`` to ``first_day + days - 1`` days before today (the date at their Bapas,
    as in ``today_at``) for one of ``first_days``."""
    rows = await connection.fetch(
        """
        SELECT p.bapas_code, p.kind, p.started_on, p.checked, p.placed_event_id,
               e.name AS employer_name, c.client_id, c.register_number,
               c.integration_type, c.officer_id, c.officer_name, c.officer_email,
               c.officer_phone
        FROM unnest($1::text[], $2::date[]) AS office(bapas_code, today)
        JOIN placements p ON p.bapas_code = office.bapas_code
        JOIN clients c ON c.client_id = p.client_id
        LEFT JOIN employers e ON e.employer_id = p.employer_id
        WHERE p.active
          AND EXISTS (
              SELECT FROM unnest($3::int[]) AS check_day(first_day)
              WHERE p.started_on BETWEEN office.today - check_day.first_day - ($4::int - 1)
                                     AND office.today - check_day.first_day
          )
        """,
        list(today_at),
        list(today_at.values()),
        list(first_days),
        days,
    )
    return [
        PlacementAtCheck(
            client_entry(row),
            row["bapas_code"],
            row["employer_name"],
            row["kind"],
            row["started_on"],
            frozenset(RetentionMilestone(milestone) for milestone in row["checked"]),
            row["placed_event_id"],
        )
        for row in rows
    ]
