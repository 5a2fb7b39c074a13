"""`ledger-connect webhooks status | deliveries | enable`: a subscriber that kept failing is
disabled (shown by status and the log), and enabling it delivers what it missed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from tests.integration.webhooks.conftest import Build, account, ledger_env, pair
from tests.integration.webhooks.receiver import SECRET, Receiver

Capture = pytest.CaptureFixture[str]
# Failing for about a second disables the subscriber.
DISABLE_AFTER = {"LEDGER_WEBHOOK_DISABLE_AFTER_H": str(1 / 3600)}


@pytest.fixture
def cli_env(tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ledger_env(tmp_path, receiver, **DISABLE_AFTER).items():
        monkeypatch.setenv(name, value)


def run(capsys: Capture, *argv: str) -> object:
    assert main(["webhooks", *argv, "--json"] if argv[0] != "enable" else ["webhooks", *argv]) == 0
    out = capsys.readouterr().out
    return json.loads(out) if argv[0] != "enable" else out


def test_disabled_after_failing_then_enabled_by_the_operator(
    build: Build, receiver: Receiver, capsys: Capture, cli_env: None
) -> None:
    built = build(**DISABLE_AFTER)
    assert built.webhooks is not None
    deliver = built.webhooks.deliver
    deliver()
    owner = account(built)
    binding_id = pair(built, owner)
    receiver.status = 503
    while not run(capsys, "status")[0]["disabled_at"]:  # type: ignore[index]
        deliver()
    [status] = run(capsys, "status")  # type: ignore[misc]
    assert status["state"] == "disabled" and status["behind"] == 2
    assert status["disabled_reason"].startswith("failing since")

    log = run(capsys, "deliveries", "--subscriber", "sync")
    assert log[0]["outcome"] == "disabled" and log[0]["http_status"] == 503  # type: ignore[index]
    assert {line["outcome"] for line in log[1:]} == {"failed"}  # type: ignore[index]
    assert run(capsys, "deliveries", "--subscriber", "nobody") == []
    only = run(capsys, "deliveries", "--outcome", "disabled", "--binding", binding_id)
    assert len(only) == 1  # type: ignore[arg-type]
    assert len(run(capsys, "deliveries", "--limit", "2")) == 2  # type: ignore[arg-type]

    receiver.status = 200
    assert deliver() == {}, "nothing goes to a disabled subscriber"
    assert "sync enabled; deliveries resume after revision" in str(run(capsys, "enable", "sync"))
    assert deliver() == {("sync", "delivered"): 2}
    [status] = run(capsys, "status")  # type: ignore[misc]
    assert status["state"] == "enabled" and status["behind"] == 0 and status["failures"] == 0
    delivered = run(capsys, "deliveries", "--outcome", "delivered", "--outcome", "enabled")
    assert [line["outcome"] for line in delivered] == ["delivered", "delivered", "enabled"]  # type: ignore[index]
    assert all(r.signed_by() for r in receiver.received)


def test_enabling_an_unknown_subscriber_is_one_line(capsys: Capture, cli_env: None) -> None:
    assert main(["migrate"]) == 0
    capsys.readouterr()
    assert main(["webhooks", "enable", "nobody"]) == 2
    last = capsys.readouterr().err.splitlines()[-1]
    assert last == "ledger-connect webhooks: no webhook subscriber 'nobody' has a cursor yet"


def test_the_text_output_never_shows_the_secret(
    build: Build, receiver: Receiver, capsys: Capture, cli_env: None
) -> None:
    built = build()
    assert built.webhooks is not None
    built.webhooks.deliver()
    pair(built, account(built))
    built.webhooks.deliver()
    for argv in (["status"], ["deliveries"]):
        assert main(["webhooks", *argv]) == 0
        out = capsys.readouterr().out
        assert "sync" in out and SECRET not in out and SECRET[6:] not in out


def test_forget_deletes_only_a_cursor_no_longer_configured(
    build: Build, capsys: Capture, cli_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = build()
    assert built.webhooks is not None
    built.webhooks.deliver()
    capsys.readouterr()
    assert main(["webhooks", "forget", "sync"]) == 2
    refused = capsys.readouterr().err.splitlines()[-1]
    assert "'sync' is in LEDGER_WEBHOOKS here: remove it from every replica first" in refused

    monkeypatch.setenv("LEDGER_WEBHOOKS", "[]")
    [status] = run(capsys, "status")  # type: ignore[misc]
    assert status["state"] == "unconfigured" and status["subscriber"] == "sync"
    assert main(["webhooks", "forget", "sync"]) == 0
    assert capsys.readouterr().out.startswith("sync forgotten after revision")
    assert run(capsys, "status") == []
    [line] = run(capsys, "deliveries", "--outcome", "forgotten")  # type: ignore[misc]
    assert line["subscriber"] == "sync"
    assert main(["webhooks", "forget", "sync"]) == 2
    last = capsys.readouterr().err.splitlines()[-1]
    assert last == "ledger-connect webhooks: no webhook subscriber 'sync' has a cursor"
