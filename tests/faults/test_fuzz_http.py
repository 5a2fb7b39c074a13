"""Property-based fuzzing of the HTTP edges that strangers reach: Xero's OAuth callback (any
query string, with and without a real pending authorisation and a logged-in session) and the
Magento pairing API (any JSON, any bytes, any content type, with and without a real pairing
code).

The app is the real one (`create_app` on the service built by `bootstrap`) on the suite's
PostgreSQL database and Xero emulator, driven in-process through Flask's test client.
Properties: never a 5xx, the API always answers its JSON error shape, and no secret (OAuth
tokens, PKCE verifier, browser session id, pairing code, connector secret, client secret,
Flask secret key) appears in any answer or log line except where it must: the connector
secret in the one 201 answer. Bounded: 150 examples each, no deadline.
"""

from __future__ import annotations

import json
import logging
import secrets
import string
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote_from_bytes, urlencode, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from adapters.http import HttpConfig, create_app
from app.demo import sample_profile
from domain.magento import MagentoProfile
from domain.ports import UnitOfWorkFactory
from domain.service import LedgerConnect
from domain.values import Environment
from tests.faults.conftest import FaultWorld
from tests.integration.replicas.cluster import CALLER_TOKEN, CLIENT_SECRET, PUBLIC_URL

pytestmark = [pytest.mark.faults, pytest.mark.postgres, pytest.mark.slow]

FLASK_SECRET = "fuzz-" + secrets.token_urlsafe(40)
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ANY = st.characters(codec="utf-8")
texts = st.text(alphabet=ANY, max_size=300)
short = st.text(alphabet=ANY, max_size=40)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | short,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(short, inner, max_size=4),
    max_leaves=20,
)
hosts = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=20)


