"""The skills a Pokmas can train klien in.

Skill codes appear in Pokmas registrations, MoU scopes, programmes and employment
records; they come from ``skills.json`` so that adding a skill is a data change. The
Indonesian name is what officers and templates show, the English one what
documentation shows.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter, WithJsonSchema


class Skill(BaseModel):
    """One vocational skill, as ``skills.json`` describes it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: Annotated[str, Field(pattern=r"^[a-z]+(?:_[a-z]+)*$")]
    name_id: Annotated[str, Field(min_length=1)]
    name_en: Annotated[str, Field(min_length=1)]


@functools.cache
def skills() -> tuple[Skill, ...]:
    """Every skill, in the order of the data file."""
    data = resources.files("shared.reference").joinpath("skills.json").read_bytes()
    return TypeAdapter(tuple[Skill, ...]).validate_json(data)


@functools.cache
def skill_codes() -> frozenset[str]:
    return frozenset(skill.code for skill in skills())


def _known_skill_code(code: str) -> str:
    if code not in skill_codes():
        raise ValueError(f"unknown skill code {code!r}; known: {', '.join(sorted(skill_codes()))}")
    return code


SkillCode = Annotated[
    str,
    AfterValidator(_known_skill_code),
    WithJsonSchema({"type": "string", "enum": [skill.code for skill in skills()]}),
]
"""A skill code field: validated against ``skills.json``, published as an enum."""
