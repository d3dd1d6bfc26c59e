"""Who the caller is and what it may read and write: the scope table of the API contract.

Every service answers the same question — may this caller see or change something
of this Bapas (and this Pokmas)? — so the answer lives here once, away from HTTP and
SQL. A :class:`Principal` answers it for one item, and refuses with the application's
own refusals (:class:`NotVisible`, :class:`NotPermitted`), so commands and queries run
the same under the API, a command-line tool, a job or a plain test; a
:class:`ListScope` is the filter a caller's lists are limited to, which a service
turns into a ``WHERE`` clause.

The province of a Bapas comes from the reference data; it reaches this module as a
plain mapping of Bapas code to province code, so the scope rules do not depend on
how the reference data is stored.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Protocol, TypeVar
from uuid import UUID

from shared.eventstore.refusals import NotPermitted, NotVisible


class OfficeItem(Protocol):
    """Anything read through the API that belongs to one Bapas."""

    @property
    def bapas_code(self) -> str: ...


Item = TypeVar("Item", bound=OfficeItem)


class Role(StrEnum):
    MINISTRY = "ministry"
    REGIONAL = "regional"
    BAPAS_OFFICER = "bapas_officer"
    POKMAS_PARTNER = "pokmas_partner"
    SERVICE = "service"


# The claims each role's token carries besides sub, role and exp.
CLAIMS_BY_ROLE: Mapping[Role, frozenset[str]] = MappingProxyType(
    {
        Role.MINISTRY: frozenset(),
        Role.REGIONAL: frozenset({"province"}),
        Role.BAPAS_OFFICER: frozenset({"bapas"}),
        Role.POKMAS_PARTNER: frozenset({"bapas", "pokmas_id"}),
        Role.SERVICE: frozenset(),
    }
)

_READS_EVERYTHING = frozenset({Role.MINISTRY, Role.SERVICE})

MAX_SUB_LENGTH = 256
"""The longest ``sub`` a token may carry (the API contract); events record it as ``actor.sub``."""

# Control characters (NUL among them) and lone surrogates cannot be stored as text by
# PostgreSQL or encoded as UTF-8, so a sub holding one would fail every write.
_UNSTORABLE_CATEGORIES = frozenset({"Cc", "Cs"})


def sub_problem(sub: object) -> str | None:
    """What is wrong with a token's ``sub`` (``"is blank"``, …), or ``None`` if nothing is."""
    if not isinstance(sub, str):
        return "must be a text"
    if len(sub) > MAX_SUB_LENGTH:
        return f"is longer than {MAX_SUB_LENGTH} characters"
    if not sub.strip():
        return "is blank"
    if any(unicodedata.category(character) in _UNSTORABLE_CATEGORIES for character in sub):
        return "holds a control character"
    return None


@dataclass(frozen=True, slots=True)
class ListScope:
    """The rows a caller's list may show; ``None`` means no limit on that column.

    A service filters with, for instance,
    ``($1::text[] IS NULL OR bapas_code = ANY($1)) AND ($2::uuid IS NULL OR pokmas_id = $2)``.
    An empty ``bapas_codes`` means the list is empty whatever the table holds.
    """

    bapas_codes: frozenset[str] | None = None
    pokmas_id: UUID | None = None

    @property
    def is_empty(self) -> bool:
        return self.bapas_codes is not None and not self.bapas_codes

    def narrowed(
        self, *, bapas_code: str | None = None, pokmas_id: UUID | None = None
    ) -> ListScope:
        """This scope further limited by a list's ``?bapas_code=`` and ``?pokmas_id=`` filters.

        A filter outside the scope gives an empty scope, not an error: a list does
        not tell a caller whether things outside its scope exist.
        """
        codes = self.bapas_codes
        if bapas_code is not None:
            inside = codes is None or bapas_code in codes
            codes = frozenset({bapas_code}) if inside else frozenset()
        if pokmas_id is None:
            return ListScope(codes, self.pokmas_id)
        if self.pokmas_id is not None and self.pokmas_id != pokmas_id:
            codes = frozenset()
        return ListScope(codes, pokmas_id)


