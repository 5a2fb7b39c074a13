"""Where `serve` spends the cached GetFreshToken path: py-spy on a loaded `serve`.

    .venv/bin/python -m bench.profile [--concurrency 8] [--seconds 8] [--rate 200] [--out F]
        [--misses N [--backend sqlite|postgres] [--warm-pass]]

One `ledger-connect serve` on SQLite with one connected binding (as `bench.fast_path` sets it
up), the load from `bench.loadgen` in its own process, and `py-spy record` (pinned in the dev
extra) sampling every thread of `serve` meanwhile. With `--misses N`, the cache-miss path
instead: N bindings bulk-inserted (10 per organisation, as the cache-miss and scale
benchmarks do) on `--backend`, every call a miss (a permutation of all of them, fewer calls
than bindings); `--warm-pass` asks every binding once first, as the scale benchmark does.
Prints the share of samples per thread and the frames that hold the most samples themselves
and inclusively; the collapsed stacks go to `--out` for a flame graph. Without `--native`,
grpc's Cython code shows as the asyncio callback that runs it (`Handle._run`): that is
grpc's own call handling on the event loop.
"""

from __future__ import annotations

import argparse
import collections
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.cache_miss import BINDINGS_PER_ORG, CACHE_TTL_S
from bench.emulator import Emulator
from bench.population import populate
from bench.procs import loadgen
from bench.stack import Service, connect_binding, database_url, settle

PY_SPY = Path(sys.executable).with_name("py-spy")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rate", type=int, default=200, help="samples a second")
    parser.add_argument("--native", action="store_true", help="native frames too (slower)")
    parser.add_argument("--out", type=Path, default=Path("serve-profile.txt"))
    parser.add_argument("--misses", type=int, default=0, metavar="N", help="N bindings, misses")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--warm-pass", action="store_true", help="ask every binding once first")
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="ledger-profile-"))
    try:
        result = _profile(args, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(
        f"load: {result['throughput']:,.0f} calls/s, server CPU "
        f"{result['server_cpu_us_per_call']:.0f} us per call"
    )
    print(summary(args.out.read_text()))
    return 0


def _profile(args: argparse.Namespace, scratch: Path) -> dict[str, Any]:
    orgs = args.misses // BINDINGS_PER_ORG
    with (
        Emulator(scratch, organisations=orgs) as emulator,
        database_url(args.backend, scratch, "profile") as url,
    ):
        service = Service(scratch, url, emulator)
        if args.misses:
            ids = populate(service, args.misses, cache_age=timedelta(hours=1)).ids
            ids = random.Random(0).sample(ids, len(ids))
        else:
            with service.container() as built:
                ids = [connect_binding(built, emulator, "profile")]
                settle(built, ids[0])
        with service.serve("serve-profile") as (proc, target):
            spec = {
                "mode": "timed",
                "token": service.caller_token,
                "bindings": ids,
                "concurrency": args.concurrency,
                "warmup_s": 1.0,
                "duration_s": args.seconds + 3.0,
                "targets": [target],
                "server_pid": proc.pid,
            }
            if args.warm_pass:
                warm = loadgen(spec | {"mode": "each"}, timeout_s=1800)
                print(f"warm pass: {warm['throughput']:,.0f} calls/s, RSS {proc.rss_kib()}")
                time.sleep(CACHE_TTL_S + 0.2)
            result: dict[str, Any] = {}
            load = threading.Thread(target=lambda: result.update(loadgen(spec)))
            load.start()
            time.sleep(1.5)
            record = [str(PY_SPY), "record", "-p", str(proc.pid), "-d", str(int(args.seconds))]
            record += ["-r", str(args.rate), "--format", "raw", "-o", str(args.out), "--threads"]
            record += ["--nonblocking"] + (["--native"] if args.native else [])
            subprocess.run(record, check=True, capture_output=True)
            load.join()
            return result


def summary(collapsed: str, top: int = 20) -> str:
    """Shares of samples per thread, then the top frames by own and by inclusive samples."""
    total = 0
    threads: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    for line in collapsed.splitlines():
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack:
            continue
        n, frames = int(count), stack.split(";")
        total += n
        threads[frames[0].split(": ", 1)[-1]] += n
        own[frames[-1]] += n
        for frame in set(frames[1:]):
            inclusive[frame] += n
    lines = [f"{total} samples"]
    for title, counter in (("thread", threads), ("own", own), ("inclusive", inclusive)):
        lines.append(f"-- by {title}")
        lines += [f"{100 * n / total:5.1f}%  {name}" for name, n in counter.most_common(top)]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
