"""One example of every published event version, for documentation and tests.

The event catalogue (``docs/events.md``) shows each event as a whole envelope, and
subscribers outside the platform learn the contract from those examples more than from
the schemas. So the examples are real contract objects, built with the same models and
:func:`~shared.events.envelope.new_envelope` the services use, and a test checks that
every registered version has one that validates and survives :func:`parse_event`.

Everything is deterministic, so the generated catalogue is stable across runs: ids are
fixed UUIDs, event ids are derived from the event type and version (:func:`uuid5`),
and times are fixed instants. The story is Bapas Kelas II Balikpapan's (the domain rules):
a Pokmas training klien in AC repair under an MoU, in WITA (UTC+8); timestamps are in
UTC as the envelope requires. No example carries personal data of a klien: events never
do (the domain rules, Privacy).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar, cast
from uuid import UUID, uuid5

from shared.events.employment import (
    ClientPlaced,
    EmployerPledged,
    EmployerRegistered,
    PlacementChecked,
    PlacementEnded,
    PlacementEndReason,
    PlacementKind,
    RetentionMilestone,
    VacancyClosed,
    VacancyPosted,
)
from shared.events.enrolment import (
    Assessment,
    AttendanceRecorded,
    AttendanceStatus,
    ClientEmployed,
    ClientEnrolled,
    ClientProfileErased,
    ClientReleased,
    ClientReoffended,
    ClientTransferredIn,
    ClientTransferredOut,
    EmploymentKind,
    EnrolmentResumed,
    EnrolmentSuspended,
    IntegrationType,
    PkOfficer,
    ReportChannel,
    ReportingScheduled,
    ReportMissed,
    ReportRecorded,
    ReportStatus,
    RevocationRecommended,
    SupervisionEnded,
    SupervisionOutcome,
    TrainingCompleted,
    TrainingWithdrawn,
    WithdrawalReason,
)
from shared.events.envelope import Actor, Envelope, EventPayload, new_envelope
from shared.events.notifications import Channel, NotificationFailed, NotificationSent, RecipientKind
from shared.events.pokmas import (
    Contact,
    MoUExpired,
    MoURenewed,
    MoUSigned,
    MoUTerminated,
    PokmasContactChanged,
    PokmasKind,
    PokmasRegistered,
    ProgrammeClosed,
    ProgrammeOpened,
)

P = TypeVar("P", bound=EventPayload)

BAPAS_CODE = "balikpapan"
"""Bapas Kelas II Balikpapan, East Kalimantan (WITA, UTC+8)."""

EXAMPLE_NAMESPACE = UUID("6b1f0c2e-9d4a-4f57-8e21-0a7c5b3d9e10")
"""Namespace of the ids derived for the examples (event and correlation ids)."""

POKMAS_ID = UUID("0b5e7c1a-3f2d-4a8b-9c6e-1d2f3a4b5c01")
MOU_ID = UUID("1c6f8d2b-4a3e-4b9c-8d7f-2e3a4b5c6d02")
PROGRAMME_ID = UUID("2d7a9e3c-5b4f-4cad-9e8a-3f4b5c6d7e03")
CLIENT_ID = UUID("3e8baf4d-6c5a-4dbe-8f9b-4a5c6d7e8f04")
ENROLMENT_ID = UUID("4f9cba5e-7d6b-4ecf-9a0c-5b6d7e8f9a05")
NOTIFICATION_SENT_ID = UUID("5a0dcb6f-8e7c-4fd0-8b1d-6c7e8f9a0b06")
NOTIFICATION_FAILED_ID = UUID("6b1edc7a-9f8d-4ae1-9c2e-7d8f9a0b1c07")
EMPLOYER_ID = UUID("7c2fed8b-0a9e-4bf2-8d3f-8e9a0b1c2d08")
VACANCY_ID = UUID("8d3a0e9c-1b0f-4c03-9e4a-9f0b1c2d3e09")
PLACEMENT_ID = UUID("9e4b1fad-2c1a-4d14-8f5b-0a1c2d3e4f10")
REPORTING_CLIENT_ID = UUID("0f5c2abe-3d2b-4e25-9a6c-1b2d3e4f5a11")
"""A second klien, released on parole in 2026: wajib lapor, then a move to Samarinda."""
NEW_BAPAS_CODE = "samarinda"
"""Bapas Kelas II Samarinda, where the second klien moves (also WITA)."""

OFFICER = Actor(role="bapas_officer", sub="pk.andi.pratama")
"""A PK officer of Bapas Balikpapan, the usual author of commands."""
POKMAS_PARTNER = Actor(role="pokmas_partner", sub="pokmas.karya-mandiri")
"""The Pokmas's own account: it opens programmes and records attendance and completion."""
SERVICE = Actor(role="service", sub="enrolment")
"""A service reacting to another service's event."""
NOTIFIER = Actor(role="service", sub="notifications")
SCHEDULER = Actor(role="service", sub="pokmas.daily-check")
SUPERVISION_CHECK = Actor(role="service", sub="enrolment.report-check")

