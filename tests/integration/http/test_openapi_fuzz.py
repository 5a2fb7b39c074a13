"""The Magento pairing API against its OpenAPI description (adapters/http/openapi.yaml),
fuzzed with schemathesis on a real SQLite database: no input earns a 5xx, and every answer
has a documented status, content type and body shape.

Half the generated requests are valid per the description and half are not; a generated
pairing body gets a fresh real code and a new shop URL every other time, and the secret
endpoints a fresh connector secret every time, so the success paths are fuzzed too.
Reproducible (derandomized) and bounded: a fixed number of examples per operation and mode.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation import GenerationMode

from adapters.http import HttpConfig, create_app
from adapters.persistence.keyring import generate_entry
from app.bootstrap import Container, bootstrap
from app.demo import sample_profile
from app.settings import Settings
from domain.magento import MagentoProfile
from tests.fakes.misc import FakeClock
from tests.fakes.world import TENANTS
from tests.fakes.xero import FakeXero

EXAMPLES = 40
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
]


@pytest.fixture(scope="module")
def container(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Container]:
    var = tmp_path_factory.mktemp("openapi")
    settings = Settings.from_env(
        {
            "LEDGER_VAR_DIR": str(var),
            "LEDGER_TOKEN_KEYS": generate_entry("fuzz"),
            "LEDGER_PLANS": "fuzz:1000:1000000",
        }
    )
    built = bootstrap(settings, migrate=True, xero=FakeXero(FakeClock(), tenants=dict(TENANTS)))
    yield built
    built.close()


@pytest.fixture(scope="module")
def app(container: Container) -> Flask:
    config = HttpConfig(
        secret_key=secrets.token_urlsafe(48),
        cookie_secure=False,
        pairing_max_failures=1_000_000,
    )
    return create_app(container.service, config)


class Fixtures:
    """Real codes and secrets handed to generated requests."""

    def __init__(self, container: Container) -> None:
        self._service = container.service
        self._run = secrets.token_hex(4)
        email = f"fuzz-{self._run}@ledger.test"
        self._account = self._service.accounts.create(email, "fuzz", "x").id
        self._shops = itertools.count()

    def code(self) -> str:
        return self._service.create_binding(self._account).pairing_code

    def shop(self) -> str:
        return f"https://fuzz-{self._run}-{next(self._shops)}.ledger.test"

    def paired(self) -> tuple[str, str]:
        """A fresh pairing: its connector secret and shop URL."""
        shop = self.shop()
        profile = MagentoProfile.from_dict(sample_profile(shop))
        return self._service.redeem_pairing(self.code(), profile).connector_secret, shop


def with_real_credentials(case: Any, fixtures: Fixtures, turn: int) -> None:
    """Every other generated body gets what a real module would send: a live code and a new
    shop to pair, or the paired shop's own URL to update."""
    if case.path == "/api/v1/pairings":
        if turn % 2 and isinstance(case.body, dict):
            case.body = {**case.body, "code": fixtures.code(), "magento_url": fixtures.shop()}
        return
    secret, shop = fixtures.paired()
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {secret}"}
    if turn % 2 and isinstance(case.body, dict):
        case.body = {**case.body, "magento_url": shop}


@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda m: m.value)
def test_the_pairing_api_never_fails_and_answers_as_described(
    app: Flask, container: Container, mode: GenerationMode
) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.yaml", app)
    fixtures = Fixtures(container)
    turns = itertools.count()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {(op.method.upper(), op.path) for op in operations} == {
        ("POST", "/api/v1/pairings"),
        ("PUT", "/api/v1/pairings/self/profile"),
        ("DELETE", "/api/v1/pairings/self"),
    }
    answered: dict[str, set[int]] = {}
    for operation in operations:

        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def fuzz(case: Any) -> None:
            with_real_credentials(case, fixtures, next(turns))
            response = case.call_and_validate(checks=CHECKS)
            answered.setdefault(case.path, set()).add(response.status_code)

        fuzz()
    if mode is GenerationMode.POSITIVE:
        assert all(any(s < 300 for s in found) for found in answered.values()), answered


def test_the_description_is_served_and_is_the_repository_file(app: Flask) -> None:
    served = app.test_client().get("/api/v1/openapi.yaml")
    assert served.status_code == 200 and served.mimetype == "application/yaml"
    source = Path(__file__).resolve().parents[3] / "adapters" / "http" / "openapi.yaml"
    assert served.get_data(as_text=True) == source.read_text("utf-8")
