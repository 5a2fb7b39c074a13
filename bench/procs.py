"""Child processes the benchmarks start: each stopped by its own pid, and always stopped."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def clean_env() -> dict[str, str]:
    """This process's environment without any LEDGER_* setting of the caller's shell."""
    return {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Proc:
    """One child process with its output in a log file; use as a context manager."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.log = name, log
        log.parent.mkdir(parents=True, exist_ok=True)
        self._out: IO[bytes] = log.open("wb")
        self._popen = subprocess.Popen(
            argv, env=env, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=self._out, stderr=self._out
        )

    @property
    def pid(self) -> int:
        return self._popen.pid

    def __enter__(self) -> Proc:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_for(self, text: str, timeout_s: float = 60.0) -> None:
        """Until `text` appears in the log; raises if the process dies or time runs out."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if text in self.log.read_text(errors="replace"):
                return
            if self._popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited early; see {self.log}")
            time.sleep(0.05)
        raise TimeoutError(f"{self.name} not ready after {timeout_s:.0f} s; see {self.log}")

    def send_signal(self, signum: int) -> None:
        self._popen.send_signal(signum)

    def rss_kib(self) -> dict[str, int]:
        """VmRSS and VmHWM (peak) from /proc/<pid>/status, in KiB."""
        found = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(rest.split()[0])
        return found

    def stop(self, grace_s: float = 10.0) -> None:
        if self._popen.poll() is None:
            self._popen.send_signal(signal.SIGTERM)
            try:
                self._popen.wait(grace_s)
            except subprocess.TimeoutExpired:
                self._popen.kill()
                self._popen.wait(5)
        self._out.close()


def loadgen(spec: dict[str, Any], timeout_s: float = 300.0) -> dict[str, Any]:
    """Run `python -m bench.loadgen` with `spec` on stdin (never argv: it holds the caller
    token) and return its JSON answer."""
    done = subprocess.run(
        [PY, "-m", "bench.loadgen"],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout_s,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed: {done.stderr.strip()[-2000:]}")
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer
