"""The five services the property-based run calls, each running in the test process with
its lifespan against the session's Kafka and a database of its own, shared by the
package; a few records that exist (a Pokmas, an MoU, a programme, a klien, an employer
and its vacancy), so that
generated calls also reach operations on real records; and the token of every role.

No enrolment is made beforehand: the enrolment service learns of programmes from
``pokmas.events.v1`` in the consumer group every enrolment service on the broker
shares, so on a broker that other instances also read (``make up``'s services, say)
the partition of the programme may be theirs, and the wait for it would be a gamble.

Nothing here listens on or calls another machine: the services are called over ASGI,
and the notifications service sends its e-mail and SMS to receivers on loopback.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass
from uuid import UUID

import httpx
import pytest

from services.employment.app import create_app as create_employment_app
from services.enrolment.app import create_app as create_enrolment_app
from services.insights.app import create_app as create_insights_app
from services.pokmas.app import create_app as create_pokmas_app
from shared.http import Role
from tests.employment.helpers import created_id, employer_body, vacancy_body
from tests.enrolment.helpers import release_client
from tests.notifications.conftest import RECENT_EVENTS_ONLY, running_notifications
from tests.pokmas.helpers import open_programme, partner_with_mou
from tests.support.databases import fresh_database
from tests.support.infrastructure import Infrastructure
from tests.support.service_app import bearer, running_service

BAPAS = "balikpapan"
PROVINCE = "kalimantan-timur"


@dataclass(frozen=True)
class RunningService:
    """A started service, the headers of each role's token for it, and the ids of
    records it holds, by the name of the path parameter that takes them."""

    name: str
    client: httpx.AsyncClient
    tokens: Mapping[Role, Mapping[str, str]]
    known_path_values: Mapping[str, str]


def role_tokens(pokmas_id: UUID) -> dict[Role, dict[str, str]]:
    """Authorization headers of every role, scoped to Balikpapan (and its province);
    the partner's token names ``pokmas_id``."""
    tokens = {
        Role.MINISTRY: bearer(Role.MINISTRY, sub="property-ministry"),
        Role.REGIONAL: bearer(Role.REGIONAL, province=PROVINCE, sub="property-regional"),
        Role.BAPAS_OFFICER: bearer(Role.BAPAS_OFFICER, bapas=BAPAS, sub="property-officer"),
        Role.POKMAS_PARTNER: bearer(
            Role.POKMAS_PARTNER, bapas=BAPAS, pokmas_id=pokmas_id, sub="property-partner"
        ),
        Role.SERVICE: bearer(Role.SERVICE, sub="property-service"),
    }
    assert set(tokens) == set(Role), "every role's token is sent"
    return tokens


@pytest.fixture(scope="package")
async def services(
    infra: Infrastructure, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[dict[str, RunningService]]:
    """The five services, started once for the package, by name."""
    async with AsyncExitStack() as stack:

        async def database(service: str) -> str:
            return await stack.enter_async_context(
                fresh_database(infra.database_admin_url, prefix=f"property_{service}")
            )

        pokmas = await stack.enter_async_context(
            running_service(
                create_pokmas_app,
                service="pokmas",
                database_url=await database("pokmas"),
                kafka_bootstrap=kafka_bootstrap,
            )
        )
        pokmas_id, mou_id = await partner_with_mou(pokmas, BAPAS)
        programme_id = await open_programme(pokmas, pokmas_id, mou_id)

        enrolment = await stack.enter_async_context(
            running_service(
                create_enrolment_app,
                service="enrolment",
                database_url=await database("enrolment"),
                kafka_bootstrap=kafka_bootstrap,
            )
        )
        client_id = await release_client(enrolment, BAPAS)

        notifications = await stack.enter_async_context(
            running_notifications(
                infra,
                kafka_bootstrap,
                tmp_path_factory.mktemp("property-mail"),
                environment=RECENT_EVENTS_ONLY,
            )
        )
        insights = await stack.enter_async_context(
            running_service(
                create_insights_app,
                service="insights",
                database_url=await database("insights"),
                kafka_bootstrap=kafka_bootstrap,
            )
        )

        employment = await stack.enter_async_context(
            running_service(
                create_employment_app,
                service="employment",
                database_url=await database("employment"),
                kafka_bootstrap=kafka_bootstrap,
            )
        )
        officer = role_tokens(pokmas_id)[Role.BAPAS_OFFICER]
        employer_id = created_id(
            await employment.post("/api/v1/employers", json=employer_body(BAPAS), headers=officer)
        )
        vacancy_id = created_id(
            await employment.post(
                f"/api/v1/employers/{employer_id}/vacancies", json=vacancy_body(), headers=officer
            )
        )

        places = {"bapas_code": BAPAS, "province": PROVINCE}
        yield {
            "pokmas": RunningService(
                "pokmas",
                pokmas,
                role_tokens(pokmas_id),
                {
                    "pokmas_id": str(pokmas_id),
                    "mou_id": str(mou_id),
                    "programme_id": str(programme_id),
                },
            ),
            "enrolment": RunningService(
                "enrolment",
                enrolment,
                role_tokens(pokmas_id),
                {"client_id": str(client_id)},
            ),
            "notifications": RunningService(
                "notifications", notifications.client, role_tokens(pokmas_id), {}
            ),
            "insights": RunningService(
                "insights",
                insights,
                role_tokens(pokmas_id),
                {"pokmas_id": str(pokmas_id), **places},
            ),
            "employment": RunningService(
                "employment",
                employment,
                role_tokens(pokmas_id),
                {
                    "employer_id": str(employer_id),
                    "vacancy_id": str(vacancy_id),
                    "client_id": str(client_id),
                    **places,
                },
            ),
        }
