"""The receiver's side documented in ``docs/subscribing.md`` works on real deliveries.

The ``verify`` snippet is taken from the document itself and run (so the page cannot
drift into something that does not work), checked to be the one in
``examples/webhook_receiver.py``, and given deliveries the real service made to a local
receiver: a fresh delivery verifies; the same delivery later than the tolerance, with
another body or under another secret, does not; during a rotation either secret
verifies. The example receiver itself, as a subscriber, acknowledges deliveries signed
with its secret and refuses the others.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import HTTPServer
from pathlib import Path
from typing import Any, cast
from uuid import uuid4

import pytest

from examples import webhook_receiver
from tests.notifications.conftest import Notifications
from tests.notifications.receivers import Request
from tests.notifications.webhook_support import rotate, settled_deliveries_to, subscribe
from tests.notifications.world import World

REPOSITORY = Path(__file__).resolve().parents[2]
GUIDE = REPOSITORY / "docs" / "subscribing.md"
EXAMPLE = REPOSITORY / "examples" / "webhook_receiver.py"
SECRET = "the-receiver-secret-0123456789"

Verify = Callable[..., int]


def documented_snippet() -> str:
    """The Python block of the guide that defines ``verify``."""
    text = GUIDE.read_text(encoding="utf-8")
    blocks: list[str] = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    [snippet] = [block for block in blocks if "def verify(" in block]
    return snippet


def documented() -> dict[str, Any]:
    """What the documented snippet defines, by running it."""
    namespace: dict[str, Any] = {"__name__": "documented_receiver"}
    exec(compile(documented_snippet(), str(GUIDE), "exec"), namespace)
    return namespace


def verifiers() -> list[tuple[Verify, type[Exception]]]:
    snippet = documented()
    return [
        (cast(Verify, snippet["verify"]), cast(type[Exception], snippet["SignatureRefused"])),
        (webhook_receiver.verify, webhook_receiver.SignatureRefused),
    ]


VERIFIERS = pytest.mark.parametrize(("verify", "refused"), verifiers(), ids=["docs", "example"])


async def delivered(notifications: Notifications, secret: str = SECRET) -> Request:
    """A real delivery of a MoUSigned, as a local receiver captured it."""
    path = f"/receiver/{uuid4().hex}"
    await subscribe(
        notifications, url=notifications.http.url(path), event_types=["MoUSigned"], secret=secret
    )
    await World().publish_setup(notifications.publisher, until="MoUSigned")
    [request] = await notifications.http.wait_to(path)
    return request


def signed_at(request: Request) -> int:
    [value] = re.findall(r"(?:^|,)t=(\d+)", request.headers["x-bapas-signature"])
    return int(value)


def test_the_documented_snippet_is_the_example_receivers() -> None:
    example = EXAMPLE.read_text(encoding="utf-8")
    body = example.split("# --- snippet: verify")[1].split("\n", 1)[1]
    body = body.split("# --- end of snippet ---")[0].strip()

    assert body in documented_snippet()


@VERIFIERS
async def test_a_fresh_delivery_verifies(
    notifications: Notifications, verify: Verify, refused: type[Exception]
) -> None:
    request = await delivered(notifications)

    assert verify(request.body, request.headers["x-bapas-signature"], SECRET) == signed_at(request)


@VERIFIERS
async def test_a_replay_after_the_tolerance_is_refused(
    notifications: Notifications, verify: Verify, refused: type[Exception]
) -> None:
    request = await delivered(notifications)
    header, later = request.headers["x-bapas-signature"], signed_at(request) + 301

    assert verify(request.body, header, SECRET, now=signed_at(request) + 299)
    with pytest.raises(refused, match="stale"):
        verify(request.body, header, SECRET, now=later)


@VERIFIERS
async def test_another_body_or_secret_or_a_mangled_header_is_refused(
    notifications: Notifications, verify: Verify, refused: type[Exception]
) -> None:
    request = await delivered(notifications)
    header = request.headers["x-bapas-signature"]
    changed_time = re.sub(r"t=(\d+)", lambda m: f"t={int(m[1]) + 1}", header)

    with pytest.raises(refused, match="bad signature"):
        verify(request.body.replace(b"MoUSigned", b"MoUSigneD"), header, SECRET)
    with pytest.raises(refused, match="bad signature"):
        verify(request.body, header, "another-secret-0123456789")
    with pytest.raises(refused, match="bad signature"):
        verify(request.body, changed_time, SECRET)
    for mangled in ("", "sha256=abc", header.split(",")[0], f"{header},t=1"):
        with pytest.raises(refused, match="malformed"):
            verify(request.body, mangled, SECRET)


@VERIFIERS
async def test_during_a_rotation_either_secret_verifies(
    notifications: Notifications, verify: Verify, refused: type[Exception]
) -> None:
    path, new = f"/receiver/{uuid4().hex}", "the-receiver-new-secret-0123"
    subscription = await subscribe(
        notifications, url=notifications.http.url(path), event_types=["MoUSigned"], secret=SECRET
    )
    assert (await rotate(notifications, subscription["id"], new)).status_code == 200
    await World().publish_setup(notifications.publisher, until="MoUSigned")
    [request] = await notifications.http.wait_to(path)
    header = request.headers["x-bapas-signature"]

    assert verify(request.body, header, new) == verify(request.body, header, SECRET)
    with pytest.raises(refused):
        verify(request.body, header, "neither-secret-0123456789")


@contextmanager
def example_receiver(secret: str) -> Iterator[str]:
    """The example's receiver, serving on loopback in a thread; yields its URL."""
    server = HTTPServer(("127.0.0.1", 0), webhook_receiver.receiver(secret))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


async def test_the_example_receiver_acknowledges_only_deliveries_signed_with_its_secret(
    notifications: Notifications,
) -> None:
    with example_receiver(SECRET) as url:
        trusted = await subscribe(notifications, url=url, event_types=["MoUSigned"], secret=SECRET)
        impostor = await subscribe(
            notifications, url=url, event_types=["MoUSigned"], secret="not-the-receiver-secret"
        )
        await World().publish_setup(notifications.publisher, until="MoUSigned")

        [accepted] = await settled_deliveries_to(notifications, trusted, 1)
        [refused] = await settled_deliveries_to(notifications, impostor, 1)

    assert accepted["status"] == "sent"
    assert (refused["status"], refused["last_error"]) == ("failed", "HTTP 401")
