"""`make bench`: run the benchmarks, save bench/results/<name>.json, print a Markdown table.

    .venv/bin/python -m bench.run [--quick] [--only NAME ...] [--backend sqlite|postgres|both]

Benchmarks are not tests: they print figures and ratios against baselines measured in the
same run, and never fail on a time. They start their own processes (the Xero emulator,
`ledger-connect serve` replicas, a bare gRPC server, load generators) on 127.0.0.1 and their
own databases (a SQLite file, a PostgreSQL database created and dropped per benchmark), and
stop or remove all of them on the way out, also on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from bench import (
    cache_miss,
    egress,
    fast_path,
    fast_path_streams,
    prefetch,
    refresh_storm,
    report_herd,
    scale,
    tracing,
    watch_latency,
)
from bench.context import Context
from bench.pg import unavailable
from bench.report import Outcome, machine, markdown, save
from bench.stack import BACKENDS

BENCHMARKS: dict[str, Callable[[Context], Outcome]] = {
    fast_path.NAME: fast_path.run,
    fast_path_streams.NAME: fast_path_streams.run,
    cache_miss.NAME: cache_miss.run,
    refresh_storm.NAME: refresh_storm.run,
    prefetch.NAME: prefetch.run,
    scale.NAME: scale.run,
    tracing.NAME: tracing.run,
    report_herd.NAME: report_herd.run,
    egress.NAME: egress.run,
    watch_latency.NAME: watch_latency.run,
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="a short smoke run (~2 minutes)")
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(BENCHMARKS),
        metavar="NAME",
        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}",
    )
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument(
        "--keep-logs", action="store_true", help="keep the scratch directory with every log"
    )
    return parser.parse_args(argv)


def backends(choice: str) -> tuple[str, ...]:
    wanted = BACKENDS if choice == "both" else (choice,)
    if "postgres" in wanted:
        reason = unavailable()
        if reason:
            print(f"skipping PostgreSQL: {reason}", flush=True)
            wanted = tuple(b for b in wanted if b != "postgres")
    return wanted


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    info = machine()
    load = ", ".join(f"{x:.2f}" for x in info["load_average_at_start"])
    print(
        f"machine: {info['cores']} cores, {info['cpu_model']}, Python {info['python']}, "
        f"load {load}",
        flush=True,
    )
    started = time.monotonic()
    scratch = Path(tempfile.mkdtemp(prefix="ledger-bench-"))
    try:
        ctx = Context(args.quick, backends(args.backend), scratch)
        outcomes = [_run_and_save(name, ctx) for name in args.only or list(BENCHMARKS)]
    finally:
        if args.keep_logs:
            print(f"logs kept in {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    kind = "quick" if args.quick else "full"
    print(
        f"\n## Benchmarks ({kind} run, {time.monotonic() - started:.0f} s; {info['cores']} "
        f"cores, {info['cpu_model']}, Python {info['python']}, {info['date'][:10]})\n"
    )
    print(markdown(outcomes))
    print("".join(f"\n- {o.name}: {note}" for o in outcomes for note in o.notes))
    return 0


def _run_and_save(name: str, ctx: Context) -> Outcome:
    started = machine()
    outcome = _run_one(name, ctx)
    run_info = {"benchmark": name, "quick": ctx.quick, "backends": list(ctx.backends)}
    print(f"  -> {save(outcome, run_info, started)}", flush=True)
    return outcome


def _run_one(name: str, ctx: Context) -> Outcome:
    print(f"\n== {name}", flush=True)
    began = time.monotonic()
    try:
        outcome = BENCHMARKS[name](ctx)
    except Exception as error:  # noqa: BLE001 - report it, carry on with the others
        traceback.print_exc()
        outcome = Outcome(name)
        outcome.note(f"did not complete: {type(error).__name__}: {error}")
    outcome.details["elapsed_s"] = round(time.monotonic() - began, 1)
    return outcome


if __name__ == "__main__":
    raise SystemExit(main())