class Records(logging.Handler):
    """Every log line the app writes, formatted, for the secret checks."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record) + repr(record.args))

    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass
class Http:
    app: Flask
    service: LedgerConnect
    uow: UnitOfWorkFactory
    account_id: str
    binding_id: str
    logs: Records
    secrets: list[str] = field(default_factory=list)

    def client(self, logged_in: bool) -> tuple[FlaskClient, str]:
        """A browser; logged in, with its browser session id, when asked."""
        client = self.app.test_client()
        sid = secrets.token_urlsafe(32)
        if logged_in:
            with client.session_transaction() as session:
                session["auth"] = self.service.sessions.open(self.account_id)
                session["sid"] = sid
        return client, sid

    def assert_no_secret(self, text: str, *more: str) -> None:
        for secret in [*self.secrets, *more]:
            assert secret not in text, "a secret leaked"


@pytest.fixture(scope="module")
def http(world: FaultWorld) -> Iterator[Http]:
    cluster = world.cluster
    service = cluster.container.service
    account = service.accounts.create(f"fuzz-{uuid.uuid4().hex[:8]}@ledger.test", "scale", "x")
    service.set_environment(account.id, Environment.SANDBOX)
    created = service.create_binding(account.id)
    shop = f"https://fuzz-{uuid.uuid4().hex[:8]}.ledger.test"
    service.redeem_pairing(created.pairing_code, MagentoProfile.from_dict(sample_profile(shop)))
    config = HttpConfig(secret_key=FLASK_SECRET, cookie_secure=False, public_url=PUBLIC_URL)
    app = create_app(service, config)
    records = Records()
    root = logging.getLogger()
    root.addHandler(records)
    level = root.level
    root.setLevel(logging.DEBUG)
    tokens = []
    for (binding_id,) in cluster.sql("SELECT binding_id FROM grants"):
        grant = cluster.grant(binding_id)
        tokens += [grant.access_token, grant.refresh_token]
    try:
        yield Http(
            app,
            service,
            cluster.container.ports.uow,
            account.id,
            created.binding_id,
            records,
            [FLASK_SECRET, CLIENT_SECRET, CALLER_TOKEN, cluster.keys, *tokens],
        )
    finally:
        root.removeHandler(records)
        root.setLevel(level)


# --- the OAuth callback -------------------------------------------------------------------

param_names = st.sampled_from(["code", "state", "error", "error_description", "scope"]) | short
queries = st.one_of(
    st.lists(st.tuples(param_names, texts), max_size=6).map(urlencode),
    st.binary(max_size=300).map(lambda raw: quote_from_bytes(raw, safe="=&;+%")),
)


@FUZZ
@given(query=queries, real_state=st.booleans(), logged_in=st.booleans())
@example(query="code=abc&state=", real_state=False, logged_in=True)
@example(query="error=access_denied", real_state=True, logged_in=True)
@example(query="code=" + "A" * 5000, real_state=True, logged_in=True)
@example(query="state=%ZZ&code=%", real_state=False, logged_in=True)
def test_the_oauth_callback_never_fails_and_never_leaks(
    http: Http, query: str, real_state: bool, logged_in: bool
) -> None:
    client, sid = http.client(logged_in)
    more = [sid]
    if real_state and logged_in:
        authorize = http.service.start_connect(http.account_id, http.binding_id, sid)
        state = dict(parse_qsl(urlsplit(authorize).query))["state"]
        with http.uow() as uow:
            attempt = uow.attempts.get_by_state(state)
        assert attempt is not None
        more += [state, attempt.code_verifier]
        query = urlencode({"state": state}) + ("&" + query if query else "")
    code = dict(parse_qsl(query)).get("code", "")
    if len(code) >= 16:
        more.append(code)
    http.logs.lines.clear()

    response = client.get("/oauth/xero/callback?" + query)

    event(f"status {response.status_code}")
    assert response.status_code < 500, (query, response.status_code)
    if not logged_in:
        assert response.status_code == 303 and "/login" in response.location
    http.assert_no_secret(response.get_data(as_text=True), *more)
    http.assert_no_secret(response.headers.get("Location", ""), *more)
    http.assert_no_secret(http.logs.text(), *more)


# --- the pairing API ----------------------------------------------------------------------

named = st.fixed_dictionaries({"code": short, "name": short})
guessed_codes = st.text(alphabet=string.ascii_uppercase + string.digits, min_size=1, max_size=12)
valid_profiles = st.builds(
    lambda host, code: sample_profile(f"https://{host}.fuzz.test") | {"code": code},
    hosts,
    guessed_codes | short,
)
profile_variants = st.fixed_dictionaries(
    {"magento_url": st.one_of(hosts.map(lambda h: f"https://{h}.fuzz.test"), texts)},
    optional={
        "label": json_values,
        "websites": st.lists(named | json_values, max_size=3) | json_values,
        "stores": st.lists(json_values, max_size=3) | json_values,
        "payment_methods": st.lists(named, max_size=3) | json_values,
        "product_types": st.lists(named, max_size=3) | json_values,
        "code": guessed_codes | json_values,
    },
)
content_types = st.sampled_from(
    ["application/json", "application/json; charset=utf-8", "text/plain", "", "multipart/x"]
)
bodies = st.one_of(
    st.tuples(st.just("json"), valid_profiles),
    st.tuples(st.just("json"), profile_variants),
    st.tuples(st.just("json"), json_values),
    st.tuples(content_types, st.binary(max_size=400)),
)


@FUZZ
@given(body=bodies, real_code=st.booleans(), client_ip=st.integers(1, 2**24 - 2))
@example(body=("json", {"code": "x" * 65}), real_code=False, client_ip=1)
@example(body=("json", sample_profile("https://example.fuzz.test")), real_code=True, client_ip=2)
@example(body=("application/json", b"{" * 3000), real_code=False, client_ip=3)
def test_the_pairing_api_never_fails_and_never_leaks(
    http: Http, body: tuple[str, Any], real_code: bool, client_ip: int
) -> None:
    kind, payload = body
    more: list[str] = []
    if kind == "json":
        if real_code and isinstance(payload, dict):
            pairing_code = http.service.create_binding(http.account_id).pairing_code
            payload = {**payload, "code": pairing_code}
            more.append(pairing_code)
        data, content_type = json.dumps(payload).encode(), "application/json"
    else:
        data, content_type = payload, kind
    ip = f"10.{client_ip >> 16}.{(client_ip >> 8) & 255}.{client_ip & 255}"
    http.logs.lines.clear()

    response = http.app.test_client().post(
        "/api/v1/pairings",
        data=data,
        headers={"Content-Type": content_type} if content_type else {},
        environ_base={"REMOTE_ADDR": ip},
    )

    event(f"status {response.status_code}")
    assert response.status_code < 500, (body, response.status_code, response.get_data())
    answer = response.get_json(silent=True)
    assert isinstance(answer, dict), response.get_data()
    text = response.get_data(as_text=True)
    if response.status_code == 201:
        assert set(answer) == {"binding_id", "connector_secret"}
        assert real_code
        http.assert_no_secret(http.logs.text(), answer["connector_secret"], *more)
        http.assert_no_secret(text.replace(answer["connector_secret"], ""), *more)
    else:
        error = answer["error"]
        assert isinstance(error["code"], str) and isinstance(error["message"], str)
        http.assert_no_secret(text, *more)
        http.assert_no_secret(http.logs.text(), *more)


# --- NUL characters, which PostgreSQL text cannot hold -------------------------------------


def test_a_nul_in_the_callback_state_is_refused_cleanly(http: Http) -> None:
    client, _ = http.client(logged_in=True)
    response = client.get("/oauth/xero/callback?state=a%00b&code=x")
    assert response.status_code == 400


def test_a_nul_in_the_paired_install_url_is_refused_cleanly(http: Http) -> None:
    pairing_code = http.service.create_binding(http.account_id).pairing_code
    body = sample_profile("https://nul\x00.fuzz.test") | {"code": pairing_code}
    response = http.app.test_client().post("/api/v1/pairings", json=body)
    assert response.status_code == 400
