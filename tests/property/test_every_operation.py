"""Every operation of every service's OpenAPI document, called with generated and
malformed inputs and the token of every role: no answer is a 5xx and none shows a
stack trace.

The platform's quality bars (security and bad input) and the API contract (common rules)
say that nothing a caller can send makes a service answer 500. Targeted tests
(``tests/hardening``) send the inputs known to have broken the services; this run looks
for the ones nobody has thought of. Schemathesis reads each document (built from the
service's own app, and checked to be the one the running service serves) and generates,
per operation, cases that follow the schema (positive), cases that break it (negative:
wrong types, missing fields, bodies that are not JSON, odd path and query values) and,
where an operation takes the id of a record, cases naming a record that exists. Each
case is sent to the real service in the test process with the token of each of the five
roles (a negative case that leaves out the Authorization header is sent without one: no
token must not break a service either).

The run is part of ``make test``, so it is bounded and reproducible: a fixed number of
examples per operation, derandomized (the same cases on every run), no example
database, about a minute in all. A failure names the operation, the role, the answer
and the request; Hypothesis prints the smallest case it found.

One operation is left out, as the platform's quality bars requires: creating a webhook subscription
(and rotating its secret), because the service would then deliver events to the URLs
the run generates, which name real hosts. Their bad inputs have tests of their own.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.core.result import Err

from shared.docs.apis import SERVICES, build_app, openapi_document
from shared.http import Role
from tests.property.conftest import RunningService

BASE_URL = "http://service.test"
"""The in-process services' address (httpx over ASGI: nothing leaves the process)."""

EXAMPLES_PER_OPERATION = 15
"""Cases per operation; each is sent once per role. With the 48 operations of today's
documents (about 3,600 requests) this keeps the file at about a minute on two cores."""

REQUEST_SECONDS = 30.0
"""An answer slower than this is a failure (a hang would otherwise stall the suite)."""

LEFT_OUT = (
    re.compile(r"POST /api/v1/subscriptions"),
    re.compile(r"POST /api/v1/subscriptions/\{[^}/]+\}/secret"),
)
"""Operations the run never calls (see the module's docstring), matched in full."""

STACK_TRACE = re.compile(
    r"Traceback \(most recent call last\)"
    r"|File \"[^\"\n]+\.py\", line \d+"
    r"|\.py\", line \d+, in "
)
"""What a Python stack trace looks like in an answer's body."""


Operation = APIOperation[Any, Any, Any, Any]
OperationCase = Case[Operation]


def is_left_out(label: str) -> bool:
    return any(pattern.fullmatch(label) for pattern in LEFT_OUT)


def operations_of(document: dict[str, Any]) -> dict[str, Operation]:
    """The operations of an OpenAPI document, by label; one schemathesis cannot read is
    an error here, never an operation quietly left out."""
    found: dict[str, Operation] = {}
    for result in schemathesis.openapi.from_dict(document).get_all_operations():
        if isinstance(result, Err):
            raise result.err()
        found[result.ok().label] = result.ok()
    return found


def load_operations() -> dict[str, dict[str, Operation]]:
    """Every operation of every service's document, by service, then by label."""
    return {service: operations_of(openapi_document(build_app(service))) for service in SERVICES}


OPERATIONS = load_operations()
CALLED = [
    (service, label)
    for service, operations in OPERATIONS.items()
    for label in operations
    if not is_left_out(label)
]


def has_inputs(operation: Operation) -> bool:
    """Whether the operation takes anything a negative case could break (without,
    schemathesis has no negative case to make)."""
    return any(True for _ in operation.iter_parameters()) or bool(operation.body)


_STRATEGIES: dict[tuple[str, str], st.SearchStrategy[OperationCase]] = {}


