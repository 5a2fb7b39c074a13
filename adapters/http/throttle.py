"""Login and pairing throttles, in the database every replica shares (domain.throttle).

Login: every attempt first spends from its client address's hash budget (a few scrypt hashes
a second at most, so the password hash cannot be used to burn the CPU), then counts against
who is trying. A browser that signed in to this account before carries a signed device cookie
(OWASP's "device cookie" pattern) and is throttled on its own, so nobody else's wrong
passwords, even from the same address, lock the merchant out. Anyone else counts against
the email at that client address and against the email as a whole (a slow, distributed
guess). A success clears what the merchant's own tries counted.

Pairing: wrong codes count per client address, so one bad client behind a proxy slows only
itself. The client address is the one `proxies.TrustedProxies` found.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from domain.digests import digest
from domain.throttle import Rule
from domain.usecases.throttles import Throttles

DEVICE_LIFETIME = timedelta(days=90)


@dataclass(frozen=True, slots=True)
class LoginRules:
    hashes: Rule = Rule(5, timedelta(seconds=5))
    per_client: Rule = Rule(5, timedelta(minutes=15))
    per_account: Rule = Rule(100, timedelta(hours=1))
    per_device: Rule = Rule(5, timedelta(minutes=15))


class LoginThrottle:
    def __init__(
        self, throttles: Throttles, rules: LoginRules, secret_key: str, cookie_name: str
    ) -> None:
        self._throttles, self._rules = throttles, rules
        self._devices = URLSafeTimedSerializer(secret_key, salt="ledger-device")
        self.cookie_name = cookie_name

    def attempt(self, request: Request, email: str) -> timedelta | None:
        """Count one attempt; None when the password may be checked, else how long to wait."""
        client = request.remote_addr or "unknown"
        wait = self._throttles.take(f"hash|{client}", self._rules.hashes)
        if wait is not None:
            return wait
        for key, rule in self._keys(request, email, client):
            wait = self._throttles.take(key, rule)
            if wait is not None:
                return wait
        return None

    def succeeded(self, request: Request, response: Response, email: str, secure: bool) -> None:
        """Clear what this browser's tries counted and remember it as a known device."""
        client = request.remote_addr or "unknown"
        self._throttles.clear(*(key for key, _ in self._keys(request, email, client)))
        device = self._devices.dumps({"a": _account_key(email), "n": secrets.token_urlsafe(16)})
        response.set_cookie(
            self.cookie_name,
            device,
            max_age=int(DEVICE_LIFETIME.total_seconds()),
            httponly=True,
            secure=secure,
            samesite="Lax",
        )

    def _keys(self, request: Request, email: str, client: str) -> list[tuple[str, Rule]]:
        device = self._device(request, email)
        if device:
            return [(f"device|{device}", self._rules.per_device)]
        return [
            (f"login|{email}|{client}", self._rules.per_client),
            (f"account|{email}", self._rules.per_account),
        ]

    def _device(self, request: Request, email: str) -> str | None:
        """The device nonce when this browser signed in to `email` before."""
        cookie = request.cookies.get(self.cookie_name, "")
        if not cookie:
            return None
        try:
            found = self._devices.loads(cookie, max_age=int(DEVICE_LIFETIME.total_seconds()))
        except BadSignature:
            return None
        if not isinstance(found, dict) or found.get("a") != _account_key(email):
            return None
        nonce = found.get("n")
        return nonce if isinstance(nonce, str) else None


class PairingThrottle:
    def __init__(self, throttles: Throttles, rule: Rule) -> None:
        self._throttles, self._rule = throttles, rule

    def attempt(self, request: Request) -> timedelta | None:
        return self._throttles.take(f"pairing|{request.remote_addr}", self._rule)


def _account_key(email: str) -> str:
    return digest(f"device|{email}")[:32]
