"""`ledger-connect serve` whose credential read audit the benchmark switches, in one process.

    python -m bench.switched_serve serve

The same `serve` as `python -m app serve`, with two signal handlers added: SIGUSR2 switches
the read audit off and SIGUSR1 on again, exactly as LEDGER_READ_AUDIT=0 and =1 would (the
recorder's own `enabled` flag, which it checks on every read). Each switch logs
`read audit on (switch N)`, N counting from 1, so the benchmark knows it has landed. Comparing
the two states in one process leaves out everything two processes differ in (their
databases, their heaps, which core the scheduler gives each), which no interleaving of two
processes can cancel.
"""

from __future__ import annotations

import itertools
import signal
import sys
from types import FrameType
from typing import Any

from domain.usecases.audit import ReadRecorder

_recorders: list[ReadRecorder] = []
_switches = itertools.count(1)
_built = ReadRecorder.__init__


def _kept(self: ReadRecorder, *args: Any, **kwargs: Any) -> None:
    _built(self, *args, **kwargs)
    _recorders.append(self)


def _switch(on: bool) -> Any:
    def handler(signum: int, frame: FrameType | None) -> None:
        for recorder in _recorders:
            recorder._enabled = on  # noqa: SLF001 - the flag LEDGER_READ_AUDIT sets
        print(f"read audit {'on' if on else 'off'} (switch {next(_switches)})", flush=True)

    return handler


def main(argv: list[str]) -> int:
    ReadRecorder.__init__ = _kept  # type: ignore[method-assign]
    signal.signal(signal.SIGUSR1, _switch(True))
    signal.signal(signal.SIGUSR2, _switch(False))
    from app.cli import main as cli

    return cli(argv)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
