"""Rate limits: per-tenant minute, day and concurrency limits, and the app-wide minute limit."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from xero_emulator.seed import NZ, UK


def connect_both(xero) -> str:
    xero.control("bulk", {"enabled": True})
    return xero.connect(tenants=(UK.tenant_id, NZ.tenant_id))["access_token"]


class TestMinuteLimit:
    def test_remaining_headers_count_down(self, xero):
        token = connect_both(xero)
        first = xero.api("Accounts", token).headers
        second = xero.api("Accounts", token).headers
        assert (first["X-MinLimit-Remaining"], second["X-MinLimit-Remaining"]) == ("59", "58")
        assert (first["X-DayLimit-Remaining"], second["X-DayLimit-Remaining"]) == ("4999", "4998")
        assert int(first["X-AppMinLimit-Remaining"]) > int(second["X-AppMinLimit-Remaining"])

    def test_sixty_first_call_in_a_minute_is_429_with_retry_after(self, xero):
        token = connect_both(xero)
        statuses = [xero.api("Currencies", token).status_code for _ in range(61)]
        assert statuses == [200] * 60 + [429]

    def test_lowered_limit_is_per_tenant_and_resets_with_the_clock(self, xero):
        token = connect_both(xero)
        xero.control("limits", {"per_org_minute": 2})
        assert [xero.api("Accounts", token).status_code for _ in range(2)] == [200, 200]
        blocked = xero.api("Accounts", token)
        assert blocked.status_code == 429
        assert blocked.headers["X-Rate-Limit-Problem"] == "minute"
        assert 1 <= int(blocked.headers["Retry-After"]) <= 60
        assert xero.api("Accounts", token, NZ.tenant_id).status_code == 200
        xero.advance(61)
        assert xero.api("Accounts", token).status_code == 200

    def test_daily_limit(self, xero):
        token = connect_both(xero)
        xero.control("limits", {"per_org_day": 1})
        xero.api("Accounts", token)
        blocked = xero.api("Accounts", token)
        assert blocked.headers["X-Rate-Limit-Problem"] == "day"
        assert int(blocked.headers["Retry-After"]) > 3600

    def test_app_minute_limit_spans_tenants_and_connections(self, xero):
        token = connect_both(xero)
        xero.control("limits", {"app_minute": 2})
        xero.api("Accounts", token, UK.tenant_id)
        xero.api("Accounts", token, NZ.tenant_id)
        blocked = xero.api("Accounts", token, UK.tenant_id)
        assert blocked.headers["X-Rate-Limit-Problem"] == "appminute"
        assert xero.connections(token).status_code == 429

    def test_429s_are_counted_in_stats(self, xero):
        token = connect_both(xero)
        xero.control("limits", {"per_org_minute": 1})
        xero.api("Accounts", token)
        xero.api("Accounts", token)
        assert xero.http.get("/_emulator/stats").json()["rate_limited"] == 1


class TestConcurrency:
    def test_sixth_concurrent_call_for_a_tenant_is_429_concurrent(self, xero, emulator):
        token = connect_both(xero)
        xero.control("faults", {"latency_ms": 400, "latency_paths": ["/api.xro/"]})
        with ThreadPoolExecutor(max_workers=6) as pool:
            answers = list(pool.map(lambda _: xero.api("Accounts", token), range(6)))
        problems = [a.headers.get("X-Rate-Limit-Problem") for a in answers if a.status_code == 429]
        assert problems == ["concurrent"]
        assert sum(a.status_code == 200 for a in answers) == 5
