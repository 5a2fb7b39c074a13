"""The suite's own rules hold: a failure in a worker thread fails its test, and CI runs the
property tests derandomized (the same examples every run)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _pytest(test_file: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml"), "-q"]
    return subprocess.run(
        [*command, "-p", "no:cacheprovider", str(test_file)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=test_file.parent,
    )


def test_an_exception_in_a_worker_thread_fails_the_test(tmp_path: Path) -> None:
    planted = tmp_path / "test_planted.py"
    planted.write_text(
        "import threading\n\n"
        "def test_worker_fails():\n"
        "    worker = threading.Thread(target=lambda: 1 / 0)\n"
        "    worker.start()\n"
        "    worker.join()\n"
    )
    result = _pytest(planted)
    assert result.returncode == 1, result.stdout
    assert "ZeroDivisionError" in result.stdout


def _profile_of(env: dict[str, str]) -> str:
    """`derandomize database` of the Hypothesis profile tests/conftest.py loads under `env`."""
    probe = (
        "import tests.conftest\n"
        "from hypothesis import settings\n"
        "print(settings.default.derandomize, settings.default.database)\n"
    )
    clean = {k: v for k, v in os.environ.items() if k not in {"CI", "HYPOTHESIS_PROFILE"}}
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**clean, **env},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_ci_loads_the_derandomized_profile_and_fuzz_the_random_one() -> None:
    assert _profile_of({"CI": "true"}) == "True None"
    assert _profile_of({"HYPOTHESIS_PROFILE": "ci"}) == "True None"
    assert _profile_of({"HYPOTHESIS_PROFILE": "fuzz"}).startswith("False")
