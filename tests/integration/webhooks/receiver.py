"""A webhook receiver on loopback for the tests: records every request as it arrived (raw
body and headers), verifies nothing itself (the tests compute the HMAC), answers a chosen
status, can be taken down and brought back on the same port, and can hold requests until the
test lets them go (a sender killed mid-delivery)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SECRET = "whsec_" + base64.b64encode(b"receiver-test-secret-32-bytes-ok").decode()


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def document(self) -> dict[str, Any]:
        decoded: dict[str, Any] = json.loads(self.body)
        return decoded

    @property
    def revision(self) -> int:
        return int(self.document["data"]["revision"])

    def signed_by(self, secret: str = SECRET) -> bool:
        """The Standard Webhooks check, computed here from the spec, not from our code."""
        key = base64.b64decode(secret.removeprefix("whsec_"))
        content = f"{self.webhook_id}.{self.headers['webhook-timestamp']}.".encode() + self.body
        expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
        offered = [s.split(",", 1) for s in self.headers["webhook-signature"].split(" ")]
        return any(v == "v1" and hmac.compare_digest(sig, expected) for v, sig in offered)


class Receiver:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.status = 200
        self.headers: dict[str, str] = {}
        self._cond = threading.Condition()
        self._holding = False
        self._held = 0
        self._server: ThreadingHTTPServer | None = None
        self.port = 0
        self.up()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/ledger"

    def up(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("content-length", 0))
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver._arrived(Received(headers, body, time.monotonic()))
                self.send_response(receiver.status)
                for name, value in receiver.headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        threading.Thread(target=server.serve_forever, name="receiver", daemon=True).start()

    def down(self) -> None:
        """Stop listening: senders get connection refused."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def hold(self) -> None:
        """Requests from now on are recorded, then wait (unanswered) until `let_go`."""
        with self._cond:
            self._holding = True

    def let_go(self) -> None:
        with self._cond:
            self._holding = False
            self._cond.notify_all()

    def held(self) -> int:
        with self._cond:
            return self._held

    def _arrived(self, request: Received) -> None:
        with self._cond:
            self.received.append(request)
            if self._holding:
                self._held += 1
                self._cond.wait_for(lambda: not self._holding, timeout=120)
                self._held -= 1

    def revisions(self) -> list[int]:
        with self._cond:
            return [r.revision for r in self.received]

    def close(self) -> None:
        self.let_go()
        self.down()
