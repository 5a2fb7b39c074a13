"""The Xero emulator is a distribution of its own: the service's wheel does not carry it, and
the service runs without it wherever real Xero credentials are configured (DESIGN §2,
docs/decisions/0003-emulator-shares-no-code.md).

"Without it" is a child process whose import system refuses `xero_emulator`, as a machine
where only the service's wheel is installed would."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from adapters.persistence.keyring import generate_entry

ROOT = Path(__file__).resolve().parents[3]
NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", "var", "node_modules", "__pycache__", "*.egg-info", "build", ".*_cache"
)
WITHOUT_EMULATOR = """
import sys

class NoEmulator:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "xero_emulator":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NoEmulator())
from app.cli import main
sys.exit(main(sys.argv[1:]))
"""
START_TIMEOUT_S = 120


def wheel_of(source: Path, out: Path) -> zipfile.ZipFile:
    """Build `source`'s wheel from a copy (the build writes into the tree it builds)."""
    copy = out / "src"
    shutil.copytree(source, copy, ignore=NOT_COPIED)
    done = subprocess.run(  # noqa: S603 - pip of this interpreter
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
        + ["-w", str(out), str(copy)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = out.glob("*.whl")
    return zipfile.ZipFile(wheel)


def top_level(wheel: zipfile.ZipFile) -> set[str]:
    return {name.split("/")[0] for name in wheel.namelist() if ".dist-info" not in name}


def test_the_service_wheel_holds_no_emulator(tmp_path: Path) -> None:
    wheel = wheel_of(ROOT, tmp_path)
    assert top_level(wheel) == {"domain", "adapters", "app"}
    assert not [name for name in wheel.namelist() if "xero_emulator" in name]
    assert "adapters/http/templates/base.html" in wheel.namelist()


def test_the_emulator_wheel_holds_the_emulator_alone(tmp_path: Path) -> None:
    wheel = wheel_of(ROOT / "emulator", tmp_path)
    assert top_level(wheel) == {"xero_emulator"}
    assert "xero_emulator/templates/consent.html" in wheel.namelist()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def without_emulator(tmp_path: Path, **ledger: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    env.update(
        LEDGER_VAR_DIR=str(tmp_path / "var"),
        LEDGER_TOKEN_KEYS=generate_entry("k1"),
        LEDGER_HTTP_PORT=str(free_port()),
        LEDGER_GRPC_PORT=str(free_port()),
        LEDGER_SWEEP="0",
        PYTHONUNBUFFERED="1",
        **ledger,
    )
    return env


def ledger_connect(*args: str) -> list[str]:
    return [sys.executable, "-c", WITHOUT_EMULATOR, *args]


def test_serve_runs_without_the_emulator_when_xero_is_configured(tmp_path: Path) -> None:
    env = without_emulator(
        tmp_path,
        LEDGER_XERO_PRODUCTION_CLIENT_ID="PRODUCTIONCLIENT0000000000000000",
        LEDGER_XERO_PRODUCTION_CLIENT_SECRET="production-secret",
    )
    process = subprocess.Popen(  # noqa: S603 - our own CLI
        ledger_connect("serve"),
        env=env,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seen: list[str] = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            seen.append(line)
            if line.startswith("Ctrl-C stops"):
                break
        assert "ledger-connect is running\n" in seen, "".join(seen)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=START_TIMEOUT_S) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
    assert not any("Traceback" in line for line in seen), "".join(seen)


@pytest.mark.parametrize("command", [["serve"], ["emulator"]], ids=["demo", "emulator"])
def test_what_needs_the_emulator_says_how_to_install_it(tmp_path: Path, command: list[str]) -> None:
    """No Xero credentials: demo mode, which needs the emulator; and the emulator command."""
    done = subprocess.run(  # noqa: S603 - our own CLI
        ledger_connect(*command),
        env=without_emulator(tmp_path),
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "the Xero emulator is not installed" in done.stderr
    assert "pip install ./emulator" in done.stderr
    assert "Traceback" not in done.stderr
