"""TLS from LEDGER_GRPC_TLS_*: `serve` reads and checks it, refuses a plaintext port that is
not loopback unless told, and `ledger-connect token` speaks TLS to it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.grpc.server import build_server, stop
from adapters.persistence.keyring import generate_entry
from app.cli import main
from app.errors import CommandError
from app.grpc_tls import is_loopback, server_tls
from app.settings import Settings, SettingsError
from tests.fakes.world import World
from tests.integration.grpc.conftest import CALLERS, SYNC_TOKEN, Running
from tests.integration.grpc.pki import Pem, make_pki

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def pki() -> dict[str, Pem]:
    return make_pki()


@pytest.fixture
def files(pki: dict[str, Pem], tmp_path: Path) -> dict[str, str]:
    return _written(pki, tmp_path)


def settings(tmp_path: Path, **env: str) -> Settings:
    return Settings.from_env({"LEDGER_VAR_DIR": str(tmp_path), **env})


def tls_env(files: dict[str, str], mutual: bool = True) -> dict[str, str]:
    env = {"LEDGER_GRPC_TLS_CERT": files["server.crt"], "LEDGER_GRPC_TLS_KEY": files["server.key"]}
    return env | ({"LEDGER_GRPC_TLS_CLIENT_CA": files["ca.crt"]} if mutual else {})


class TestServerTls:
    def test_reads_tls_and_mutual_tls_from_the_environment(
        self, tmp_path: Path, files: dict[str, str], pki: dict[str, Pem]
    ) -> None:
        mutual = server_tls(settings(tmp_path, **tls_env(files)))
        plain_tls = server_tls(settings(tmp_path, **tls_env(files, mutual=False)))

        assert mutual is not None and mutual.client_ca == pki["ca"].cert
        assert mutual.certificate_chain == pki["server"].cert
        assert plain_tls is not None and plain_tls.client_ca is None

    @pytest.mark.parametrize("host", ["0.0.0.0", "10.1.2.3", "::", "ledger.internal"])
    def test_refuses_plaintext_beyond_loopback(self, tmp_path: Path, host: str) -> None:
        with pytest.raises(CommandError) as refused:
            server_tls(settings(tmp_path, LEDGER_GRPC_HOST=host))

        assert "LEDGER_GRPC_ALLOW_INSECURE" in str(refused.value)

    @pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost", "127.0.0.53"])
    def test_plaintext_on_loopback_is_fine(self, tmp_path: Path, host: str) -> None:
        assert is_loopback(host)
        assert server_tls(settings(tmp_path, LEDGER_GRPC_HOST=host)) is None

    def test_plaintext_beyond_loopback_when_explicitly_allowed(self, tmp_path: Path) -> None:
        allowed = settings(tmp_path, LEDGER_GRPC_HOST="0.0.0.0", LEDGER_GRPC_ALLOW_INSECURE="1")

        assert server_tls(allowed) is None

    def test_tls_beyond_loopback_is_fine(self, tmp_path: Path, files: dict[str, str]) -> None:
        assert server_tls(settings(tmp_path, LEDGER_GRPC_HOST="0.0.0.0", **tls_env(files)))

    @pytest.mark.parametrize(
        "env",
        [
            {"LEDGER_GRPC_TLS_CERT": "a.crt"},
            {"LEDGER_GRPC_TLS_KEY": "a.key"},
            {"LEDGER_GRPC_TLS_CLIENT_CA": "ca.crt"},
        ],
    )
    def test_half_a_configuration_is_a_settings_error(
        self, tmp_path: Path, env: dict[str, str]
    ) -> None:
        with pytest.raises(SettingsError):
            settings(tmp_path, **env)

    def test_a_missing_file_names_its_variable(self, tmp_path: Path, files: dict[str, str]) -> None:
        env = tls_env(files) | {"LEDGER_GRPC_TLS_CLIENT_CA": str(tmp_path / "nope.crt")}

        with pytest.raises(CommandError, match="LEDGER_GRPC_TLS_CLIENT_CA: cannot read"):
            server_tls(settings(tmp_path, **env))

    def test_a_key_of_another_certificate_is_refused(
        self, tmp_path: Path, files: dict[str, str], pki: dict[str, Pem]
    ) -> None:
        env = tls_env(files) | {"LEDGER_GRPC_TLS_KEY": files["client.key"]}

        with pytest.raises(CommandError, match="does not belong") as refused:
            server_tls(settings(tmp_path, **env))

        assert pki["client"].key.decode()[40:80] not in str(refused.value)

    def test_a_file_that_is_not_pem_is_refused(self, tmp_path: Path, files: dict[str, str]) -> None:
        garbage = tmp_path / "garbage.crt"
        garbage.write_text("not a certificate")
        env = tls_env(files) | {"LEDGER_GRPC_TLS_CERT": str(garbage)}

        with pytest.raises(CommandError, match="LEDGER_GRPC_TLS_CERT: no PEM certificate"):
            server_tls(settings(tmp_path, **env))


def test_serve_refuses_a_plaintext_public_bind_and_says_why(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")} | {
        "LEDGER_VAR_DIR": str(tmp_path),
        "LEDGER_DEMO": "0",
        "LEDGER_TOKEN_KEYS": generate_entry("k1"),
        "LEDGER_GRPC_HOST": "0.0.0.0",
        "LEDGER_GRPC_PORT": "0",
        "LEDGER_HTTP_PORT": "0",
        "LEDGER_SWEEP": "0",
    }
    done = subprocess.run(
        [sys.executable, "-m", "app", "serve"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 2
    assert "refusing to serve gRPC in plaintext on 0.0.0.0" in done.stderr
    assert "ledger-connect is running" not in done.stdout


@pytest.fixture
def mtls_port(pki: dict[str, Pem], tmp_path: Path) -> Iterator[tuple[World, int]]:
    world = World()
    tls = server_tls(settings(tmp_path, **tls_env(_written(pki, tmp_path))))
    server, port = build_server(world.service, callers=CALLERS, health_check=lambda: True, tls=tls)
    server.start()
    try:
        yield world, port
    finally:
        stop(server, grace=0)


def _written(pki: dict[str, Pem], directory: Path) -> dict[str, str]:
    """Every certificate and key of the PKI as files: `server.crt`, `client.key`, ..."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, pair in pki.items():
        cert, key = pair.write(directory, name)
        paths[f"{name}.crt"], paths[f"{name}.key"] = str(cert), str(key)
    return paths


