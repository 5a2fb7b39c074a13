"""A test-client browser for the dashboard: keeps cookies, reads CSRF tokens from forms."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from domain.account import Account
from tests.fakes.world import World

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "correct horse battery staple"
# The Connect page's form that sends the merchant to Xero (its button says "Connect to Xero"
# or "Reconnect <organisation>"): a page that must not let them connect lacks it.
CONNECT_FORM = '<form method="post" action="/dashboard/connect-xero">'

PROGRESS = "/dashboard/connect-xero/progress"
PROGRESS_WAIT_S = 10.0


def _still_in_progress(response: TestResponse) -> bool:
    """The progress page reloading itself: Xero's part of the connect is still running."""
    return response.status_code == 200 and f"url={PROGRESS}" in response.get_data(as_text=True)


class Browser:
    def __init__(self, client: FlaskClient, world: World) -> None:
        self.client, self.world = client, world
        self.seen: list[TestResponse] = []

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self._keep(self.client.get(path, **kwargs))

    def token(self, page: str = "/login") -> str:
        found = CSRF.search(self.get(page).get_data(as_text=True))
        assert found, f"no CSRF token on {page}"
        return found.group(1)

    def post(self, path: str, data: dict[str, Any] | None = None, page: str = "") -> TestResponse:
        """POST a form with the CSRF token of `page` (default: the dashboard, or the login)."""
        form = dict(data or {})
        form["csrf_token"] = self.token(page or self._default_page())
        return self._keep(self.client.post(path, data=form))

    def login(self, email: str = "merchant@example.com", password: str = PASSWORD) -> TestResponse:
        return self.post("/login", {"email": email, "password": password}, page="/login")

    def start_connect(self, binding_id: str) -> str:
        """Press Connect Xero; returns the state Xero was sent."""
        response = self.post("/dashboard/connect-xero", {"binding": binding_id})
        assert response.status_code == 303, response.get_data(as_text=True)
        return parse_qs(urlsplit(response.location).query)["state"][0]

    def callback(self, **params: str) -> TestResponse:
        """Xero's redirect back, then the progress page followed as its meta refresh would
        (at once where jobs run inline; against a real stack until the job ends, bounded)."""
        response = self.get("/oauth/xero/callback", query_string=params)
        if response.status_code != 303 or response.location != PROGRESS:
            return response
        deadline = time.monotonic() + PROGRESS_WAIT_S
        response = self.get(PROGRESS)
        while _still_in_progress(response) and time.monotonic() < deadline:
            time.sleep(0.05)
            response = self.get(PROGRESS)
        return response

    def connect(self, binding_id: str, user: str, tenants: list[str]) -> TestResponse:
        state = self.start_connect(binding_id)
        code = self.world.xero.consent(state, user, tenants)
        return self.callback(code=code, state=state)

    def body(self, path: str) -> str:
        return self.get(path).get_data(as_text=True)

    def _default_page(self) -> str:
        with self.client.session_transaction() as session:
            logged_in = "auth" in session
        return "/dashboard" if logged_in else "/login"

    def _keep(self, response: TestResponse) -> TestResponse:
        self.seen.append(response)
        return response


def merchant(world: World, password_hash: str, email: str = "merchant@example.com") -> Account:
    return world.service.accounts.create(email, "growth", password_hash)
