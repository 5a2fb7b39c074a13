"""`ledger-connect token` against a real server: what it prints, where its token comes from,
and gRPC refusals as one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from tests.integration.grpc.conftest import READER_TOKEN, SYNC_TOKEN, Running


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, running: Running) -> Path:
    for name in ("LEDGER_GRPC_TOKEN", "LEDGER_GRPC_CALLERS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LEDGER_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("LEDGER_GRPC_PORT", str(running.port))
    return tmp_path


class TestTokenCommand:
    def test_prints_status_expiry_tenant_and_api_base_but_not_the_token(
        self, running: Running, env: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        binding_id = running.world.connected()

        code = main(["token", binding_id, "--caller-token", SYNC_TOKEN])

        out = capsys.readouterr().out
        assert code == 0
        assert "CONNECTED" in out
        assert "tenant-uk" in out
        assert "https://xero.test/production/api.xro/2.0" in out
        assert "expires at" in out
        assert running.world.grant(binding_id).access_token not in out

    def test_json_with_the_token_when_asked(
        self, running: Running, env: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        binding_id = running.world.connected()
        target = f"--target={running.target}"

        main(["token", binding_id, "--json", "--show-token", target, "--caller-token", SYNC_TOKEN])

        shown = json.loads(capsys.readouterr().out)
        grant = running.world.grant(binding_id)
        assert shown["access_token"] == grant.access_token
        assert shown["status"] == "CONNECTED"
        assert shown["tenant_id"] == "tenant-uk"
        assert shown["expires_at"].endswith("Z")

    def test_the_caller_token_comes_from_the_environment_then_the_demo_file(
        self,
        running: Running,
        env: Path,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        binding_id = running.world.connected()
        (env / "grpc-demo-token").write_text(SYNC_TOKEN + "\n")
        assert main(["token", binding_id]) == 0

        monkeypatch.setenv("LEDGER_GRPC_TOKEN", READER_TOKEN)
        assert main(["token", binding_id]) == 2
        assert "PERMISSION_DENIED" in capsys.readouterr().err

    def test_without_any_caller_token_it_says_where_one_comes_from(
        self, env: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert main(["token", "b-1"]) == 2

        assert "LEDGER_GRPC_TOKEN" in capsys.readouterr().err

    def test_a_refusal_is_one_line_with_its_reason(
        self, running: Running, env: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        binding_id = running.world.paired(running.world.account())

        assert main(["token", binding_id, "--caller-token", SYNC_TOKEN]) == 2

        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert err.startswith("ledger-connect token: FAILED_PRECONDITION BINDING_NOT_CONNECTED: ")

    def test_a_reason_that_repeats_the_code_name_is_printed_once(
        self, running: Running, env: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        unknown = "00000000-0000-0000-0000-000000000000"

        assert main(["token", unknown, "--caller-token", SYNC_TOKEN]) == 2

        err = capsys.readouterr().err
        assert err.startswith("ledger-connect token: NOT_FOUND: ")
        assert err.count("NOT_FOUND") == 1

    def test_an_unreachable_server_is_explained(
        self, env: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        code = main(["token", "b-1", "--target", "127.0.0.1:1", "--caller-token", SYNC_TOKEN])

        assert code == 2
        assert "cannot reach the gRPC server at 127.0.0.1:1" in capsys.readouterr().err