class TestTokenCommandOverTls:
    @pytest.fixture(autouse=True)
    def env(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        for name in [k for k in os.environ if k.startswith("LEDGER_")]:
            monkeypatch.delenv(name)
        monkeypatch.setenv("LEDGER_VAR_DIR", str(tmp_path))
        monkeypatch.setenv("LEDGER_GRPC_TOKEN", SYNC_TOKEN)

    def test_speaks_mutual_tls_with_a_ca_and_a_client_certificate(
        self,
        mtls_port: tuple[World, int],
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        world, port = mtls_port
        d = str(tmp_path)
        flags = ["--ca", f"{d}/ca.crt", "--cert", f"{d}/client.crt", "--key", f"{d}/client.key"]

        code = main(["token", world.connected(), "--target", f"127.0.0.1:{port}", *flags])

        assert code == 0, capsys.readouterr().err
        assert "CONNECTED" in capsys.readouterr().out

    def test_the_name_in_the_certificate_can_be_named(
        self, mtls_port: tuple[World, int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        world, port = mtls_port
        d = str(tmp_path)
        flags = ["--ca", f"{d}/ca.crt", "--cert", f"{d}/client.crt", "--key", f"{d}/client.key"]
        asked = ["token", world.connected(), "--target", f"127.0.0.1:{port}", *flags]

        assert main([*asked, "--server-name", "x.test"]) == 2
        assert main([*asked, "--server-name", "localhost"]) == 0

    @pytest.mark.parametrize("flags", [[], ["--ca", "ca.crt"]])
    def test_without_what_the_port_requires_it_says_what_to_pass(
        self,
        mtls_port: tuple[World, int],
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
        flags: list[str],
    ) -> None:
        world, port = mtls_port
        flags = [str(tmp_path / f) if f.endswith(".crt") else f for f in flags]

        assert main(["token", world.connected(), "--target", f"127.0.0.1:{port}", *flags]) == 2
        assert "--cert/--key" in capsys.readouterr().err

    def test_tls_is_the_default_where_the_service_speaks_it(
        self,
        running: Running,
        files: dict[str, str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        binding_id = running.world.connected()
        target = ["--target", running.target]
        assert main(["token", binding_id, *target]) == 0  # plaintext to a plaintext port

        for name, value in tls_env(files).items():
            monkeypatch.setenv(name, value)

        # no --tls: LEDGER_GRPC_TLS_CERT alone switches TLS on, so the plaintext port fails
        assert main(["token", binding_id, *target]) == 2
