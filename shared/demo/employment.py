"""The employment half of the Balikpapan case, through the employment service: two
Balikpapan workshops sign the fair-chance pledge and post a vacancy each, the Bapas's
officers place trained klien from the vacancies' candidates, check six weeks later
that they are still at work, and an employer verifies a graduate's certificate on the
enrolment service's public page.

The placements start in the past, so that their 6-week checks are due today: the
scenario hands over graduates whose training ended before the first start.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from shared.demo.client import DemoError, PlatformClient, eventually
from shared.events.employment import RetentionMilestone

Narrate = Callable[[str], None]
Day = Callable[[int], str]
"""The ISO date ``offset`` days from today at the Bapas."""

PLEDGED = -90
VACANCIES_OPEN = -80
VACANCIES_CLOSE = 30
"""Days from today: the pledges were signed three months ago, the vacancies opened on
the day the earlier cohort's training ended and stay open another month."""

SIX_WEEK_CHECK = RetentionMilestone.SIX_WEEKS.first_day
"""The day after the start from which a placement's 6-week retention check is due."""


@dataclass(frozen=True)
class Graduate:
    """A klien who completed a training assessed competent: whom an employer may hire."""

    client_id: UUID
    enrolment_id: UUID
    skill: str


@dataclass(frozen=True)
class Workshop:
    """An employer of the case and the vacancy it posts; ``starts`` are the days (from
    today) its hires started work, one per position."""

    name: str
    sector: str
    """KBLI 2020 section: S for repair services, G for the repair of motor vehicles."""
    skill: str
    address: str
    contact: str
    phone: str
    email: str
    vacancy: str
    starts: tuple[int, ...]


WORKSHOPS = (
    Workshop(
        name="CV Sejuk Jaya Teknik",
        sector="S",
        skill="ac_repair",
        address="Jl. MT Haryono No. 21, Balikpapan",
        contact="Hendra Gunawan",
        phone="+62 542 731 201",
        email="hendra@sejukjaya.example",
        vacancy="Teknisi servis AC",
        starts=(-70, -63),
    ),
    Workshop(
        name="Bengkel Jok Makmur",
        sector="G",
        skill="car_upholstery",
        address="Jl. Letjen Suprapto No. 8, Balikpapan",
        contact="Rudi Hartono",
        phone="+62 542 874 115",
        email="rudi@jokmakmur.example",
        vacancy="Tukang jok mobil",
        starts=(-56,),
    ),
)


@dataclass
class PlayedPlacement:
    placement_id: UUID
    graduate: Graduate
    register_number: str
    start: int


@dataclass
class PlayedWorkshop:
    workshop: Workshop
    employer_id: UUID
    vacancy_id: UUID
    candidates: list[str] = field(default_factory=list)
    """The register numbers of the run's klien among the vacancy's candidates, when the
    officers placed from it."""
    placements: list[PlayedPlacement] = field(default_factory=list)


