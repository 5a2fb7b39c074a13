"""glibc's arenas capped and free heap pages given back (app/memory.py), in a child process of
its own so this test process's allocator is left as it was."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from app import memory

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(memory._glibc() is None, reason="the C library is not glibc")


def run(code: str, **env: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", **env},
        check=True,
    )
    return done.stdout.strip()


RSS = """
def rss_kib():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
"""


def test_trim_gives_freed_heap_back_to_the_system() -> None:
    # 40,000 blocks of 2 KiB (above pymalloc's 512 bytes: glibc's heap), every 100th kept so
    # the heap cannot shrink from its top by itself; freed, then trimmed.
    out = run(
        RSS
        + """
from app.memory import trim
blocks = [bytes(2048) for _ in range(40_000)]
kept = blocks[::100]
del blocks
before = rss_kib()
released = trim()
print(released, before - rss_kib())
"""
    )
    released, drop_kib = out.split()
    assert released == "True"
    assert int(drop_kib) > 40_000  # most of the 80 MiB freed


def test_arenas_are_capped_unless_the_operator_chose() -> None:
    assert run("from app.memory import limit_arenas; print(limit_arenas())") == "True"
    code = "from app.memory import limit_arenas; print(limit_arenas())"
    assert run(code, MALLOC_ARENA_MAX="4") == "False"
    assert run(code, GLIBC_TUNABLES="glibc.malloc.arena_max=4") == "False"


def test_the_trimmer_trims_until_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    trims: list[float] = []
    monkeypatch.setattr(memory, "trim", lambda: trims.append(time.monotonic()) or True)
    trimmer = memory.MemoryTrimmer(every_s=0.01).start()
    try:
        deadline = time.monotonic() + 5
        while len(trims) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        trimmer.stop()
    stopped_at = len(trims)
    time.sleep(0.05)
    assert stopped_at >= 3
    assert len(trims) == stopped_at
