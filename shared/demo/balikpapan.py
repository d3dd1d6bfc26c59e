"""The reference case of the domain rules: Bapas Kelas II Balikpapan (WITA) works with ten
Pokmas and trains klien in AC repair, car seat upholstery, wallpaper installation and
interior design; an earlier cohort's graduates then find work with two workshops of the
town (:mod:`shared.demo.employment`). Every klien keeps its wajib lapor but one, who is
recommended for revocation, and a klien in training moves to Samarinda
(:mod:`shared.demo.supervision`).

Each step is one thing an officer or a Pokmas partner does through the APIs; the
scenario keeps what it created so it can be checked afterwards. Names carry a short
run mark, so the scenario can be played again on the same stack.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from shared.demo.client import DemoError, PlatformClient, eventually, token_for
from shared.demo.employment import Graduate, Hiring
from shared.demo.supervision import ReportCheck, Supervision, Trainee
from shared.http import Role
from shared.reference import today_in

BAPAS = "balikpapan"
SKILLS = ("ac_repair", "car_upholstery", "wallpaper_installation", "interior_design")
SKILL_TITLES = {
    "ac_repair": "Servis AC",
    "car_upholstery": "Jok Mobil",
    "wallpaper_installation": "Pemasangan Wallpaper",
    "interior_design": "Desain Interior",
}
POKMAS_NAMES = (
    "Pokmas Borneo Mandiri",
    "Pokmas Teluk Balikpapan",
    "Pokmas Karya Manggar",
    "Pokmas Sepinggan Peduli",
    "Pokmas Gunung Sari",
    "Pokmas Klandasan Bangkit",
    "Pokmas Damai Sejahtera",
    "Pokmas Prapatan Maju",
    "Pokmas Baru Ulu",
    "Pokmas Lamaru Berkarya",
)
SESSIONS = 8
KLIEN_PER_PROGRAMME = 4

MOUS_SIGNED = -180
RELEASED = -60
TRAINING = (-14, 60)
"""Days from today: the MoUs were signed half a year ago; this run's klien were released
two months ago, and their programmes run from two weeks ago for another two months."""

EARLIER_COHORT = ("ac_repair", "car_upholstery")
EARLIER_KLIEN_PER_PROGRAMME = 2
EARLIER_RELEASED = -150
EARLIER_TRAINING = (-120, -80)
"""The earlier cohort, trained by the first Pokmas of each skill: released five months
ago, trained from four months ago until the day they all completed, 80 days ago."""

LATE_CONCERN = "Terlambat 20 menit: feri dari Penajam tertunda"
WITHDRAWAL_NOTE = "Diterima kerja sebagai teknisi AC di Balikpapan Baru sebelum pelatihan selesai"

Narrate = Callable[[str], None]
Step = Callable[[], Awaitable[None]]


@dataclass
class PlayedProgramme:
    pokmas_id: UUID
    mou_id: UUID
    programme_id: UUID
    title: str
    skill: str
    partner_token: str
    enrolment_ids: list[UUID] = field(default_factory=list)
    client_ids: list[UUID] = field(default_factory=list)


@dataclass
class Scenario:
    """The Balikpapan case, step by step; ``programmes`` holds what was created."""

    client: PlatformClient
    report_check: ReportCheck
    """The enrolment service's check of wajib lapor, which the scenario runs on demand."""
    narrate: Narrate = lambda _: None
    mark: str = field(default_factory=lambda: uuid.uuid4().hex[:4])
    programmes: list[PlayedProgramme] = field(default_factory=list)
    terminated: PlayedProgramme | None = None
    earlier_cohort: list[PlayedProgramme] = field(default_factory=list)
    profiles: list[dict[str, str]] = field(default_factory=list)
    """The klien profiles sent: what must appear in no event."""

    def __post_init__(self) -> None:
        self.officer = token_for(Role.BAPAS_OFFICER, bapas=BAPAS, sub="pk.balikpapan")
        self.today = today_in(BAPAS, datetime.now(UTC))
        self._random = random.Random(self.mark)
        self.hiring = Hiring(self.client, BAPAS, self.officer, self.mark, self.day, self.narrate)
        self.supervision = Supervision(
            self.client,
            BAPAS,
            self.officer,
            self.day,
            self.narrate,
            self.report_check,
            self._release,
            self.note,
        )

    def day(self, offset: int) -> str:
        return (self.today + timedelta(days=offset)).isoformat()

    @property
    def note_marker(self) -> str:
        """In every note the run writes (attendance concerns, withdrawals, reports, the
        transfer's reason): notes stay in the enrolment service, so no topic holds it."""
        return f"catatan-{self.mark}"

    def note(self, text: str) -> str:
        return f"{text} ({self.note_marker})"

    @property
    def graduates(self) -> list[Graduate]:
        """The earlier cohort's klien: every one completed competent."""
        return [
            Graduate(client_id, enrolment_id, played.skill)
            for played in self.earlier_cohort
            for client_id, enrolment_id in zip(played.client_ids, played.enrolment_ids, strict=True)
        ]

    def steps(self) -> tuple[Step, ...]:
        """The case, step by step, in the order it is played."""
        return (
            self.register_pokmas_and_sign_mous,
            self.open_programmes,
            self.release_and_enrol_klien,
            self.attend_complete_and_withdraw,
            self.terminate_one_mou,
            self.record_employment,
            self.wait_until_pokmas_counts_the_seats,
            self.graduate_an_earlier_cohort,
            self.hiring.register_employers_and_post_vacancies,
            self.place_the_graduates,
            self.hiring.check_retention,
            self.hiring.verify_a_certificate,
            self.supervision.enter_a_lapsed_history,
            self.supervision.check_reports,
            self.transfer_a_trainee,
        )

    async def register_pokmas_and_sign_mous(self) -> None:
        for number, name in enumerate(POKMAS_NAMES):
            skill = SKILLS[number % len(SKILLS)]
            pokmas = await self.client.command(
                "pokmas", "/pokmas", self._pokmas_body(number, name, skill), token=self.officer
            )
            pokmas_id = UUID(pokmas["id"])
            mou = await self.client.command(
                "pokmas",
                f"/pokmas/{pokmas_id}/mous",
                {
                    "number": f"PKS-{number + 1:02d}/BPS-BPN/{self.mark}",
                    "signed_on": self.day(MOUS_SIGNED),
                    "valid_from": self.day(MOUS_SIGNED),
                    "valid_until": self.day(365),
                    "scope": [skill],
                },
                token=self.officer,
            )
            partner = token_for(
                Role.POKMAS_PARTNER, bapas=BAPAS, pokmas_id=pokmas_id, sub=f"partner-{number}"
            )
            title = f"{SKILL_TITLES[skill]} angkatan {self.mark}"
            self.programmes.append(
                PlayedProgramme(pokmas_id, UUID(mou["id"]), uuid.UUID(int=0), title, skill, partner)
            )
        self.narrate(
            f"Bapas Balikpapan registered {len(POKMAS_NAMES)} Pokmas and signed their MoUs"
        )

    async def open_programmes(self) -> None:
        for played in self.programmes:
            await self._open(played, TRAINING, capacity=KLIEN_PER_PROGRAMME + 2)
        self.narrate(f"the Pokmas opened {len(self.programmes)} programmes under their MoUs")

    async def _open(self, played: PlayedProgramme, dates: tuple[int, int], capacity: int) -> None:
        opened = await self.client.command(
            "pokmas",
            f"/pokmas/{played.pokmas_id}/programmes",
            {
                "mou_id": str(played.mou_id),
                "skill": played.skill,
                "title": played.title,
                "capacity": capacity,
                "starts_on": self.day(dates[0]),
                "ends_on": self.day(dates[1]),
                "sessions_planned": SESSIONS,
                "location": "Balai Latihan Kerja, Jl. Soekarno-Hatta km 4, Balikpapan",
            },
            token=played.partner_token,
        )
        played.programme_id = UUID(opened["id"])

    async def release_and_enrol_klien(self) -> None:
        reports = 0
        for played in self.programmes:
            reports += await self._release_and_enrol(
                played, KLIEN_PER_PROGRAMME, RELEASED, TRAINING[0]
            )
        total = len(self.programmes) * KLIEN_PER_PROGRAMME
        self.narrate(
            f"{total} klien released into integration and enrolled, 4 per programme; "
            f"each reported on every due date since its release ({reports} reports)"
        )

    async def _release_and_enrol(
        self, played: PlayedProgramme, klien: int, released_on: int, enrolled_on: int
    ) -> int:
        """Release and enrol ``klien``, entering at once the reports each made since its
        release (before the service's check finds the due dates unanswered); returns
        the number of reports."""
        reports = 0
        for _ in range(klien):
            client_id = await self._release(released_on)
            reports += await self.supervision.report_every_due_date(client_id)
            enrolled = await self._enrol(client_id, played.programme_id, enrolled_on)
            played.client_ids.append(client_id)
            played.enrolment_ids.append(UUID(enrolled["id"]))
        return reports

    async def _release(self, released_on: int) -> UUID:
        released = await self.client.command(
            "enrolment", "/clients", self._klien_body(released_on), token=self.officer
        )
        return UUID(released["id"])

    async def _enrol(self, client_id: UUID, programme_id: UUID, on: int) -> dict[str, Any]:
        """Enrol, waiting first until the enrolment service has learnt the programme
        from the pokmas events (it never asks the pokmas service)."""
        body = {"programme_id": str(programme_id), "enrolled_on": self.day(on)}

        async def attempt() -> dict[str, Any] | None:
            try:
                return await self.client.command(
                    "enrolment", f"/clients/{client_id}/enrolments", body, token=self.officer
                )
            except DemoError as error:
                if "programme" in str(error) and "422" in str(error):
                    return None
                raise

        answer: dict[str, Any] = await eventually(
            "the programme to reach the enrolment service", attempt
        )
        return answer

    async def attend_complete_and_withdraw(self) -> None:
        """Per programme: two klien attend every session and complete, one withdraws
        after two sessions, one is still in training."""
        for played in self.programmes:
            plan = (SESSIONS, SESSIONS, 2, 3)
            for enrolment_id, sessions in zip(played.enrolment_ids, plan, strict=True):
                await self._attend(played, enrolment_id, sessions, TRAINING[0])
            for enrolment_id in played.enrolment_ids[:2]:
                await self._complete(played, enrolment_id, on=0)
            await self.client.command(
                "enrolment",
                f"/enrolments/{played.enrolment_ids[2]}/withdrawal",
                {
                    "withdrawn_on": self.day(0),
                    "reason_code": "employed",
                    "note": self.note(WITHDRAWAL_NOTE),
                },
                token=played.partner_token,
            )
        self.narrate("attendance recorded; 20 klien completed their training, 10 withdrew")

    async def _attend(
        self, played: PlayedProgramme, enrolment_id: UUID, sessions: int, starts_on: int
    ) -> None:
        """The first ``sessions`` sessions attended, one a day from the programme's start."""
        for session in range(1, sessions + 1):
            await self.client.command(
                "enrolment",
                f"/enrolments/{enrolment_id}/attendance",
                {
                    "session_no": session,
                    "session_date": self.day(starts_on + session),
                    "status": "present" if session % 5 else "late",
                    "concern": None if session % 5 else self.note(LATE_CONCERN),
                },
                token=played.partner_token,
            )

    async def _complete(self, played: PlayedProgramme, enrolment_id: UUID, on: int) -> None:
        await self.client.command(
            "enrolment",
            f"/enrolments/{enrolment_id}/completion",
            {"completed_on": self.day(on), "assessment": "competent"},
            token=played.partner_token,
        )

    async def terminate_one_mou(self) -> None:
        played = self.terminated = self.programmes[-1]
        await self.client.command(
            "pokmas",
            f"/mous/{played.mou_id}/termination",
            {"effective_on": self.day(0), "reason": "Pokmas berhenti beroperasi"},
            token=self.officer,
        )
        still_training = played.enrolment_ids[3]

        async def suspended() -> bool:
            enrolment = await self.client.read(
                "enrolment", f"/enrolments/{still_training}", token=self.officer
            )
            return bool(enrolment["status"] == "suspended")

        await eventually("the enrolment service to suspend the MoU's enrolments", suspended)
        self.narrate(
            f"the MoU of {POKMAS_NAMES[-1]} was terminated: its klien in training is suspended"
        )

    async def record_employment(self) -> None:
        hired = [played.client_ids[0] for played in self.programmes[:5]]
        for client_id in hired:
            await self.client.command(
                "enrolment",
                f"/clients/{client_id}/employment",
                {
                    "employment_kind": "employed",
                    "employer_name": "CV Sejuk Jaya",
                    "started_on": self.day(0),
                },
                token=self.officer,
            )
        self.narrate(f"{len(hired)} klien who completed their training found work")

    async def wait_until_pokmas_counts_the_seats(self) -> None:
        """The pokmas service learns enrolments from the enrolment events: wait until
        every programme's ``enrolled`` equals the seats taken (not withdrawn)."""

        async def agreed() -> bool:
            for played in self.programmes:
                programme = await self.client.read(
                    "pokmas", f"/programmes/{played.programme_id}", token=self.officer
                )
                if programme["enrolled"] != KLIEN_PER_PROGRAMME - 1:
                    return False
            return True

        await eventually("the pokmas projection to count the seats taken", agreed)
        self.narrate("the pokmas service's programme view agrees: 3 seats taken in each")

    async def graduate_an_earlier_cohort(self) -> None:
        """Before this run's cohort, the first Pokmas of each skill of
        :data:`EARLIER_COHORT` trained klien released earlier; every one completed
        competent on the programme's last day, and the programme closed."""
        starts_on, ends_on = EARLIER_TRAINING
        reports = 0
        for skill in EARLIER_COHORT:
            host = next(played for played in self.programmes if played.skill == skill)
            title = f"{SKILL_TITLES[skill]} angkatan awal {self.mark}"
            played = PlayedProgramme(
                host.pokmas_id, host.mou_id, UUID(int=0), title, skill, host.partner_token
            )
            await self._open(played, EARLIER_TRAINING, capacity=EARLIER_KLIEN_PER_PROGRAMME)
            reports += await self._release_and_enrol(
                played, EARLIER_KLIEN_PER_PROGRAMME, EARLIER_RELEASED, starts_on
            )
            for enrolment_id in played.enrolment_ids:
                await self._attend(played, enrolment_id, SESSIONS, starts_on)
                await self._complete(played, enrolment_id, on=ends_on)
            await self.client.command(
                "pokmas",
                f"/programmes/{played.programme_id}/closure",
                {"closed_on": self.day(ends_on), "reason": "Angkatan selesai"},
                token=self.officer,
            )
            self.earlier_cohort.append(played)
        self.narrate(
            f"an earlier cohort: {len(self.graduates)} klien released on "
            f"{self.day(EARLIER_RELEASED)} completed AC repair and car seat upholstery "
            f"on {self.day(ends_on)}, assessed competent; they reported on every due date "
            f"since their release ({reports} reports)"
        )

    async def place_the_graduates(self) -> None:
        """The earlier cohort's graduates take the workshops' vacancies."""
        klien = {
            client_id
            for played in (*self.programmes, *self.earlier_cohort)
            for client_id in played.client_ids
        }
        await self.hiring.place_graduates(self.graduates, klien)

    async def transfer_a_trainee(self) -> None:
        """The klien of the first programme still in training moves to Samarinda."""
        played = self.programmes[0]
        await self.supervision.transfer(
            Trainee(
                played.client_ids[3], played.enrolment_ids[3], played.programme_id, played.title
            )
        )

    async def play(self) -> None:
        for step in self.steps():
            await step()

    async def programme_table(self) -> list[dict[str, Any]]:
        """Per programme: enrolments by status, and the seats the pokmas view counts."""
        rows: list[dict[str, Any]] = []
        for played in self.programmes:
            enrolments = await self.client.read_all(
                "enrolment", "/enrolments", token=self.officer, programme_id=played.programme_id
            )
            programme = await self.client.read(
                "pokmas", f"/programmes/{played.programme_id}", token=self.officer
            )
            statuses = [enrolment["status"] for enrolment in enrolments]
            rows.append(
                {
                    "programme": f"{len(rows) + 1:>2}. {SKILL_TITLES[played.skill]}",
                    "enrolled": statuses.count("enrolled"),
                    "completed": statuses.count("completed"),
                    "withdrawn": statuses.count("withdrawn"),
                    "suspended": statuses.count("suspended"),
                    "seats_taken": programme["enrolled"],
                }
            )
        return rows

    def _pokmas_body(self, number: int, name: str, skill: str) -> dict[str, Any]:
        return {
            "bapas_code": BAPAS,
            "name": f"{name} ({self.mark})",
            "kind": "organisation",
            "registration_number": f"AHU-{self._random.randrange(10**6):06d}.AH.01.07",
            "contact": {
                "name": f"Koordinator {number + 1}",
                "phone": f"+62 812 5{self._random.randrange(10**6):06d}",
                "email": f"pokmas{number + 1}.{self.mark}@pokmas.example",
            },
            "address": f"Jl. Jenderal Sudirman No. {number + 10}, Balikpapan",
            "skills": [skill],
        }

    def _klien_body(self, released_on: int) -> dict[str, Any]:
        first = self._random.choice(("Andi", "Budi", "Citra", "Dedi", "Eka", "Fajar", "Gita"))
        last = self._random.choice(("Saputra", "Wijaya", "Pratama", "Lestari", "Hidayat"))
        return {
            "bapas_code": BAPAS,
            "register_number": f"BPN-{self.mark}-{self._random.randrange(10**5):05d}",
            "integration_type": self._random.choice(("PB", "CB", "CMB", "ASIMILASI")),
            "released_on": self.day(released_on),
            "supervision_ends_on": self.day(300),
            "pk_officer": {
                "id": "PK-BPN-07",
                "name": "Siti Rahmawati",
                "email": "siti.rahmawati@bapas-balikpapan.example",
            },
            "profile": self._profile(f"{first} {last}"),
        }

    def _profile(self, full_name: str) -> dict[str, str]:
        profile = {
            "full_name": f"{full_name} {self.mark}",
            "nik": f"6471{self._random.randrange(10**12):012d}",
            "address": "Balikpapan",
        }
        self.profiles.append(profile)
        return profile
