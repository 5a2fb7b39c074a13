"""The whole stack in this process on free 127.0.0.1 ports: SQLite, the real Xero adapter
against the bundled emulator, and the dashboard served by waitress."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import waitress

from adapters.http import HttpConfig, create_app
from adapters.passwords import hash_password
from adapters.persistence.keyring import generate_entry
from app.bootstrap import Container, bootstrap
from app.settings import Settings
from domain.values import Environment
from xero_emulator import ClientRegistration, EmulatorSettings, RunningEmulator, start_in_thread

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
EMAIL = "merchant@e2e.test"
PASSWORD = "e2e password that is long"
ARTIFACTS = Path(__file__).parent / "artifacts"


@dataclass
class Stack:
    base_url: str
    emulator: RunningEmulator
    container: Container


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's chromium; missing it fails the run on CI and skips it elsewhere."""
    if shutil.which(CHROMIUM) is None:
        message = f"{CHROMIUM} is missing: apt-get install -y chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    var = tmp_path_factory.mktemp("ledger")
    http_port, emulator_port = free_port(), free_port()
    settings = Settings.from_env(
        {
            "LEDGER_VAR_DIR": str(var),
            "LEDGER_DATABASE_URL": f"sqlite:///{var / 'ledger.db'}",
            "LEDGER_TOKEN_KEYS": generate_entry("e2e"),
            "LEDGER_HTTP_PORT": str(http_port),
            "LEDGER_EMULATOR_PORT": str(emulator_port),
            "LEDGER_DEMO": "1",
        }
    )
    container = bootstrap(settings, migrate=True)
    client = ClientRegistration(
        settings.sandbox.client_id, settings.sandbox.client_secret, (settings.redirect_uri,)
    )
    emulator = start_in_thread(EmulatorSettings(clients=(client,)), port=emulator_port)
    account = container.service.accounts.create(EMAIL, "growth", hash_password(PASSWORD))
    container.service.set_environment(account.id, Environment.SANDBOX)
    config = HttpConfig(
        secret_key=secrets.token_urlsafe(48),
        cookie_secure=settings.cookie_secure,
        public_url=settings.public_url,
        demo_banner="Demo mode: Xero is the bundled emulator.",
    )
    server = waitress.create_server(
        create_app(container.service, config), host="127.0.0.1", port=http_port, threads=4
    )
    thread = threading.Thread(target=server.run, name="e2e-http", daemon=True)
    thread.start()
    yield Stack(settings.public_url, emulator, container)
    server.close()
    emulator.stop()
    container.close()


Look = Callable[[Any, str], None]


@pytest.fixture
def look(axe_source: str) -> Iterator[Look]:
    """`look(page, name)`: a screenshot for people, and axe-core's audit of the page as it is
    now; every serious or critical finding fails the test at its end, all of them listed."""
    findings: list[str] = []

    def look_at(page: Any, name: str) -> None:
        page.wait_for_load_state()
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        findings.extend(f"{name}: {line}" for line in serious_violations(page, axe_source))

    yield look_at
    assert not findings, "axe-core found:\n" + "\n".join(findings)


AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core as pinned in tests/e2e/package-lock.json (`make test` runs `npm ci`)."""
    if not AXE.exists():
        message = f"{AXE} is missing: npm ci --prefix tests/e2e"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return AXE.read_text()


def serious_violations(page: Any, axe_source: str) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now, one line each.
    Injected through the debugging protocol, so the page's own CSP stays in force."""
    page.evaluate(f"() => {{ {axe_source}\n }}")
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + "; ".join(" ".join(n["target"]) for n in v["nodes"][:5])
        for v in results["violations"]
        if v["impact"] in SERIOUS
    ]
