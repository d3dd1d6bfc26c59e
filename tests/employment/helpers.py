"""What the employment tests share: valid bodies, and a world of the two services and the
pokmas feed in which a test registers employers, posts vacancies, releases and trains
klien through the enrolment service, and places them, waiting (bounded) where the
employment service learns something from another service's events."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx

from shared.events.pokmas import ProgrammeOpened
from tests.enrolment.helpers import (
    BAPAS,
    WAIT_SECONDS,
    PokmasFeed,
    Programme,
    attendance_body,
    client_body,
    days,
    enrol,
    officer,
    today,
)

OFFICER = officer()
LONG_AGO = -400
"""Days before today at the Bapas when the world's klien were released: placements may
start, and be checked, months back."""


def employer_body(bapas_code: str = BAPAS, **changes: Any) -> dict[str, Any]:
    return {
        "bapas_code": bapas_code,
        "name": "CV Sejuk Jaya Teknik",
        "sector": "G",
        "address": "Jl. Soekarno-Hatta Km 5 No. 12, Balikpapan Utara",
        "contact": {
            "name": "Hendra Gunawan",
            "phone": "+62 542 860 112",
            "email": "hr@sejuk.example",
        },
        "skills": ["ac_repair", "welding"],
        **changes,
    }


def vacancy_body(**changes: Any) -> dict[str, Any]:
    return {
        "title": "Teknisi AC split",
        "skill": "ac_repair",
        "positions": 2,
        "opens_on": today().isoformat(),
        "closes_on": days(30).isoformat(),
        **changes,
    }


def created_id(response: httpx.Response) -> UUID:
    assert response.status_code == 201, response.text
    return UUID(response.json()["id"])


@dataclass(frozen=True)
class Klien:
    """A klien the enrolment service released, with what only that service keeps."""

    client_id: UUID
    register_number: str
    full_name: str
    nik: str


def _names_field(response: httpx.Response, field_path: str) -> bool:
    return response.status_code == 422 and any(
        error["field"] == field_path for error in response.json().get("errors", [])
    )


@dataclass
class World:
    """The employment service, the enrolment service beside it and the pokmas feed."""

    api: httpx.AsyncClient
    enrolment: httpx.AsyncClient
    feed: PokmasFeed
    database_url: str
    _programmes: dict[tuple[str, str], Programme] = field(default_factory=dict)

    # -- employers and vacancies ------------------------------------------------------

    async def employer(self, bapas_code: str = BAPAS, **changes: Any) -> UUID:
        response = await self.api.post(
            "/api/v1/employers",
            json=employer_body(bapas_code, **changes),
            headers=officer(bapas_code),
        )
        return created_id(response)

    async def vacancy(self, employer_id: UUID, bapas_code: str = BAPAS, **changes: Any) -> UUID:
        response = await self.api.post(
            f"/api/v1/employers/{employer_id}/vacancies",
            json=vacancy_body(**changes),
            headers=officer(bapas_code),
        )
        return created_id(response)

    # -- klien, through the enrolment service -----------------------------------------

    async def klien(self, bapas_code: str = BAPAS, **changes: Any) -> Klien:
        body = client_body(
            bapas_code, released_on=days(LONG_AGO, bapas_code).isoformat(), **changes
        )
        response = await self.enrolment.post(
            "/api/v1/clients", json=body, headers=officer(bapas_code)
        )
        return Klien(
            client_id=created_id(response),
            register_number=body["register_number"],
            full_name=body["profile"]["full_name"],
            nik=body["profile"]["nik"],
        )

    async def programme(self, bapas_code: str = BAPAS, skill: str = "ac_repair") -> Programme:
        """An open programme of one session in ``skill`` at the Bapas (one per test run)."""
        key = (bapas_code, skill)
        if key not in self._programmes:
            self._programmes[key] = await self._open_programme(bapas_code, skill)
        return self._programmes[key]

    async def _open_programme(self, bapas_code: str, skill: str) -> Programme:
        base = await self.feed.open_programme(bapas_code, capacity=1000, sessions_planned=1)
        if skill == "ac_repair":
            return base
        programme = Programme(
            bapas_code=bapas_code,
            pokmas_id=base.pokmas_id,
            mou_id=base.mou_id,
            programme_id=uuid4(),
            starts_on=base.starts_on,
            ends_on=base.ends_on,
            capacity=base.capacity,
            sessions_planned=1,
        )
        await self.feed.publish(
            bapas_code,
            ProgrammeOpened(
                programme_id=programme.programme_id,
                pokmas_id=programme.pokmas_id,
                mou_id=programme.mou_id,
                skill=skill,
                title=f"Pelatihan {skill}",
                capacity=programme.capacity,
                starts_on=programme.starts_on,
                ends_on=programme.ends_on,
                sessions_planned=1,
                location="Bengkel Pokmas",
            ),
        )
        return programme

    async def trained_klien(
        self,
        bapas_code: str = BAPAS,
        *,
        skill: str = "ac_repair",
        assessment: str = "competent",
    ) -> tuple[Klien, UUID]:
        """A klien who completed a training in ``skill`` with ``assessment``: the klien
        and the enrolment."""
        programme = await self.programme(bapas_code, skill)
        klien = await self.klien(bapas_code)
        enrolled = await enrol(self.enrolment, klien.client_id, programme)
        enrolment_id = created_id(enrolled)
        headers = officer(bapas_code)
        attended = await self.enrolment.post(
            f"/api/v1/enrolments/{enrolment_id}/attendance",
            json=attendance_body(1, programme),
            headers=headers,
        )
        assert attended.status_code == 201, attended.text
        completed = await self.enrolment.post(
            f"/api/v1/enrolments/{enrolment_id}/completion",
            json={"completed_on": today(bapas_code).isoformat(), "assessment": assessment},
            headers=headers,
        )
        assert completed.status_code == 201, completed.text
        return klien, enrolment_id

    async def end_supervision(self, klien: Klien, bapas_code: str = BAPAS) -> None:
        response = await self.enrolment.post(
            f"/api/v1/clients/{klien.client_id}/supervision-end",
            json={"ended_on": today(bapas_code).isoformat(), "outcome": "revoked"},
            headers=officer(bapas_code),
        )
        assert response.status_code == 201, response.text

    async def until_learnt(
        self,
        clients: Mapping[UUID, str],
        *,
        completions: Collection[UUID] = (),
        programmes: Collection[Programme] = (),
    ) -> None:
        """Wait until the employment service has learnt each klien in its status
        (``under_supervision``, ``supervision_ended``), the completions and the
        programmes' skills, from the other services' events."""
        connection = await asyncpg.connect(self.database_url)
        try:
            async with asyncio.timeout(WAIT_SECONDS):
                while not await _learnt(connection, clients, completions, programmes):
                    await asyncio.sleep(0.1)
        finally:
            await connection.close()

    # -- placements -------------------------------------------------------------------

    async def place(
        self,
        client_id: UUID,
        employer_id: UUID,
        vacancy_id: UUID | None = None,
        *,
        started_on: date | None = None,
        headers: dict[str, str] = OFFICER,
        **changes: Any,
    ) -> httpx.Response:
        """Place the klien, waiting (bounded) until the service has learnt of the klien."""
        body = {
            "client_id": str(client_id),
            "employer_id": str(employer_id),
            "vacancy_id": None if vacancy_id is None else str(vacancy_id),
            "started_on": (started_on or today()).isoformat(),
            "kind": "employed",
            **changes,
        }
        async with asyncio.timeout(WAIT_SECONDS):
            while True:
                response = await self.api.post("/api/v1/placements", json=body, headers=headers)
                if not _names_field(response, "body.client_id"):
                    return response
                await asyncio.sleep(0.1)

    async def placement(self, client_id: UUID, employer_id: UUID, **changes: Any) -> UUID:
        return created_id(await self.place(client_id, employer_id, **changes))

    async def command(
        self, path: str, body: dict[str, Any], headers: dict[str, str] = OFFICER
    ) -> httpx.Response:
        return await self.api.post(path, json=body, headers=headers)

    async def get(self, path: str, headers: dict[str, str] = OFFICER, **query: str) -> Any:
        response = await self.api.get(path, params=query, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    async def every_item(self, path: str, headers: dict[str, str] = OFFICER) -> list[Any]:
        """Every item of a list, page after page."""
        items: list[Any] = []
        cursor: dict[str, str] = {}
        while True:
            page = await self.get(path, headers, limit="500", **cursor)
            items.extend(page["items"])
            if page["next_cursor"] is None:
                return items
            cursor = {"cursor": page["next_cursor"]}


async def _learnt(
    connection: asyncpg.Connection,
    clients: Mapping[UUID, str],
    completions: Collection[UUID],
    programmes: Collection[Programme],
) -> bool:
    statuses = {
        row["client_id"]: row["status"]
        for row in await connection.fetch(
            "SELECT client_id, status FROM clients WHERE client_id = ANY($1::uuid[])",
            list(clients),
        )
    }
    completed = await connection.fetchval(
        "SELECT count(*) FROM completions WHERE enrolment_id = ANY($1::uuid[])", list(completions)
    )
    skills = await connection.fetchval(
        "SELECT count(*) FROM programme_skills WHERE programme_id = ANY($1::uuid[])",
        [programme.programme_id for programme in programmes],
    )
    return statuses == dict(clients) and completed == len(completions) and skills == len(programmes)
