"""Helpers for the Xero adapter's unit tests: a config, fake JWTs, a recording mock transport."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from adapters.xero.config import XeroEnvironmentConfig

BASE = "https://xero.test"
CONFIG = XeroEnvironmentConfig.on_one_host(
    "sandbox", BASE, "client-id-1", "client-secret-1", "https://app.test/oauth/xero/callback"
)
TENANT = "tenant-1"
Handler = Callable[[httpx.Request], httpx.Response]


def jwt(claims: dict[str, Any]) -> str:
    """An unsigned-looking JWT with these claims (the adapter never checks the signature)."""

    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256'})}.{part(claims)}.signature"


def token_body(**overrides: Any) -> dict[str, Any]:
    access = jwt({"authentication_event_id": "event-1", "xero_userid": "user-1"})
    body = {
        "access_token": access,
        "refresh_token": "refresh-2",
        "expires_in": 1800,
        "token_type": "Bearer",
        "scope": "openid offline_access accounting.settings.read",
    }
    return body | overrides


def envelope(key: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Id": "x", "Status": "OK", "DateTimeUTC": "/Date(1552404447003)/", key: records}


def form(request: httpx.Request) -> dict[str, str]:
    return dict(httpx.QueryParams(request.content.decode()))


@dataclass
class Recorder:
    """Wraps a handler: keeps every request and the most calls ever in flight at once."""

    handler: Handler
    delay_s: float = 0.0
    requests: list[httpx.Request] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.requests.append(request)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            time.sleep(self.delay_s)
            return self.handler(request)
        finally:
            with self._lock:
                self.in_flight -= 1

    def paths(self) -> list[str]:
        return [r.url.path for r in self.requests]


class FakeClock:
    """Monotonic seconds that move only when told to (or when something sleeps)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
