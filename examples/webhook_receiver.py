"""A webhook receiver's side of the platform's deliveries, with the standard library only.

Another team's system receives the notifications service's webhook deliveries and must
trust only those the platform signed, and only once: :func:`verify` checks the
``X-Bapas-Signature`` header (``t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">``,
with one ``v1`` per valid secret while a secret is being rotated) in constant time, and
refuses a ``t`` more than five minutes away from now, so that a captured delivery
cannot be replayed later. ``docs/subscribing.md`` shows the same function, and
``tests/notifications/test_receiver_snippet.py`` runs both against a real delivery.

``python -m examples.webhook_receiver --port 8099 --secret <secret>`` runs a tiny
receiver that prints each verified envelope and answers 401 to anything else.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

# --- snippet: verify (docs/subscribing.md shows it, with its three imports) ---
TOLERANCE_SECONDS = 300


class SignatureRefused(Exception):
    """The delivery is not from the platform, or is too old to trust."""


def verify(body: bytes, header: str, secret: str, now: float | None = None) -> int:
    """Check ``X-Bapas-Signature`` over the raw body; its time ``t`` if it is valid."""
    fields = [part.strip().partition("=") for part in header.split(",")]
    times = [value for name, _, value in fields if name == "t"]
    signatures = [value for name, _, value in fields if name == "v1"]
    if len(times) != 1 or not times[0].isdigit() or not signatures:
        raise SignatureRefused("malformed signature header")
    signed_at = int(times[0])
    if abs((time.time() if now is None else now) - signed_at) > TOLERANCE_SECONDS:
        raise SignatureRefused("stale or future timestamp: a replay?")
    signed = f"{signed_at}.".encode() + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    # Any v1 may match: during a rotation the platform signs with the new and old secret.
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise SignatureRefused("bad signature")
    return signed_at


# --- end of snippet ---


def receiver(secret: str) -> type[BaseHTTPRequestHandler]:
    """A request handler that answers 204 to verified deliveries and 401 to the rest."""

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            try:
                verify(body, self.headers.get("X-Bapas-Signature", ""), secret)
            except SignatureRefused as refused:
                self.send_error(401, str(refused))
                return
            envelope = json.loads(body)
            print(envelope["event_type"], envelope["event_id"], flush=True)
            self.send_response(204)
            self.end_headers()

    return Receiver


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--secret", required=True)
    arguments = parser.parse_args()
    HTTPServer(("127.0.0.1", arguments.port), receiver(arguments.secret)).serve_forever()


if __name__ == "__main__":
    main()
