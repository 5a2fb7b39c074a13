"""Demo mode across restarts: one password, one binding, one caller token; logs to var/log/."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from adapters.passwords import verify_password
from adapters.persistence.keyring import generate_entry
from app.bootstrap import Container, bootstrap
from app.demo import DEMO_EMAIL, demo_banner, demo_caller_token, prepare_demo
from app.logs import configure_logging
from app.settings import Settings


def settings(var: Path) -> Settings:
    return Settings.from_env(
        {
            "LEDGER_VAR_DIR": str(var),
            "LEDGER_TOKEN_KEYS": generate_entry("demo-test"),
            "LEDGER_DEMO": "1",
            "LEDGER_HTTP_PORT": "8110",
        }
    )


@pytest.fixture
def var(tmp_path: Path) -> Path:
    return tmp_path / "var"


def boot(var: Path) -> Container:
    return bootstrap(settings(var), migrate=True)


class TestRestart:
    def test_the_password_and_binding_stay_the_same(self, var: Path) -> None:
        first_built = boot(var)
        first = prepare_demo(first_built, var)
        first_built.close()
        again_built = boot(var)
        again = prepare_demo(again_built, var)
        account = again_built.service.accounts.by_email(DEMO_EMAIL)
        again_built.close()
        assert (again.password, again.binding_id) == (first.password, first.binding_id)
        assert account is not None and verify_password(account.password_hash, first.password)

    def test_the_caller_token_stays_the_same(self, var: Path) -> None:
        assert demo_caller_token(var) == demo_caller_token(var)
        assert (var / "grpc-demo-token").stat().st_mode & 0o777 == 0o600

    def test_the_banner_names_the_login_and_the_logs(self, var: Path) -> None:
        built = boot(var)
        login = prepare_demo(built, var)
        built.close()
        banner = demo_banner(settings(var), running=False)
        assert f"{DEMO_EMAIL}  /  {login.password}" in banner
        assert "http://127.0.0.1:8110/dashboard" in banner
        assert str(var / "log" / "ledger-connect-serve.log") in banner
        assert "is not running" in banner
        assert "Ctrl-C" not in banner

    def test_the_banner_of_a_running_demo_says_how_to_stop_it(self, var: Path) -> None:
        assert "Ctrl-C stops everything" in demo_banner(settings(var), running=True)

    def test_before_the_first_start_the_banner_promises_no_password(self, var: Path) -> None:
        banner = demo_banner(settings(var), running=False)
        assert "(made on the first `make run`)" in banner
        assert "the same on every start" not in banner


def test_demo_logs_go_to_the_file_and_only_warnings_to_the_console(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log_file = tmp_path / "log" / "serve.log"
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("INFO", log_file)
        logging.getLogger("demo.test").info("a routine line")
        logging.getLogger("demo.test").warning("something to see")
        for handler in root.handlers:
            handler.flush()
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers[:], level = saved
        root.setLevel(level)
    console = capsys.readouterr().err
    assert "a routine line" not in console and "WARNING: something to see" in console
    written = log_file.read_text()
    assert '"msg": "a routine line"' in written and '"msg": "something to see"' in written
