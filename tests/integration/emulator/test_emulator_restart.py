"""An emulator with a state file comes back after a restart with its grants, connections and
clock (issue 12 item 3), faults off; a broken file gives a fresh world, not a crash."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.integration.emulator.conftest import CLIENT_ID, REDIRECT, SECRET, Xero
from xero_emulator import ClientRegistration, EmulatorSettings, start_in_thread
from xero_emulator.seed import UK


@contextmanager
def emulator(state_file: Path) -> Iterator[Xero]:
    settings = EmulatorSettings(
        clients=(ClientRegistration(CLIENT_ID, SECRET, (REDIRECT,)),), state_file=state_file
    )
    running = start_in_thread(settings)
    try:
        with httpx.Client(base_url=running.base_url, timeout=5) as client:
            yield Xero(client)
    finally:
        running.stop()


class TestRestart:
    def test_grants_connections_and_clock_survive(self, tmp_path: Path) -> None:
        path = tmp_path / "var" / "emulator-state.json"
        with emulator(path) as xero:
            tokens = xero.connect()
            xero.advance(3600)
            clock = xero.http.get("/_emulator/clock").json()["offset_seconds"]
            xero.control("faults", {"fail_next_token_calls": 5})
        with emulator(path) as xero:
            assert xero.http.get("/_emulator/clock").json()["offset_seconds"] >= clock
            refreshed = xero.refresh(tokens["refresh_token"])
            assert refreshed.status_code == 200, refreshed.text
            listed = xero.connections(refreshed.json()["access_token"])
            assert [c["tenantId"] for c in listed.json()] == [UK.tenant_id]
            assert xero.http.get("/_emulator/faults").json()["fail_next_token_calls"] == 0

    def test_an_access_token_issued_before_the_restart_still_works(self, tmp_path: Path) -> None:
        path = tmp_path / "state.json"
        with emulator(path) as xero:
            access = xero.connect()["access_token"]
        with emulator(path) as xero:
            assert xero.api("Accounts", access).status_code == 200

    def test_a_revocation_is_remembered(self, tmp_path: Path) -> None:
        path = tmp_path / "state.json"
        with emulator(path) as xero:
            tokens = xero.connect()
            revoked = xero.http.post(
                "/connect/revocation",
                data={"token": tokens["refresh_token"]},
                auth=(CLIENT_ID, SECRET),
            )
            assert revoked.status_code == 200
        with emulator(path) as xero:
            answer = xero.refresh(tokens["refresh_token"])
            assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"

    def test_the_file_is_private(self, tmp_path: Path) -> None:
        path = tmp_path / "state.json"
        with emulator(path) as xero:
            xero.connect()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600

    def test_a_broken_file_gives_a_fresh_world(self, tmp_path: Path) -> None:
        path = tmp_path / "state.json"
        path.write_text("{not json")
        with emulator(path) as xero:
            tokens = xero.connect()
        assert json.loads(path.read_text())["format"] == 1
        with emulator(path) as xero:
            assert xero.refresh(tokens["refresh_token"]).status_code == 200
