"""The employment events a test feeds the notifications service, as the employment
service would publish them.

An :class:`Employer` is one employer of a :class:`World`'s Bapas, with fresh ids and a
name carrying the world's tag, a vacancy it posts, and the placement of the world's
klien with it; dates are given by the test, which knows what "today" is for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from uuid import UUID, uuid4

from shared.events.employment import (
    ClientPlaced,
    EmployerRegistered,
    PlacementChecked,
    PlacementEnded,
    PlacementEndReason,
    PlacementKind,
    RetentionMilestone,
    VacancyPosted,
)
from shared.events.pokmas import Contact
from tests.notifications.world import World


@dataclass
class Employer:
    """An employer, its vacancy, and the placement of ``world``'s klien with it."""

    world: World
    employer_id: UUID = field(default_factory=uuid4)
    vacancy_id: UUID = field(default_factory=uuid4)
    placement_id: UUID = field(default_factory=uuid4)

    @property
    def name(self) -> str:
        return f"CV Sejuk Jaya Teknik {self.world.tag[:4]}"

    def employer_registered(self) -> EmployerRegistered:
        return EmployerRegistered(
            employer_id=self.employer_id,
            name=self.name,
            sector="G",
            address="Jl. Soekarno-Hatta Km 5 No. 12, Balikpapan Utara",
            contact=Contact(
                name="Hendra Gunawan", phone="+62 542 860 112", email="rekrutmen@sejuk.example"
            ),
            skills=("ac_repair",),
        )

    def vacancy_posted(self, opens_on: date, *, candidates: int) -> VacancyPosted:
        return VacancyPosted(
            vacancy_id=self.vacancy_id,
            employer_id=self.employer_id,
            title="Teknisi AC Split",
            skill="ac_repair",
            positions=2,
            opens_on=opens_on,
            closes_on=opens_on + timedelta(days=28),
            candidates=candidates,
        )

    def client_placed(
        self, started_on: date, kind: PlacementKind = PlacementKind.EMPLOYED
    ) -> ClientPlaced:
        return ClientPlaced(
            placement_id=self.placement_id,
            client_id=self.world.client_id,
            employer_id=self.employer_id,
            vacancy_id=self.vacancy_id,
            started_on=started_on,
            kind=kind,
            skill="ac_repair",
        )

    def placement_checked(
        self, milestone: RetentionMilestone, checked_on: date
    ) -> PlacementChecked:
        return PlacementChecked(
            placement_id=self.placement_id,
            client_id=self.world.client_id,
            employer_id=self.employer_id,
            checked_on=checked_on,
            milestone=milestone,
            still_employed=True,
        )

    def placement_ended(self, ended_on: date) -> PlacementEnded:
        return PlacementEnded(
            placement_id=self.placement_id,
            client_id=self.world.client_id,
            employer_id=self.employer_id,
            ended_on=ended_on,
            reason=PlacementEndReason.RESIGNED,
        )
