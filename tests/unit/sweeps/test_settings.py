"""The LEDGER_* settings of the sweeps, Xero's app budget and the metrics port."""

from __future__ import annotations

import pytest

from app.settings import Settings, SettingsError


def test_the_defaults() -> None:
    s = Settings.from_env({})
    assert (s.sweep, s.sweep_tick_s, s.sweep_batch, s.token_spread_s) == (True, 15, 100, 300)
    assert (s.keepalive_days, s.reference_max_age_h, s.connection_check_h) == (7, 24, 6)
    assert (s.reference_spread_s, s.reference_retry_s) == (3600, 900)
    assert (s.replicas, s.app_budget_per_minute, s.metrics_port) == (1, 10_000, 0)


def test_the_app_budget_is_shared_by_the_replicas() -> None:
    assert Settings.from_env({"LEDGER_REPLICAS": "3"}).app_budget_per_minute == 3_333
    env = {"LEDGER_REPLICAS": "4", "LEDGER_XERO_APP_PER_MINUTE": "2000"}
    assert Settings.from_env(env).app_budget_per_minute == 500


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LEDGER_KEEPALIVE_DAYS", "60"),
        ("LEDGER_KEEPALIVE_DAYS", "0"),
        ("LEDGER_SWEEP_TICK_S", "0"),
        ("LEDGER_REPLICAS", "0"),
        ("LEDGER_CONNECTION_CHECK_H", "-1"),
        ("LEDGER_SWEEP", "maybe"),
    ],
)
def test_nonsense_is_refused_by_name(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


def test_connection_checks_can_be_switched_off() -> None:
    assert Settings.from_env({"LEDGER_CONNECTION_CHECK_H": "0"}).connection_check_h == 0


def test_the_grpc_event_loop_is_uvloop_unless_told() -> None:
    assert Settings.from_env({}).grpc_event_loop == "uvloop"
    assert Settings.from_env({"LEDGER_GRPC_EVENT_LOOP": "asyncio"}).grpc_event_loop == "asyncio"
    with pytest.raises(SettingsError, match="LEDGER_GRPC_EVENT_LOOP"):
        Settings.from_env({"LEDGER_GRPC_EVENT_LOOP": "tornado"})
