"""The texts people receive, in Bahasa Indonesia, from the Jinja2 templates in
``templates/``.

One file per (event or reminder, recipient kind), e.g. ``mou_signed.pokmas.txt``. Each
extends ``_layout.txt`` (greeting and signature) and defines the blocks ``subject``
and ``content``, and, when the recipient may be reached by SMS (the PK officer), a
short ``sms`` block. Dates go through the ``tanggal`` filter ("28 November 2026"), a
list of dates through ``daftar_tanggal`` ("2 April 2026 dan 2 Mei 2026"), skills
through ``keahlian``, days left through ``sisa_hari``. Templates are plain
text; ``StrictUndefined`` makes a misspelt name an error that the unit tests catch.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

import jinja2

from shared.indonesian import dates, format_date, skill_names

TEMPLATE_SUFFIX = ".txt"


def days_left(days: int) -> str:
    """``hari ini``, ``besok``, ``dalam 7 hari``."""
    if days == 0:
        return "hari ini"
    if days == 1:
        return "besok"
    return f"dalam {days} hari"


@functools.cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("services.notifications", "templates"),
        undefined=jinja2.StrictUndefined,
        # Plain-text messages: nothing is HTML, so nothing is escaped.
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",)),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["tanggal"] = format_date
    environment.filters["daftar_tanggal"] = dates
    environment.filters["keahlian"] = skill_names
    environment.filters["sisa_hari"] = days_left
    return environment


def template_names() -> list[str]:
    """Every message template (without the suffix), for the tests."""
    return sorted(
        name.removesuffix(TEMPLATE_SUFFIX)
        for name in _environment().list_templates()
        if not name.startswith("_")
    )


@dataclass(frozen=True, slots=True)
class Message:
    subject: str
    body: str
    sms: str | None
    """The one-line text for an SMS, if the template has one."""


def render(template_name: str, facts: Mapping[str, object]) -> Message:
    """The message of that template with these facts."""
    template = _environment().get_template(template_name + TEMPLATE_SUFFIX)
    context = template.new_context(dict(facts))
    subject = " ".join("".join(template.blocks["subject"](context)).split())
    sms_block = template.blocks.get("sms")
    sms = " ".join("".join(sms_block(context)).split()) if sms_block else None
    return Message(subject=subject, body=template.render(facts).strip() + "\n", sms=sms)