@dataclass
class Hiring:
    """The employment steps, and what they created."""

    client: PlatformClient
    bapas_code: str
    officer: str
    mark: str
    day: Day
    narrate: Narrate
    workshops: list[PlayedWorkshop] = field(default_factory=list)
    certificate_code: str = ""
    certificate_check: dict[str, Any] = field(default_factory=dict)
    """What the public verification of a placed graduate's certificate answered."""

    @property
    def placements(self) -> list[PlayedPlacement]:
        return [placement for played in self.workshops for placement in played.placements]

    async def register_employers_and_post_vacancies(self) -> None:
        for workshop in WORKSHOPS:
            registered = await self.client.command(
                "employment", "/employers", self._employer_body(workshop), token=self.officer
            )
            employer_id = UUID(registered["id"])
            await self.client.command(
                "employment",
                f"/employers/{employer_id}/pledge",
                {"signed_on": self.day(PLEDGED)},
                token=self.officer,
            )
            posted = await self.client.command(
                "employment",
                f"/employers/{employer_id}/vacancies",
                {
                    "title": workshop.vacancy,
                    "skill": workshop.skill,
                    "positions": len(workshop.starts),
                    "opens_on": self.day(VACANCIES_OPEN),
                    "closes_on": self.day(VACANCIES_CLOSE),
                },
                token=self.officer,
            )
            self.workshops.append(PlayedWorkshop(workshop, employer_id, UUID(posted["id"])))
        self.narrate(
            f"{len(WORKSHOPS)} Balikpapan workshops registered as employers, signed the "
            "fair-chance pledge and posted a vacancy each"
        )

    async def place_graduates(
        self, graduates: Sequence[Graduate], klien_of_the_run: Collection[UUID]
    ) -> None:
        """Fill each vacancy with graduates in its skill, once the employment service
        counts them among its candidates."""
        for played in self.workshops:
            skill = played.workshop.skill
            hired = [graduate for graduate in graduates if graduate.skill == skill]
            hired = hired[: len(played.workshop.starts)]
            candidates = await self._candidates_including(played, hired)
            played.candidates = sorted(
                candidate["register_number"]
                for candidate in candidates
                if UUID(candidate["client_id"]) in klien_of_the_run
            )
            register_numbers = {UUID(c["client_id"]): c["register_number"] for c in candidates}
            for graduate, start in zip(hired, played.workshop.starts, strict=True):
                placed = await self.client.command(
                    "employment",
                    "/placements",
                    {
                        "client_id": str(graduate.client_id),
                        "employer_id": str(played.employer_id),
                        "vacancy_id": str(played.vacancy_id),
                        "started_on": self.day(start),
                        "kind": "employed",
                    },
                    token=self.officer,
                )
                played.placements.append(
                    PlayedPlacement(
                        UUID(placed["id"]), graduate, register_numbers[graduate.client_id], start
                    )
                )
        weeks = sorted(-placement.start // 7 for placement in self.placements)
        self.narrate(
            f"the officers placed {len(self.placements)} graduates from the vacancies' "
            f"candidates; their work started {weeks[0]} to {weeks[-1]} weeks ago"
        )

    async def _candidates_including(
        self, played: PlayedWorkshop, hired: Sequence[Graduate]
    ) -> list[dict[str, Any]]:
        """The vacancy's candidates once they include ``hired`` (the employment service
        learns trainings from the enrolment events, not from the enrolment service)."""
        wanted = {graduate.client_id for graduate in hired}

        async def listed() -> list[dict[str, Any]] | None:
            candidates = await self.client.read_all(
                "employment", f"/vacancies/{played.vacancy_id}/candidates", token=self.officer
            )
            found = {UUID(candidate["client_id"]) for candidate in candidates}
            return candidates if wanted <= found else None

        answer: list[dict[str, Any]] = await eventually(
            "the employment service to count the graduates among the candidates", listed
        )
        return answer

    async def check_retention(self) -> None:
        for placement in self.placements:
            await self.client.command(
                "employment",
                f"/placements/{placement.placement_id}/checks",
                {"checked_on": self.day(placement.start + SIX_WEEK_CHECK), "still_employed": True},
                token=self.officer,
            )
        self.narrate(
            f"the 6-week checks: all {len(self.placements)} klien were still at work six "
            "weeks after they started"
        )

    async def verify_a_certificate(self) -> None:
        """The first employer checks its first hire's certificate, typing the name
        printed on it."""
        employer = self.workshops[0]
        graduate = employer.placements[0].graduate
        enrolment = await self.client.read(
            "enrolment", f"/enrolments/{graduate.enrolment_id}", token=self.officer
        )
        code, printed_name = enrolment["certificate_code"], enrolment["trainee_name"]
        if code is None or printed_name is None:
            raise DemoError(f"enrolment {graduate.enrolment_id} shows no certificate to print")
        check = await self.client.verify_certificate(code, name=printed_name)
        if check.get("valid") is not True or check.get("name_matches") is not True:
            raise DemoError(f"certificate {code} did not verify with its printed name: {check}")
        self.certificate_code, self.certificate_check = code, check
        self.narrate(
            f"{employer.workshop.name} verified its first hire's certificate {code}: "
            "genuine, and the name on the paper matches"
        )

    async def employer_rows(self) -> list[dict[str, Any]]:
        """Per employer: its pledge and its track record."""
        rows: list[dict[str, Any]] = []
        for played in self.workshops:
            employer = await self._read(f"/employers/{played.employer_id}")
            record = await self._read(f"/employers/{played.employer_id}/record")
            rows.append(
                {
                    "employer": played.workshop.name,
                    "sector": employer["sector"],
                    "pledged_on": employer["pledged_on"],
                    "hires": record["hires"],
                    "still_employed_6_weeks": record["six_weeks"]["still_employed"],
                }
            )
        return rows

    async def vacancy_rows(self) -> list[dict[str, Any]]:
        """Per vacancy: its positions, the run's klien among its candidates, the placed."""
        rows: list[dict[str, Any]] = []
        for played in self.workshops:
            vacancy = await self._read(f"/vacancies/{played.vacancy_id}")
            rows.append(
                {
                    "vacancy": vacancy["title"],
                    "skill": vacancy["skill"],
                    "positions": vacancy["positions"],
                    "candidates": len(played.candidates),
                    "placed": vacancy["placed"],
                    "status": vacancy["status"],
                }
            )
        return rows

    async def placement_rows(self) -> list[dict[str, Any]]:
        """Per placement: the klien (by register number), where, since when, its check."""
        rows: list[dict[str, Any]] = []
        for played in self.workshops:
            for placement in played.placements:
                found = await self._read(f"/placements/{placement.placement_id}")
                check = found["six_weeks"] or {}
                rows.append(
                    {
                        "klien": placement.register_number,
                        "employer": played.workshop.name,
                        "started_on": found["started_on"],
                        "checked_on": check.get("checked_on"),
                        "still_employed": check.get("still_employed"),
                        "status": found["status"],
                    }
                )
        return rows

    async def _read(self, path: str) -> Any:
        return await self.client.read("employment", path, token=self.officer)

    def _employer_body(self, workshop: Workshop) -> dict[str, Any]:
        return {
            "bapas_code": self.bapas_code,
            "name": f"{workshop.name} ({self.mark})",
            "sector": workshop.sector,
            "address": workshop.address,
            "contact": {
                "name": workshop.contact,
                "phone": workshop.phone,
                "email": workshop.email,
            },
            "skills": [workshop.skill],
        }
