"""What the supervision events tell whom, in Bahasa Indonesia, from the facts the service
gives the templates (no Kafka, no database): a recommendation to revoke tells the PK
officer and the office which klien and which due dates; a transfer tells each office and
its PK officer; a missed report tells the PK officer when it starts a streak. A klien is
named by register number only: no message repeats a name or NIK, not even one an
officer wrote into a transfer's reason."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from services.notifications.deliveries import NewDelivery
from services.notifications.directory import ClientEntry, Directory
from services.notifications.domain import Recipient
from services.notifications.notices import Notice, delivery_of, event_notices
from shared.events.envelope import EventPayload
from shared.events.notifications import Channel, RecipientKind
from shared.indonesian import format_date
from shared.reference import bapas_office
from tests.notifications.supervision import (
    KLIEN_NAME,
    KLIEN_NIK,
    Supervision,
    recorded,
)
from tests.notifications.world import World

SMS_LENGTH = 306  # two concatenated SMS


def officer_of(world: World) -> Recipient:
    return Recipient(
        RecipientKind.PK_OFFICER,
        f"NIP-{world.tag}",
        "Bapak Budi Santoso",
        email=world.officer_email,
        phone=world.officer_phone,
    )


def directory_of(world: World) -> Directory:
    """A directory that knows the klien and its PK officer at the old office."""
    directory = Directory()
    directory.clients[world.client_id] = ClientEntry(
        world.client_id, world.register_number, "PB", officer_of(world)
    )
    return directory


def notices(supervision: Supervision, payload: EventPayload, bapas_code: str) -> list[Notice]:
    return event_notices(recorded(payload, bapas_code=bapas_code), directory_of(supervision.world))


def emails(supervision: Supervision, payload: EventPayload, bapas_code: str) -> list[NewDelivery]:
    """The e-mails that tell of ``payload`` recorded at ``bapas_code``."""
    found = [delivery_of(n, sms_enabled=False) for n in notices(supervision, payload, bapas_code)]
    assert all(delivery is not None for delivery in found)
    return [delivery for delivery in found if delivery is not None]


def text(delivery: NewDelivery) -> str:
    return " ".join(delivery.body.split())


Case = Callable[[Supervision], tuple[EventPayload, str, dict[str, str | None]]]


def revocation(s: Supervision) -> tuple[EventPayload, str, dict[str, str | None]]:
    return (
        s.revocation_recommended(),
        s.world.bapas_code,
        {
            "revocation_recommended.pk_officer": s.world.officer_email,
            "revocation_recommended.bapas": s.world.office_email,
        },
    )


def transfer_out(s: Supervision) -> tuple[EventPayload, str, dict[str, str | None]]:
    return (
        s.transferred_out(),
        s.world.bapas_code,
        {
            "client_transferred_out.bapas": s.world.office_email,
            "client_transferred_out.pk_officer": s.world.officer_email,
        },
    )


def transfer_in(s: Supervision) -> tuple[EventPayload, str, dict[str, str | None]]:
    return (
        s.transferred_in(),
        s.new_bapas_code,
        {
            "client_transferred_in.bapas": s.new_office_email,
            "client_transferred_in.pk_officer": s.new_officer_email,
        },
    )


def first_miss(s: Supervision) -> tuple[EventPayload, str, dict[str, str | None]]:
    return (
        s.report_missed(in_a_row=1),
        s.world.bapas_code,
        {"report_missed.pk_officer": s.world.officer_email},
    )


@pytest.mark.parametrize("case", [revocation, transfer_out, transfer_in, first_miss])
def test_each_supervision_event_is_mailed_to_exactly_its_recipients(case: Case) -> None:
    supervision = Supervision(World())
    payload, bapas_code, expected = case(supervision)

    told = emails(supervision, payload, bapas_code)

    assert {d.template: d.address for d in told} == expected
    assert len(told) == len(expected)


@pytest.mark.parametrize("in_a_row", [2, 3, 7])
def test_a_missed_report_later_in_a_streak_tells_nobody(in_a_row: int) -> None:
    supervision = Supervision(World())

    assert notices(supervision, supervision.report_missed(in_a_row), "balikpapan") == []


def test_a_recommendation_to_revoke_names_the_klien_and_the_missed_due_dates() -> None:
    supervision = Supervision(World())
    missed = supervision.missed_due_dates()
    payload = supervision.revocation_recommended(missed)
    told = {d.template: d for d in emails(supervision, payload, "balikpapan")}
    to_officer = told["revocation_recommended.pk_officer"]
    to_office = told["revocation_recommended.bapas"]
    listed = f"{format_date(missed[0])}, {format_date(missed[1])} dan {format_date(missed[2])}"

    for delivery in (to_officer, to_office):
        assert delivery.subject == (
            f"Rekomendasi pencabutan Pembebasan Bersyarat klien {supervision.world.register_number}"
        )
        assert f"wajib lapor pada 3 tanggal berturut-turut: {listed}." in text(delivery)
        assert "pencabutan Pembebasan Bersyarat klien dapat dipertimbangkan" in text(delivery)
    assert "PK klien: Bapak Budi Santoso." in text(to_office)


def test_a_missed_report_tells_the_pk_officer_its_due_date() -> None:
    supervision = Supervision(World())
    payload = supervision.report_missed(in_a_row=1)

    [delivery] = emails(supervision, payload, "balikpapan")

    assert delivery.subject == (
        f"Klien {supervision.world.register_number} tidak memenuhi wajib lapor "
        f"{format_date(payload.due_on)}"
    )
    assert f"jatuh tempo pada {format_date(payload.due_on)}" in text(delivery)


def test_a_transfer_tells_each_office_where_the_klien_goes_and_comes_from() -> None:
    supervision = Supervision(World())
    register_number = supervision.world.register_number
    old, new = bapas_office("balikpapan").name, bapas_office("samarinda").name
    out = {d.template: d for d in emails(supervision, supervision.transferred_out(), "balikpapan")}
    came = {d.template: d for d in emails(supervision, supervision.transferred_in(), "samarinda")}
    since = format_date(supervision.world.today)

    assert out["client_transferred_out.bapas"].subject == (
        f"Klien {register_number} dipindahkan ke {new}"
    )
    assert f"dipindahkan dari pembimbingan {old} ke {new} sejak {since}" in text(
        out["client_transferred_out.bapas"]
    )
    assert "tidak lagi dalam pembimbingan Anda" in text(out["client_transferred_out.pk_officer"])
    assert came["client_transferred_in.bapas"].subject == (
        f"Klien pindahan dari {old}: {register_number}"
    )
    assert "PK yang ditunjuk: Ibu Siti Rahmawati." in text(came["client_transferred_in.bapas"])
    assert f"dipindahkan dari {old} ke pembimbingan Anda di {new} sejak {since}" in text(
        came["client_transferred_in.pk_officer"]
    )
    # Each office signs its own messages.
    assert text(out["client_transferred_out.pk_officer"]).endswith(
        f"Sistem Notifikasi Pembimbingan Kemandirian {old} -- Pesan ini dikirim otomatis "
        "oleh sistem; mohon tidak membalas."
    )
    assert f"Kemandirian {new} --" in text(came["client_transferred_in.pk_officer"])


def test_a_transfer_naming_no_pk_officer_tells_the_new_office_that_none_is_named() -> None:
    supervision = Supervision(World())

    [delivery] = emails(supervision, supervision.transferred_in(officer_named=False), "samarinda")

    assert (delivery.template, delivery.address) == (
        "client_transferred_in.bapas",
        supervision.new_office_email,
    )
    assert "Belum ada PK yang ditunjuk bagi klien ini." in text(delivery)


def every_supervision_notice(supervision: Supervision) -> list[Notice]:
    old, new = supervision.world.bapas_code, supervision.new_bapas_code
    return [
        *notices(supervision, supervision.report_missed(), old),
        *notices(supervision, supervision.revocation_recommended(), old),
        *notices(supervision, supervision.transferred_out(), old),
        *notices(supervision, supervision.transferred_in(), new),
    ]


def test_no_message_names_the_klien_or_gives_a_nik_not_even_from_a_transfer_reason() -> None:
    by_email = Supervision(World())
    by_sms = Supervision(World(officer_email=None), new_officer_email=None)
    deliveries = [
        delivery_of(notice, sms_enabled=True)
        for supervision in (by_email, by_sms)
        for notice in every_supervision_notice(supervision)
    ]
    # Seven e-mails each (four to offices); the PK officer's four by SMS for the second.
    channels = sorted(d.channel.value for d in deliveries if d is not None)

    assert channels == ["email"] * 10 + ["sms"] * 4
    for delivery in deliveries:
        assert delivery is not None
        seen = f"{delivery.subject}\n{delivery.body}"
        assert KLIEN_NAME not in seen
        assert KLIEN_NIK not in seen
        assert "bengkel kakaknya" not in seen  # nothing of the reason at all


def test_the_pk_officer_reached_by_sms_gets_a_short_text_of_each() -> None:
    supervision = Supervision(World(officer_email=None), new_officer_email=None)
    to_officers = [
        n
        for n in every_supervision_notice(supervision)
        if n.recipient.kind is RecipientKind.PK_OFFICER
    ]
    deliveries = [delivery_of(notice, sms_enabled=True) for notice in to_officers]

    assert len(deliveries) == 4
    for delivery in deliveries:
        assert delivery is not None
        assert delivery.channel is Channel.SMS
        assert "\n" not in delivery.body
        assert len(delivery.body) <= SMS_LENGTH
        assert supervision.world.register_number in delivery.body


def test_every_supervision_message_reads_as_a_letter() -> None:
    supervision = Supervision(World())
    deliveries = [
        delivery_of(notice, sms_enabled=False) for notice in every_supervision_notice(supervision)
    ]

    assert len(deliveries) == 7
    for delivery in deliveries:
        assert delivery is not None
        assert delivery.body.startswith("Yth. ")
        assert "Sistem Notifikasi Pembimbingan Kemandirian" in delivery.body
        assert not re.search(r"\d{4}-\d{2}-\d{2}|None|tidak tercatat", delivery.body)
