"""Prometheus metrics at /metrics on the metrics port: refreshes by outcome and latency, Xero calls
by endpoint and status, 429s, bindings by status, refresh exhausted, sweep runs and lag."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from werkzeug.test import Client

from adapters.observability.fleet import FleetCollector
from adapters.observability.metrics import MetricsApp
from adapters.observability.xero import endpoint_of
from app.commands.serve import wsgi_app
from app.settings import Settings
from domain.errors import RateLimited
from domain.schedule import Backlog
from domain.tier import ConnectionUsage
from domain.usecases.sweeps import FleetStatus, Sweeps
from domain.values import BindingStatus, Environment
from tests.integration.sweeps.stack import Stack

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(stack: Stack) -> Samples:
    client = Client(MetricsApp(stack.built.metrics))
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    return parse(response.get_data(as_text=True))


def parse(text: str) -> Samples:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_a_day_in_the_life_shows_up_on_the_metrics_page(stack: Stack, sweeps: Sweeps) -> None:
    binding_id = stack.connect()
    stack.advance(days=7, seconds=1)
    stack.built.metrics.record_sweeps(sweeps.tick())
    stack.advance(minutes=20)
    stack.control("faults", {"fail_next_token_calls": 1})
    stack.service.tokens.refresh_now(binding_id)
    stack.control("limits", {"per_org_minute": 1})
    # Slow answers keep the first wave's calls in flight together, so Xero (not our own
    # limiter, which holds back calls once an answer says the minute is spent) refuses one.
    stack.control("faults", {"latency_ms": 300})
    with pytest.raises(RateLimited):
        stack.service.reference.refresh(binding_id)

    m = scrape(stack)
    assert value(m, "ledger_token_refreshes_total", outcome="ok") == 1
    assert value(m, "ledger_token_refreshes_total", outcome="unavailable") == 1
    assert value(m, "ledger_token_refresh_seconds_count") == 2
    assert value(m, "ledger_xero_calls_total", endpoint="token", status="200") == 2
    assert value(m, "ledger_xero_calls_total", endpoint="token", status="503") == 1
    assert value(m, "ledger_xero_calls_total", endpoint="connections", status="200") == 1
    assert value(m, "ledger_xero_calls_total", endpoint="Organisation", status="200") >= 2
    limited = sum(v for (name, _), v in m.items() if name == "ledger_xero_rate_limited_total")
    assert limited >= 1
    assert value(m, "ledger_bindings", status="DEGRADED") == 1
    assert value(m, "ledger_bindings", status="CONNECTED") == 0
    assert value(m, "ledger_refresh_exhausted_bindings") == 0
    assert value(m, "ledger_fleet_status_up") == 1
    assert value(m, "ledger_sweep_runs_total", sweep="tokens", result="ok") == 1
    assert value(m, "ledger_sweep_items_total", sweep="tokens", outcome="refreshed") == 1
    assert value(m, "ledger_sweep_items_total", sweep="reference", outcome="refreshed") == 1
    assert value(m, "ledger_sweep_duration_seconds_count", sweep="housekeeping") == 1
    assert value(m, "ledger_sweep_backlog", sweep="tokens") == 0


def test_the_lag_is_the_age_of_the_oldest_due_item(stack: Stack, sweeps: Sweeps) -> None:
    stack.connect()
    stack.advance(days=8)
    m = scrape(stack)
    assert value(m, "ledger_sweep_backlog", sweep="tokens") == 1
    assert value(m, "ledger_sweep_lag_seconds", sweep="tokens") == pytest.approx(86_400, abs=60)
    assert value(m, "ledger_sweep_backlog", sweep="reference") == 1
    assert value(m, "ledger_sweep_lag_seconds", sweep="reference") == pytest.approx(
        7 * 86_400, abs=60
    )


def test_the_dashboard_and_the_metrics_do_not_share_a_port(stack: Stack) -> None:
    dashboard = Client(wsgi_app(Settings.from_env(stack.env), stack.built))
    assert dashboard.get("/metrics").status_code == 404
    assert dashboard.get("/login").status_code == 200
    assert Client(MetricsApp(stack.built.metrics)).get("/login").status_code == 404


class TestFleetCollector:
    STATUS = FleetStatus(
        at=datetime(2026, 11, 2, tzinfo=UTC),
        bindings={BindingStatus.CONNECTED: 3},
        exhausted=1,
        tokens=Backlog(2, datetime(2026, 11, 1, 23, 59, tzinfo=UTC)),
        reference=Backlog(),
        connections={
            Environment.PRODUCTION: ConnectionUsage("production", 4, 5),
            Environment.SANDBOX: ConnectionUsage("sandbox", 2, None),
        },
    )

    def test_the_database_is_asked_at_most_every_15_seconds(self) -> None:
        calls, now = [], [0.0]
        collector = FleetCollector(lambda: calls.append(1) or self.STATUS, 15, lambda: now[0])
        registry = CollectorRegistry()
        registry.register(collector)
        for at in (0.0, 14.0, 15.0):
            now[0] = at
            m = parse(generate_latest(registry).decode())
        assert len(calls) == 2
        assert value(m, "ledger_bindings", status="CONNECTED") == 3
        assert value(m, "ledger_refresh_exhausted_bindings") == 1
        assert value(m, "ledger_sweep_lag_seconds", sweep="tokens") == 60

    def test_live_connections_and_the_cap_are_gauges_per_environment(self) -> None:
        registry = CollectorRegistry()
        registry.register(FleetCollector(lambda: self.STATUS))
        m = parse(generate_latest(registry).decode())
        live = "ledger_xero_connected_organisations"
        assert value(m, live, environment="production") == 4
        assert value(m, live, environment="sandbox") == 2
        assert value(m, "ledger_xero_connection_cap", environment="production") == 5
        assert ("ledger_xero_connection_cap", (("environment", "sandbox"),)) not in m

    def test_a_database_that_does_not_answer_is_a_gauge_not_an_error(self) -> None:
        def down() -> FleetStatus:
            raise ConnectionError("database away")

        registry = CollectorRegistry()
        registry.register(FleetCollector(down))
        m = parse(generate_latest(registry).decode())
        assert value(m, "ledger_fleet_status_up") == 0
        assert not any(name == "ledger_bindings" for name, _ in m)


@pytest.mark.parametrize(
    ("path", "endpoint"),
    [
        ("/connect/token", "token"),
        ("/identity/connect/revocation", "revocation"),
        ("/connections", "connections"),
        ("/connections/3f1c2a5e-7b1d-4c55-9a0e-2f9c9f0b1a77", "connections"),
        ("/api.xro/2.0/Accounts", "Accounts"),
        ("/api.xro/2.0/Invoices/abc-123", "Invoices"),
        ("/somewhere/else", "other"),
    ],
)
def test_endpoints_are_a_small_fixed_set_of_labels(path: str, endpoint: str) -> None:
    assert endpoint_of(path) == endpoint