RECORDING_DELAY = timedelta(milliseconds=120)
"""``recorded_at`` of an example is its ``occurred_at`` plus this: stored at once."""


@dataclass(frozen=True)
class EventExample:
    """An example payload and the envelope metadata that goes with it.

    ``caused_by`` names the event whose example caused this one (a reaction or a
    notification): the envelope's ``causation_id`` is that example's event id, and
    both share a ``correlation_id``.
    """

    payload: EventPayload
    occurred_at: datetime
    actor: Actor
    aggregate_version: int = 1
    caused_by: type[EventPayload] | None = None
    bapas_code: str = BAPAS_CODE


def _wita(day: date, hour: int, minute: int = 0) -> datetime:
    """A Balikpapan wall-clock time (UTC+8) as the UTC instant the envelope carries."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


POKMAS_CONTACT = Contact(
    name="Ratna Wulandari",
    phone="+62 812 5400 1234",
    email="sekretariat@karyamandiri-bpn.example",
)
PK_OFFICER = PkOfficer(
    id="198703152010121002",
    name="Andi Pratama",
    email="andi.pratama@bapas-balikpapan.example",
    phone="+62 542 731 000",
)


def _examples() -> list[EventExample]:
    return [
        EventExample(
            PokmasRegistered(
                pokmas_id=POKMAS_ID,
                name="Pokmas Karya Mandiri Balikpapan",
                kind=PokmasKind.ORGANISATION,
                registration_number="AHU-0012345.AH.01.07.2023",
                contact=POKMAS_CONTACT,
                address="Jl. Jenderal Sudirman No. 45, Klandasan Ulu, Balikpapan Kota 76112",
                skills=("ac_repair", "car_upholstery"),
            ),
            occurred_at=_wita(date(2025, 1, 8), 10),
            actor=OFFICER,
        ),
        EventExample(
            PokmasContactChanged(
                pokmas_id=POKMAS_ID,
                contact=Contact(
                    name="Yohanes Rante",
                    phone="+62 813 4700 5678",
                    email="yohanes@karyamandiri-bpn.example",
                ),
            ),
            occurred_at=_wita(date(2025, 6, 2), 9, 15),
            actor=OFFICER,
            aggregate_version=2,
        ),
        EventExample(
            MoUSigned(
                mou_id=MOU_ID,
                pokmas_id=POKMAS_ID,
                number="W17.PAS.PAS5-HM.05.02-012",
                signed_on=date(2025, 1, 15),
                valid_from=date(2025, 2, 1),
                valid_until=date(2026, 1, 31),
                scope=("ac_repair", "car_upholstery"),
            ),
            occurred_at=_wita(date(2025, 1, 15), 11),
            actor=OFFICER,
        ),
        EventExample(
            MoURenewed(mou_id=MOU_ID, valid_until=date(2027, 1, 31), renewed_on=date(2026, 1, 20)),
            occurred_at=_wita(date(2026, 1, 20), 14),
            actor=OFFICER,
            aggregate_version=2,
        ),
        EventExample(
            MoUTerminated(
                mou_id=MOU_ID,
                effective_on=date(2025, 4, 15),
                reason="The Pokmas lost the lease of its workshop on Jl. MT Haryono.",
            ),
            occurred_at=_wita(date(2025, 4, 14), 16, 30),
            actor=OFFICER,
            aggregate_version=2,
        ),
        EventExample(
            MoUExpired(mou_id=MOU_ID, expired_on=date(2026, 2, 1)),
            occurred_at=_wita(date(2026, 2, 1), 0, 5),
            actor=SCHEDULER,
            aggregate_version=2,
        ),
        EventExample(
            ProgrammeOpened(
                programme_id=PROGRAMME_ID,
                pokmas_id=POKMAS_ID,
                mou_id=MOU_ID,
                skill="ac_repair",
                title="Servis AC Split untuk Pemula",
                capacity=12,
                starts_on=date(2025, 3, 10),
                ends_on=date(2025, 5, 30),
                sessions_planned=24,
                location="Bengkel Karya Mandiri, Jl. MT Haryono No. 8, Balikpapan Selatan",
            ),
            occurred_at=_wita(date(2025, 2, 24), 13),
            actor=POKMAS_PARTNER,
        ),
        EventExample(
            ProgrammeClosed(
                programme_id=PROGRAMME_ID,
                closed_on=date(2025, 6, 2),
                reason="All 24 sessions were delivered.",
            ),
            occurred_at=_wita(date(2025, 6, 2), 15),
            actor=POKMAS_PARTNER,
            aggregate_version=2,
        ),
        EventExample(
            ClientReleased(
                client_id=CLIENT_ID,
                register_number="PB-0421/BPN/2025",
                integration_type=IntegrationType.PB,
                released_on=date(2025, 2, 20),
                supervision_ends_on=date(2026, 8, 19),
                pk_officer=PK_OFFICER,
            ),
            occurred_at=_wita(date(2025, 2, 20), 9),
            actor=OFFICER,
        ),
        EventExample(
            ClientEnrolled(
                enrolment_id=ENROLMENT_ID,
                client_id=CLIENT_ID,
                programme_id=PROGRAMME_ID,
                pokmas_id=POKMAS_ID,
                enrolled_on=date(2025, 3, 10),
            ),
            occurred_at=_wita(date(2025, 3, 5), 10, 30),
            actor=OFFICER,
        ),
        EventExample(
            AttendanceRecorded(
                enrolment_id=ENROLMENT_ID,
                session_no=3,
                session_date=date(2025, 3, 14),
                status=AttendanceStatus.LATE,
            ),
            occurred_at=_wita(date(2025, 3, 14), 12),
            actor=POKMAS_PARTNER,
            aggregate_version=4,
        ),
        EventExample(
            TrainingCompleted(
                enrolment_id=ENROLMENT_ID,
                client_id=CLIENT_ID,
                programme_id=PROGRAMME_ID,
                completed_on=date(2025, 5, 30),
                assessment=Assessment.COMPETENT,
                certificate_number="SERT/KM-BPN/AC/2025/007",
            ),
            occurred_at=_wita(date(2025, 5, 30), 16),
            actor=POKMAS_PARTNER,
            aggregate_version=26,
        ),
        EventExample(
            TrainingWithdrawn(
                enrolment_id=ENROLMENT_ID,
                client_id=CLIENT_ID,
                programme_id=PROGRAMME_ID,
                withdrawn_on=date(2025, 4, 11),
                reason_code=WithdrawalReason.EMPLOYED,
            ),
            occurred_at=_wita(date(2025, 4, 11), 11),
            actor=OFFICER,
            aggregate_version=9,
        ),
        EventExample(
            EnrolmentSuspended(
                enrolment_id=ENROLMENT_ID,
                programme_id=PROGRAMME_ID,
                mou_id=MOU_ID,
                reason="The programme's MoU was terminated from 2025-04-15.",
            ),
            occurred_at=_wita(date(2025, 4, 14), 16, 30),
            actor=SERVICE,
            aggregate_version=12,
            caused_by=MoUTerminated,
        ),
        EventExample(
            EnrolmentResumed(enrolment_id=ENROLMENT_ID, programme_id=PROGRAMME_ID, mou_id=MOU_ID),
            occurred_at=_wita(date(2026, 1, 20), 14),
            actor=SERVICE,
            aggregate_version=13,
            caused_by=MoURenewed,
        ),
        EventExample(
            ClientEmployed(
                client_id=CLIENT_ID,
                employment_kind=EmploymentKind.EMPLOYED,
                employer_name="CV Sejuk Jaya Teknik",
                started_on=date(2025, 6, 16),
                skill="ac_repair",
            ),
            occurred_at=_wita(date(2025, 6, 18), 10),
            actor=OFFICER,
            aggregate_version=2,
        ),
        EventExample(
            ClientReoffended(
                client_id=CLIENT_ID,
                recorded_on=date(2025, 11, 3),
            ),
            occurred_at=_wita(date(2025, 11, 3), 8, 45),
            actor=OFFICER,
            aggregate_version=3,
        ),
        EventExample(
            SupervisionEnded(
                client_id=CLIENT_ID,
                ended_on=date(2026, 8, 19),
                outcome=SupervisionOutcome.COMPLETED,
            ),
            occurred_at=_wita(date(2026, 8, 19), 9),
            actor=OFFICER,
            aggregate_version=4,
        ),
        EventExample(
            ClientProfileErased(client_id=CLIENT_ID, erased_on=date(2026, 9, 1)),
            occurred_at=_wita(date(2026, 9, 1), 10),
            actor=OFFICER,
            aggregate_version=5,
        ),
        EventExample(
            ReportingScheduled(
                client_id=REPORTING_CLIENT_ID, first_due_on=date(2026, 3, 3), every_days=30
            ),
            occurred_at=_wita(date(2026, 2, 1), 9),
            actor=OFFICER,
            aggregate_version=2,
        ),
        EventExample(
            ReportRecorded(
                client_id=REPORTING_CLIENT_ID,
                due_on=date(2026, 3, 3),
                reported_on=date(2026, 3, 3),
                status=ReportStatus.REPORTED,
                channel=ReportChannel.IN_PERSON,
            ),
            occurred_at=_wita(date(2026, 3, 3), 10),
            actor=OFFICER,
            aggregate_version=3,
        ),
        EventExample(
            ReportMissed(client_id=REPORTING_CLIENT_ID, due_on=date(2026, 4, 2), missed_in_a_row=1),
            occurred_at=_wita(date(2026, 4, 3), 0, 5),
            actor=SUPERVISION_CHECK,
            aggregate_version=4,
        ),
        EventExample(
            RevocationRecommended(
                client_id=REPORTING_CLIENT_ID,
                recommended_on=date(2026, 6, 2),
                missed_due_dates=[date(2026, 4, 2), date(2026, 5, 2), date(2026, 6, 1)],
            ),
            occurred_at=_wita(date(2026, 6, 2), 0, 5),
            actor=SUPERVISION_CHECK,
            aggregate_version=7,
            caused_by=ReportMissed,
        ),
        EventExample(
            ClientTransferredOut(
                client_id=REPORTING_CLIENT_ID,
                to_bapas_code=NEW_BAPAS_CODE,
                transferred_on=date(2026, 7, 1),
            ),
            occurred_at=_wita(date(2026, 7, 1), 11),
            actor=OFFICER,
            aggregate_version=9,
        ),
        EventExample(
            ClientTransferredIn(
                client_id=REPORTING_CLIENT_ID,
                from_bapas_code=BAPAS_CODE,
                transferred_on=date(2026, 7, 1),
                pk_officer=PkOfficer(
                    id="199001022015031004",
                    name="Siti Rahmawati",
                    email="siti.rahmawati@bapas-samarinda.example",
                ),
            ),
            occurred_at=_wita(date(2026, 7, 1), 11),
            actor=OFFICER,
            aggregate_version=10,
            bapas_code=NEW_BAPAS_CODE,
        ),
        EventExample(
            EmployerRegistered(
                employer_id=EMPLOYER_ID,
                name="CV Sejuk Jaya Teknik",
                sector="G",
                address="Jl. Soekarno-Hatta Km 5 No. 12, Balikpapan Utara 76125",
                contact=Contact(
                    name="Hendra Gunawan",
                    phone="+62 542 860 112",
                    email="rekrutmen@sejukjaya.example",
                ),
                skills=("ac_repair",),
            ),
            occurred_at=_wita(date(2025, 5, 20), 10),
            actor=OFFICER,
        ),
        EventExample(
            EmployerPledged(employer_id=EMPLOYER_ID, signed_on=date(2025, 5, 22)),
            occurred_at=_wita(date(2025, 5, 22), 14),
            actor=OFFICER,
            aggregate_version=2,
        ),
        EventExample(
            VacancyPosted(
                vacancy_id=VACANCY_ID,
                employer_id=EMPLOYER_ID,
                title="Teknisi AC Split",
                skill="ac_repair",
                positions=2,
                opens_on=date(2025, 6, 2),
                closes_on=date(2025, 6, 30),
                candidates=3,
            ),
            occurred_at=_wita(date(2025, 6, 2), 9),
            actor=OFFICER,
        ),
        EventExample(
            VacancyClosed(
                vacancy_id=VACANCY_ID,
                closed_on=date(2025, 7, 1),
                reason="The employer filled the second position itself.",
            ),
            occurred_at=_wita(date(2025, 7, 1), 11),
            actor=OFFICER,
            aggregate_version=2,
        ),
        EventExample(
            ClientPlaced(
                placement_id=PLACEMENT_ID,
                client_id=CLIENT_ID,
                employer_id=EMPLOYER_ID,
                vacancy_id=VACANCY_ID,
                started_on=date(2025, 6, 16),
                kind=PlacementKind.EMPLOYED,
                skill="ac_repair",
            ),
            occurred_at=_wita(date(2025, 6, 13), 15),
            actor=OFFICER,
        ),
        EventExample(
            PlacementChecked(
                placement_id=PLACEMENT_ID,
                client_id=CLIENT_ID,
                employer_id=EMPLOYER_ID,
                checked_on=date(2025, 7, 28),
                milestone=RetentionMilestone.SIX_WEEKS,
                still_employed=True,
            ),
            occurred_at=_wita(date(2025, 7, 28), 10),
            actor=OFFICER,
            aggregate_version=2,
        ),
        EventExample(
            PlacementEnded(
                placement_id=PLACEMENT_ID,
                client_id=CLIENT_ID,
                employer_id=EMPLOYER_ID,
                ended_on=date(2025, 11, 3),
                reason=PlacementEndReason.REOFFENDED,
            ),
            occurred_at=_wita(date(2025, 11, 4), 9),
            actor=OFFICER,
            aggregate_version=3,
        ),
        EventExample(
            NotificationSent(
                notification_id=NOTIFICATION_SENT_ID,
                cause_event_id=example_event_id(ClientEnrolled),
                channel=Channel.EMAIL,
                template="client_enrolled",
                recipient_kind=RecipientKind.POKMAS,
            ),
            occurred_at=_wita(date(2025, 3, 5), 10, 31),
            actor=NOTIFIER,
            caused_by=ClientEnrolled,
        ),
        EventExample(
            NotificationFailed(
                notification_id=NOTIFICATION_FAILED_ID,
                cause_event_id=example_event_id(MoUTerminated),
                channel=Channel.SMS,
                error="The SMS gateway answered 503 Service Unavailable.",
                attempts=5,
            ),
            occurred_at=_wita(date(2025, 4, 14), 18),
            actor=NOTIFIER,
            caused_by=MoUTerminated,
        ),
    ]


def example_event_id(payload_type: type[EventPayload]) -> UUID:
    """The event id of the example of ``payload_type``: derived, so always the same."""
    return uuid5(EXAMPLE_NAMESPACE, f"{payload_type.event_type}.v{payload_type.schema_version}")


def event_examples() -> dict[type[EventPayload], EventExample]:
    """Every example, by payload model (one model is one event type and version)."""
    examples: dict[type[EventPayload], EventExample] = {}
    for example in _examples():
        kind = type(example.payload)
        if kind in examples:
            raise RuntimeError(f"two examples of {kind.event_type} v{kind.schema_version}")
        examples[kind] = example
    return examples


def example_payload(payload_type: type[P]) -> P:
    """The example payload of one event version; ``KeyError`` if it has none."""
    return cast(P, event_examples()[payload_type].payload)


def example_envelope(payload_type: type[P]) -> Envelope[P]:
    """The example of one event version in its envelope, exactly as a producer writes it."""
    examples = event_examples()
    example = examples[payload_type]
    root: type[EventPayload] = payload_type
    while (cause := examples[root].caused_by) is not None:
        root = cause
    return new_envelope(
        cast(P, example.payload),
        bapas_code=example.bapas_code,
        aggregate_version=example.aggregate_version,
        correlation_id=uuid5(EXAMPLE_NAMESPACE, f"correlation/{root.event_type}"),
        actor=example.actor,
        occurred_at=example.occurred_at,
        recorded_at=example.occurred_at + RECORDING_DELAY,
        causation_id=None if example.caused_by is None else example_event_id(example.caused_by),
        event_id=example_event_id(payload_type),
    )