def cases(service: RunningService, label: str) -> st.SearchStrategy[OperationCase]:
    """Positive and negative cases of the operation, and positive ones naming records
    that exist when it takes their ids in its path (built once per operation)."""
    key = (service.name, label)
    if key not in _STRATEGIES:
        operation = OPERATIONS[service.name][label]
        choices = [operation.as_strategy(generation_mode=GenerationMode.POSITIVE)]
        if has_inputs(operation):
            choices.append(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
        path_names = {parameter.name for parameter in operation.path_parameters}
        if path_names and path_names <= set(service.known_path_values):
            existing = {name: service.known_path_values[name] for name in path_names}
            choices.append(
                operation.as_strategy(
                    generation_mode=GenerationMode.POSITIVE, path_parameters=existing
                )
            )
        _STRATEGIES[key] = st.one_of(choices)
    return _STRATEGIES[key]


@dataclass(frozen=True)
class Sent:
    """A request as it goes on the wire, built by ``requests`` exactly as schemathesis
    would send it, and handed to the in-process service by httpx."""

    method: str
    url: str
    headers: list[tuple[bytes, bytes]]
    body: bytes

    @classmethod
    def of(cls, case: OperationCase, authorization: Mapping[str, str]) -> Sent:
        arguments = case.as_transport_kwargs(base_url=BASE_URL, headers=dict(authorization))
        prepared = requests.Request(
            method=arguments["method"],
            url=arguments["url"],
            headers=arguments["headers"],
            params=arguments.get("params"),
            cookies=arguments.get("cookies"),
            json=arguments.get("json"),
            data=arguments.get("data"),
            files=arguments.get("files"),
        ).prepare()
        body = prepared.body or b""
        assert isinstance(body, str | bytes), type(body)
        return cls(
            method=str(prepared.method),
            url=str(prepared.url),
            headers=[(latin1(name), latin1(value)) for name, value in prepared.headers.items()],
            body=body.encode() if isinstance(body, str) else body,
        )

    def described(self) -> str:
        shown = [
            f"{name.decode('latin-1')}: {value.decode('latin-1')}"
            for name, value in self.headers
            if name.lower() != b"authorization"
        ]
        return "\n".join([f"{self.method} {self.url}", *shown, "", repr(self.body[:2000])])


def latin1(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("latin-1")


async def failure_of(client: httpx.AsyncClient, request: Sent) -> str | None:
    """What is wrong with the service's answer to ``request``, or ``None``."""
    try:
        response = await asyncio.wait_for(
            client.request(
                request.method, request.url, headers=request.headers, content=request.body
            ),
            REQUEST_SECONDS,
        )
    except TimeoutError:
        return f"no answer within {REQUEST_SECONDS:g} s"
    except Exception as error:
        # The in-process transport raises what the app did not handle (a 500 on the wire).
        return f"the app raised {type(error).__name__}: {error}"
    text = response.content.decode("utf-8", errors="replace")
    if response.status_code >= 500:
        return f"answered {response.status_code}: {text[:2000]}"
    if STACK_TRACE.search(text):
        return f"answered {response.status_code} with a stack trace: {text[:2000]}"
    return None


def test_only_subscription_creation_is_left_out() -> None:
    """The run leaves out webhook subscription creation (and secret rotation) and
    nothing else; every service's document is in it."""
    assert set(OPERATIONS) == {"pokmas", "enrolment", "notifications", "insights", "employment"}
    left_out = {
        (service, label)
        for service, operations in OPERATIONS.items()
        for label in operations
        if is_left_out(label)
    }
    assert ("notifications", "POST /api/v1/subscriptions") in left_out
    assert {service for service, _ in left_out} == {"notifications"}
    assert all(operations for operations in OPERATIONS.values())


async def test_documents_are_the_ones_served(services: dict[str, RunningService]) -> None:
    """The operations come from the documents the running services serve."""
    for name, service in services.items():
        response = await service.client.get("/openapi.json")
        assert response.status_code == 200, response.text
        assert set(operations_of(response.json())) == set(OPERATIONS[name]), name


@pytest.mark.parametrize(
    ("service_name", "label"), CALLED, ids=[f"{service} {label}" for service, label in CALLED]
)
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
@given(data=st.data())
async def test_no_server_error(
    services: dict[str, RunningService], service_name: str, label: str, data: st.DataObject
) -> None:
    """No case, whatever the role, makes the operation answer 5xx or a stack trace."""
    service = services[service_name]
    case = data.draw(cases(service, label))
    failures = []
    for role in Role:
        request = Sent.of(case, service.tokens[role])
        problem = await failure_of(service.client, request)
        if problem is not None:
            failures.append(f"[{role.value}] {problem}\n{request.described()}")
    assert not failures, f"{service_name} {label}:\n" + "\n\n".join(failures)