@dataclass(frozen=True, slots=True)
class Principal:
    """The verified caller of one request and the scope rules that apply to it.

    ``bapas_provinces`` maps each Bapas code to its province code; only the
    ``regional`` role needs it. ``sub`` is a text of up to 256 characters that can be
    stored (see :func:`sub_problem`): every event the caller causes records it.
    """

    role: Role
    sub: str
    bapas: str | None = None
    province: str | None = None
    pokmas_id: UUID | None = None
    bapas_provinces: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType({}), repr=False, compare=False
    )

    def __post_init__(self) -> None:
        given = {
            name
            for name, value in (
                ("bapas", self.bapas),
                ("province", self.province),
                ("pokmas_id", self.pokmas_id),
            )
            if value
        }
        needed = CLAIMS_BY_ROLE[self.role]
        if given != needed:
            raise ValueError(
                f"role {self.role} needs exactly the claims {sorted(needed)}, got {sorted(given)}"
            )
        problem = sub_problem(self.sub)
        if problem is not None:
            raise ValueError(f"sub {problem}")

    def claims(self) -> dict[str, str]:
        """The token claims that describe this caller (without ``exp``)."""
        claims = {"sub": self.sub, "role": self.role.value}
        if self.bapas is not None:
            claims["bapas"] = self.bapas
        if self.province is not None:
            claims["province"] = self.province
        if self.pokmas_id is not None:
            claims["pokmas_id"] = str(self.pokmas_id)
        return claims

    def acts_for_pokmas(self, pokmas_id: UUID | None) -> bool:
        """Whether the caller is the partner of that Pokmas."""
        return (
            self.role is Role.POKMAS_PARTNER
            and pokmas_id is not None
            and pokmas_id == self.pokmas_id
        )

    def can_read(self, bapas_code: str, *, pokmas_id: UUID | None = None) -> bool:
        """Whether the caller may read an item of that Bapas (and that Pokmas, if any).

        Pass ``pokmas_id`` for items that belong to a Pokmas (the Pokmas itself, its
        MoUs, programmes and their enrolments): a Pokmas partner reads only those.
        """
        if self.role in _READS_EVERYTHING:
            return True
        if self.role is Role.REGIONAL:
            return self.bapas_provinces.get(bapas_code) == self.province
        if self.role is Role.BAPAS_OFFICER:
            return bapas_code == self.bapas
        return bapas_code == self.bapas and self.acts_for_pokmas(pokmas_id)

    def can_write(self, bapas_code: str, *, partner_of: UUID | None = None) -> bool:
        """Whether the caller may change something of that Bapas.

        The Bapas's own officers may change anything of it. Pass ``partner_of`` only
        for the writes a Pokmas partner may also make — opening a programme under its
        MoU, recording attendance, completion and withdrawal — naming the Pokmas
        concerned; the partner of that Pokmas is then allowed too.
        """
        if self.role is Role.BAPAS_OFFICER:
            return bapas_code == self.bapas
        return bapas_code == self.bapas and self.acts_for_pokmas(partner_of)

    def can_see_client_profile(self, bapas_code: str) -> bool:
        """Whether the caller may see a klien's profile (name, NIK, phone, address)."""
        return self.role is Role.BAPAS_OFFICER and bapas_code == self.bapas

    def can_see_who_looked(self, bapas_code: str) -> bool:
        """Whether the caller may read who looked at a klien's personal data: the
        officers of the klien's Bapas, and the ministry."""
        return self.role is Role.MINISTRY or self.can_see_client_profile(bapas_code)

    def require_read(
        self, bapas_code: str, *, pokmas_id: UUID | None = None, detail: str = "not found"
    ) -> None:
        """Refuse with :class:`NotVisible` unless the caller may read the item.

        Give the ``detail`` an unknown id would get, so that the refusal for an item
        outside the scope cannot be told from the refusal for a missing one.
        """
        if not self.can_read(bapas_code, pokmas_id=pokmas_id):
            raise NotVisible(detail)

    def require_found(self, item: Item | None, unknown: str) -> Item:
        """``item`` if it exists and the caller may read it; otherwise the same
        :class:`NotVisible` (``unknown``) for both. An item that names its Pokmas
        (``pokmas_id``) is readable by that Pokmas's partner too."""
        if item is None:
            raise NotVisible(unknown)
        self.require_read(
            item.bapas_code, pokmas_id=getattr(item, "pokmas_id", None), detail=unknown
        )
        return item

    def require_write(self, bapas_code: str, *, partner_of: UUID | None = None) -> None:
        """Refuse with :class:`NotPermitted` unless the caller may make the write (see
        :meth:`can_write`)."""
        if not self.can_write(bapas_code, partner_of=partner_of):
            raise NotPermitted(
                f"role {self.role} may not make this change: it is outside its scope"
            )

    def list_scope(self) -> ListScope:
        """The filter every list this caller asks for is limited to."""
        if self.role in _READS_EVERYTHING:
            return ListScope()
        if self.role is Role.REGIONAL:
            return ListScope(
                frozenset(
                    code
                    for code, province in self.bapas_provinces.items()
                    if province == self.province
                )
            )
        own = frozenset({self.bapas}) if self.bapas else frozenset()
        return ListScope(own, self.pokmas_id)
