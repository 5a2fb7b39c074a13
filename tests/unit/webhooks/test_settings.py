"""LEDGER_WEBHOOKS and LEDGER_WEBHOOK_*: strict checks, clear errors, secrets never shown."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import pytest

from app.settings import Settings, SettingsError
from domain.values import EventKind
from tests.unit.webhooks.conftest import SECRET


def settings(entries: Any, **extra: str) -> Settings:
    text = entries if isinstance(entries, str) else json.dumps(entries)
    return Settings.from_env({"LEDGER_WEBHOOKS": text, **extra})


def entry(**changes: Any) -> dict[str, Any]:
    return {
        "name": "sync-invoices",
        "url": "https://sync.example.com/h",
        "secret": SECRET,
    } | changes


def refused(entries: Any, **extra: str) -> str:
    with pytest.raises(SettingsError) as caught:
        settings(entries, **extra)
    message = str(caught.value)
    assert SECRET not in message and SECRET.removeprefix("whsec_") not in message
    return message


def test_subscribers_with_their_kinds_and_the_policy() -> None:
    configured = settings(
        [entry(kinds=["connected", "needs_reconnect"]), entry(name="audit", url="http://[::1]:9/")],
        LEDGER_WEBHOOK_RETRY_S="2",
        LEDGER_WEBHOOK_MAX_BACKOFF_S="60",
        LEDGER_WEBHOOK_DISABLE_AFTER_H="0.5",
        LEDGER_WEBHOOK_TIMEOUT_S="3",
        LEDGER_WEBHOOK_POLL_S="0.2",
    ).webhooks
    first, second = configured.subscribers
    assert first.kinds == {EventKind.CONNECTED, EventKind.NEEDS_RECONNECT}
    assert second.kinds == frozenset() and second.wants(EventKind.TOKEN_REFRESHED)
    assert configured.policy.first_retry == timedelta(seconds=2)
    assert configured.policy.max_backoff == timedelta(seconds=60)
    assert configured.policy.disable_after == timedelta(minutes=30)
    assert configured.policy.timeout_s == 3 and configured.poll_s == 0.2


def test_unset_means_no_subscribers() -> None:
    assert Settings.from_env({}).webhooks.subscribers == ()


def test_the_secret_stays_out_of_reprs() -> None:
    configured = settings([entry()])
    assert SECRET not in repr(configured) and SECRET not in repr(configured.webhooks)


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        ("[{", "not valid JSON (line 1, column 3)"),
        ({"name": "x"}, "must be a JSON list"),
        (["x"], "LEDGER_WEBHOOKS[0] must be an object"),
        ([entry(secret=None)], "LEDGER_WEBHOOKS[0].secret is required"),
        ([entry(extra=1)], "unknown fields: extra"),
        ([entry(name="Has Space")], "name must be 1 to 64 of a-z"),
        ([entry(url="http://sync.example.com/h")], "must be https://"),
        ([entry(url="ftp://sync.example.com/h")], "must be an https:// URL"),
        ([entry(url="https://user:pw@sync.example.com/")], "must not carry credentials"),
        ([entry(url="https://sync.example.com:99999/")], "not a valid URL"),
        ([entry(secret=SECRET.removeprefix("whsec_"))], "secret must be whsec_"),
        ([entry(secret="whsec_" + base64.b64encode(b"short").decode())], "24 to 64"),
        ([entry(secret="whsec_not base64!")], "secret must be whsec_"),
        ([entry(kinds=["connected", "teleported"])], "unknown event kinds teleported"),
        ([entry(kinds="connected")], "kinds must be a list"),
        ([entry(), entry()], "names sync-invoices more than once"),
    ],
)
def test_malformed_entries_are_refused_by_name_without_the_secret(
    entries: Any, expected: str
) -> None:
    assert expected in refused(entries)


def test_an_error_names_the_entry() -> None:
    message = refused([entry(), entry(name="audit", url="http://example.com")])
    assert message.startswith("LEDGER_WEBHOOKS[1] (audit): ")


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("LEDGER_WEBHOOK_TIMEOUT_S", "0", "more than 0"),
        ("LEDGER_WEBHOOK_DISABLE_AFTER_H", "soon", "must be a number"),
        ("LEDGER_WEBHOOK_RETRY_S", "7200", "at most LEDGER_WEBHOOK_MAX_BACKOFF_S"),
    ],
)
def test_malformed_tunables_are_refused(variable: str, value: str, expected: str) -> None:
    assert expected in refused([entry()], **{variable: value})
