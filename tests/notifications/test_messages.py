"""Every message template renders, in Bahasa Indonesia, from the facts the service
gives it; a PK officer's templates have a short text for SMS."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from uuid import uuid4

from services.notifications.directory import (
    ClientEntry,
    Directory,
    EndingSupervision,
    EnrolmentEntry,
    ExpiringMou,
    MouEntry,
    PlacementAtCheck,
    PokmasEntry,
    ProgrammeEntry,
)
from services.notifications.domain import Recipient, Reminder
from services.notifications.messages import template_names
from services.notifications.notices import (
    Notice,
    delivery_of,
    event_notices,
    mou_expiring_notices,
    retention_check_notices,
    supervision_ending_notices,
)
from shared.events.employment import RetentionMilestone
from shared.events.envelope import Actor, EventPayload, new_envelope
from shared.events.notifications import Channel, RecipientKind
from tests.notifications.employers import Employer
from tests.notifications.supervision import NEW_BAPAS, Supervision, recorded
from tests.notifications.world import World

TODAY = date(2026, 11, 28)
SMS_LENGTH = 306  # two concatenated SMS


def directory_of(world: World, officer: Recipient, employer: Employer) -> Directory:
    """A directory that knows everything the world's and the employer's events name."""
    directory = Directory()
    directory.employers[employer.employer_id] = employer.name
    contact = Recipient(RecipientKind.POKMAS, str(world.pokmas_id), "Ibu Sari", world.pokmas_email)
    directory.pokmas[world.pokmas_id] = PokmasEntry(
        world.pokmas_id, world.pokmas_registered().name, contact
    )
    directory.mous[world.mou_id] = MouEntry(world.mou_id, world.pokmas_id, world.mou_number)
    directory.programmes[world.programme_id] = ProgrammeEntry(
        world.programme_id, world.pokmas_id, "Servis AC Dasar", "ac_repair"
    )
    directory.clients[world.client_id] = ClientEntry(
        world.client_id, world.register_number, "PB", officer
    )
    directory.enrolments[world.enrolment_id] = EnrolmentEntry(
        world.enrolment_id, world.client_id, world.programme_id, world.pokmas_id
    )
    return directory


def announced(payload: EventPayload, directory: Directory) -> list[Notice]:
    event = new_envelope(
        payload,
        bapas_code="balikpapan",
        aggregate_version=1,
        correlation_id=uuid4(),
        actor=Actor(role="bapas_officer", sub="test"),
        occurred_at=datetime.now(UTC),
    )
    return event_notices(event, directory)


def notices_of_every_kind(officer: Recipient) -> list[Notice]:
    """The notices of every announced event and every reminder."""
    world = World(officer_email=officer.email, officer_phone=officer.phone)
    employer = Employer(world)
    directory = directory_of(world, officer, employer)
    supervision = Supervision(
        world, new_officer_email=officer.email, new_officer_phone=officer.phone
    )
    events = [
        world.client_released(),
        world.client_enrolled(),
        world.training_completed(),
        world.training_withdrawn(),
        world.enrolment_suspended(),
        world.mou_signed(),
        world.mou_terminated(),
        world.mou_expired(),
        employer.vacancy_posted(TODAY, candidates=3),
        employer.client_placed(TODAY),
        supervision.report_missed(),
        supervision.revocation_recommended(),
        supervision.transferred_out(),
    ]
    notices = [notice for payload in events for notice in announced(payload, directory)]
    notices += event_notices(
        recorded(supervision.transferred_in(), bapas_code=NEW_BAPAS), directory
    )
    mou = ExpiringMou(
        world.mou_id,
        "balikpapan",
        world.mou_number,
        date(2026, 12, 5),
        uuid4(),
        "MoUSigned",
        directory.pokmas[world.pokmas_id],
    )
    notices += mou_expiring_notices(mou, Reminder.MOU_EXPIRING_7, today=TODAY, check=uuid4())
    ending = EndingSupervision(
        directory.clients[world.client_id], "balikpapan", date(2026, 12, 12), uuid4()
    )
    notices += supervision_ending_notices(ending, today=TODAY, check=uuid4())
    placement = PlacementAtCheck(
        directory.clients[world.client_id],
        "balikpapan",
        employer.name,
        "employed",
        date(2026, 10, 17),
        frozenset(),
        uuid4(),
    )
    notices += retention_check_notices(placement, RetentionMilestone.SIX_WEEKS, check=uuid4())
    return notices


def test_every_template_is_used_and_reads_as_a_letter() -> None:
    officer = Recipient(RecipientKind.PK_OFFICER, "NIP-1", "Bapak Budi", email="budi@bapas.example")
    deliveries = [
        delivery_of(notice, sms_enabled=False) for notice in notices_of_every_kind(officer)
    ]

    assert sorted({d.template for d in deliveries if d}) == template_names()
    for delivery in deliveries:
        assert delivery is not None
        assert delivery.channel is Channel.EMAIL
        assert delivery.subject
        assert delivery.body.startswith("Yth. ")
        assert "Sistem Notifikasi Pembimbingan Kemandirian" in delivery.body
        assert not re.search(r"\d{4}-\d{2}-\d{2}|None|tidak tercatat", delivery.body)


def test_a_pk_officer_reached_by_sms_gets_a_short_text() -> None:
    officer = Recipient(RecipientKind.PK_OFFICER, "NIP-1", "Bapak Budi", phone="+62 811 1")
    notices = [
        n for n in notices_of_every_kind(officer) if n.recipient.kind is RecipientKind.PK_OFFICER
    ]
    deliveries = [delivery_of(notice, sms_enabled=True) for notice in notices]

    # released, enrolled, completed, withdrawn, suspended, placed, a report missed, a
    # revocation recommended, transferred out and in; supervision ending, retention check
    assert len(deliveries) == 12
    for delivery in deliveries:
        assert delivery is not None
        assert (delivery.channel, delivery.address) == (Channel.SMS, "+62 811 1")
        assert "\n" not in delivery.body
        assert len(delivery.body) <= SMS_LENGTH


def test_what_the_directory_does_not_know_reads_as_not_recorded() -> None:
    world = World()
    officer = Recipient(RecipientKind.PK_OFFICER, "NIP-1", "Bapak Budi", email="budi@bapas.example")
    directory = Directory()
    directory.clients[world.client_id] = ClientEntry(
        world.client_id, world.register_number, "PB", officer
    )

    [notice] = announced(world.training_completed(), directory)
    delivery = delivery_of(notice, sms_enabled=False)

    assert delivery is not None
    assert "program pelatihan (program tidak tercatat)" in " ".join(delivery.body.split())
