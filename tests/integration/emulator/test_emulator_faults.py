"""Fault injection: failing token calls, lost rotation answers, latency and random errors."""

from __future__ import annotations

import time

import pytest

from xero_emulator.seed import UK

pytestmark = pytest.mark.faults


class TestTokenFaults:
    def test_next_token_calls_fail_with_5xx_then_recover(self, xero):
        token = xero.connect()["refresh_token"]
        xero.control("faults", {"fail_next_token_calls": 2, "fail_mode": "5xx"})
        assert [xero.refresh(token).status_code for _ in range(2)] == [503, 503]
        assert xero.refresh(token).status_code == 200

    def test_timeout_mode_sleeps_then_answers_504(self, xero):
        token = xero.connect()["refresh_token"]
        xero.control(
            "faults", {"fail_next_token_calls": 1, "fail_mode": "timeout", "timeout_sleep_s": 0.2}
        )
        started = time.monotonic()
        assert xero.refresh(token).status_code == 504
        assert time.monotonic() - started >= 0.2
        assert xero.refresh(token).status_code == 200

    def test_failed_token_calls_do_not_rotate(self, xero):
        token = xero.connect()["refresh_token"]
        xero.control("faults", {"fail_next_token_calls": 1})
        xero.refresh(token)
        successor = xero.refresh(token).json()["refresh_token"]
        assert xero.refresh(successor).status_code == 200

    def test_dropped_answer_after_rotation_leaves_the_predecessor_usable(self, xero):
        a = xero.connect()["refresh_token"]
        xero.control("faults", {"drop_answer_after_rotation": 1})
        assert xero.refresh(a).status_code == 502
        retried = xero.refresh(a)
        assert retried.status_code == 200
        assert xero.refresh(retried.json()["refresh_token"]).status_code == 200
        stats = xero.http.get("/_emulator/stats").json()["token_requests"]["refresh_token"]
        assert stats == {"success": 3, "failure": 0}

    def test_invalid_fault_settings_are_rejected(self, xero):
        assert xero.http.post("/_emulator/faults", json={"error_rate": 2}).status_code == 400
        assert xero.http.post("/_emulator/faults", json={"fail_mode": "boom"}).status_code == 400
        assert xero.http.post("/_emulator/faults", json={"nope": 1}).status_code == 400
        assert xero.http.get("/_emulator/faults").json()["error_rate"] == 0


class TestRequestFaults:
    def test_latency_applies_to_matching_paths(self, xero):
        token = xero.connect()["access_token"]
        xero.control("faults", {"latency_ms": 150, "latency_paths": ["/connections"]})
        started = time.monotonic()
        xero.connections(token)
        assert time.monotonic() - started >= 0.15
        started = time.monotonic()
        xero.api("Organisation", token, UK.tenant_id)
        assert time.monotonic() - started < 0.15

    def test_error_rate_one_fails_every_matching_call(self, xero):
        token = xero.connect()["access_token"]
        xero.control("faults", {"error_rate": 1.0, "error_paths": ["/api.xro/"]})
        assert xero.api("Organisation", token, UK.tenant_id).status_code == 503
        assert xero.connections(token).status_code == 200

    def test_error_rate_applies_to_identity_endpoints(self, xero):
        token = xero.connect()["refresh_token"]
        xero.control("faults", {"error_rate": 1.0})
        assert xero.refresh(token).status_code == 503
        assert xero.http.get("/_emulator/stats").status_code == 200
