"""LEDGER_TRUSTED_PROXIES and the session lifetimes, read from the environment."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.settings import Settings, SettingsError


def test_trusted_proxies_are_addresses_and_blocks() -> None:
    env = {"LEDGER_TRUSTED_PROXIES": "10.0.0.1, 10.1.0.0/16,,fd00::/8"}
    assert Settings.from_env(env).trusted_proxies == ("10.0.0.1", "10.1.0.0/16", "fd00::/8")
    assert Settings.from_env({}).trusted_proxies == ()


def test_a_bad_trusted_proxy_names_the_variable() -> None:
    with pytest.raises(SettingsError, match="LEDGER_TRUSTED_PROXIES: 'proxy.local'"):
        Settings.from_env({"LEDGER_TRUSTED_PROXIES": "10.0.0.1,proxy.local"})


def test_session_lifetimes() -> None:
    env = {"LEDGER_SESSION_IDLE_MINUTES": "15", "LEDGER_SESSION_MAX_HOURS": "12"}
    lifetimes = Settings.from_env(env).session_lifetimes
    assert (lifetimes.idle, lifetimes.absolute) == (timedelta(minutes=15), timedelta(hours=12))
    bad = {"LEDGER_SESSION_IDLE_MINUTES": "600", "LEDGER_SESSION_MAX_HOURS": "1"}
    with pytest.raises(SettingsError, match="LEDGER_SESSION_IDLE_MINUTES"):
        _ = Settings.from_env(bad).session_lifetimes
