"""`ledger-connect webhooks status | deliveries | enable NAME | forget NAME`: subscribers'
cursors, the delivery log (newest first, filterable), re-enabling a subscriber disabled after
failing, and deleting the cursor of one no replica configures any more (it holds back
compaction until then)."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from app.commands.context import container
from app.errors import CommandError
from app.webhooks import Webhooks
from domain.webhooks import DeliveryOutcome, DeliveryQuery, DeliveryRecord, SubscriberStatus


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("webhooks", help="webhook subscribers and their delivery log")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    status = actions.add_parser("status", help="each subscriber's cursor, backlog and state")
    status.add_argument("--json", action="store_true", help="one JSON document")
    status.set_defaults(handler=_status)
    log = actions.add_parser("deliveries", help="the delivery log, newest first")
    log.add_argument("--subscriber", default="", help="only this subscriber")
    log.add_argument("--binding", default="", help="only events of this binding")
    log.add_argument(
        "--outcome",
        action="append",
        choices=[o.value for o in DeliveryOutcome],
        help="only these outcomes (repeatable)",
    )
    log.add_argument("--since-hours", type=float, help="only the last H hours")
    log.add_argument("--limit", type=int, default=50, help="at most N lines (default 50)")
    log.add_argument("--json", action="store_true", help="one JSON document")
    log.set_defaults(handler=_deliveries)
    enable = actions.add_parser("enable", help="deliver again to a disabled subscriber")
    enable.add_argument("name", help="the subscriber's name in LEDGER_WEBHOOKS")
    enable.set_defaults(handler=_enable)
    forget = actions.add_parser(
        "forget", help="delete the cursor of a subscriber no replica configures any more"
    )
    forget.add_argument("name", help="a subscriber removed from LEDGER_WEBHOOKS everywhere")
    forget.set_defaults(handler=_forget)


def _status(args: argparse.Namespace) -> int:
    with container() as built:
        statuses = _webhooks(built.webhooks).admin.status()
    rows = [_status_row(s) for s in statuses]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("no webhook subscribers (set LEDGER_WEBHOOKS)")
    for row in rows:
        state = row["state"] + (f" ({row['disabled_reason']})" if row["disabled_reason"] else "")
        print(
            f"{row['subscriber']:<24} {state:<12} through {row['delivered_through']}, "
            f"{row['behind']} behind, {row['failures']} failures"
            + (f", next attempt {row['next_attempt_at']}" if row["next_attempt_at"] else "")
        )
    return 0


def _deliveries(args: argparse.Namespace) -> int:
    since = None
    if args.since_hours is not None:
        since = datetime.now(UTC) - timedelta(hours=args.since_hours)
    query = DeliveryQuery.of(
        args.subscriber,
        args.binding,
        [DeliveryOutcome(o) for o in args.outcome or ()],
        since,
        args.limit,
    )
    with container() as built:
        records = _webhooks(built.webhooks).admin.deliveries(query)
    rows = [_delivery_row(r) for r in records]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        status = row["http_status"] if row["http_status"] is not None else "-"
        print(
            f"{row['at']}  {row['subscriber']:<20} {row['outcome']:<10} rev {row['revision']:<8} "
            f"{row['webhook_id'] or '-':<14} {row['kind'] or '-':<20} attempt {row['attempt']} "
            f"HTTP {status} {row['error']}".rstrip()
        )
    return 0


def _enable(args: argparse.Namespace) -> int:
    with container() as built:
        cursor = _webhooks(built.webhooks).admin.enable(args.name)
    if cursor is None:
        raise CommandError(f"no webhook subscriber {args.name!r} has a cursor yet")
    print(f"{args.name} enabled; deliveries resume after revision {cursor.delivered_through}")
    return 0


def _forget(args: argparse.Namespace) -> int:
    with container() as built:
        cursor = _webhooks(built.webhooks).admin.forget(args.name)
    if cursor is None:
        raise CommandError(f"no webhook subscriber {args.name!r} has a cursor")
    print(
        f"{args.name} forgotten after revision {cursor.delivered_through}; "
        "it holds back no compaction"
    )
    return 0


def _webhooks(webhooks: Webhooks | None) -> Webhooks:
    assert webhooks is not None, "bootstrap always builds the webhooks"
    return webhooks


def _status_row(status: SubscriberStatus) -> dict[str, Any]:
    cursor = status.cursor
    state = "not started" if cursor is None else "disabled" if cursor.disabled else "enabled"
    if not status.configured:
        state = "unconfigured"
    return {
        "subscriber": status.subscriber,
        "configured": status.configured,
        "state": state,
        "head": status.head,
        "delivered_through": cursor.delivered_through if cursor else None,
        "behind": status.behind,
        "failures": cursor.failures if cursor else 0,
        "failing_since": _iso(cursor.failing_since) if cursor else None,
        "next_attempt_at": _iso(cursor.next_attempt_at) if cursor else None,
        "disabled_at": _iso(cursor.disabled_at) if cursor else None,
        "disabled_reason": cursor.disabled_reason if cursor else "",
    }


def _delivery_row(record: DeliveryRecord) -> dict[str, Any]:
    return {
        "at": _iso(record.at),
        "subscriber": record.subscriber,
        "outcome": record.outcome.value,
        "revision": record.revision,
        "webhook_id": record.webhook_id,
        "binding_id": record.binding_id,
        "kind": record.kind,
        "attempt": record.attempt,
        "http_status": record.http_status,
        "error": record.error,
        "seconds": round(record.seconds, 3),
    }


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.astimezone(UTC).isoformat()
