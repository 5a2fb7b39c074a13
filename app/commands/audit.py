"""`ledger-connect audit reads [--binding ID] [--caller NAME] [--days N] [--json]`: who read
which binding's Xero credentials, per UTC day: how many times, first and last (DESIGN §13).
A `serve` process writes its counts every LEDGER_READ_AUDIT_FLUSH_S seconds (10) and when it
stops, so the last few seconds of a running replica are not here yet."""

from __future__ import annotations

import argparse
import json

from app.commands.context import container
from domain.reads import CredentialReads


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("audit", help="the audit of credential reads")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    reads = actions.add_parser(
        "reads",
        help="who read which binding's credentials, per day",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    reads.add_argument("--binding", help="only this binding id")
    reads.add_argument("--caller", help="only this gRPC caller (its name in LEDGER_GRPC_CALLERS)")
    reads.add_argument("--days", type=int, default=7, help="days back, today included (7)")
    reads.add_argument("--json", action="store_true", help="one JSON document")
    reads.set_defaults(handler=_reads)


def _reads(args: argparse.Namespace) -> int:
    with container() as built:
        rows = built.service.read_audit.search(
            binding_id=args.binding, caller=args.caller, days=args.days
        )
    if args.json:
        print(json.dumps([_row(r) for r in rows], indent=2))
        return 0
    if not rows:
        print("no credential reads recorded in that time")
    for r in rows:
        print(
            f"{r.day.isoformat()}  {r.caller:<24} {r.binding_id}  {r.count:>9,} reads  "
            f"first {r.first_at:%H:%M:%S}, last {r.last_at:%H:%M:%S} UTC"
        )
    return 0


def _row(reads: CredentialReads) -> dict[str, object]:
    return {
        "day": reads.day.isoformat(),
        "caller": reads.caller,
        "binding_id": reads.binding_id,
        "count": reads.count,
        "first_at": reads.first_at.isoformat(),
        "last_at": reads.last_at.isoformat(),
    }
