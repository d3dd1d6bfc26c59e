"""The sectors of the economy an employer works in: the sections A–U of KBLI 2020.

KBLI (Klasifikasi Baku Lapangan Usaha Indonesia, the Indonesian standard industrial
classification, issued by Badan Pusat Statistik) groups every business activity under
one lettered section. An employer's ``sector`` is that letter, so that employers can be
found and counted by sector the same way across offices. The sections come from
``kbli.json``, with their official Indonesian titles (what officers read) and the
English ones (what documentation shows).
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter, WithJsonSchema


class Sector(BaseModel):
    """One section of KBLI 2020, as ``kbli.json`` describes it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    letter: Annotated[str, Field(pattern=r"^[A-Z]$")]
    name_id: Annotated[str, Field(min_length=1)]
    name_en: Annotated[str, Field(min_length=1)]


@functools.cache
def sectors() -> tuple[Sector, ...]:
    """Every section, in the order of the classification (A to U)."""
    data = resources.files("shared.reference").joinpath("kbli.json").read_bytes()
    return TypeAdapter(tuple[Sector, ...]).validate_json(data)


@functools.cache
def sector_letters() -> frozenset[str]:
    return frozenset(sector.letter for sector in sectors())


def _known_section(letter: str) -> str:
    if letter not in sector_letters():
        known = ", ".join(sector.letter for sector in sectors())
        raise ValueError(f"unknown KBLI 2020 section {letter!r}; known: {known}")
    return letter


KbliSection = Annotated[
    str,
    AfterValidator(_known_section),
    WithJsonSchema({"type": "string", "enum": [sector.letter for sector in sectors()]}),
]
"""A sector field: the letter of a KBLI 2020 section (``"C"``), refused unless known."""
