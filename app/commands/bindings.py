"""`ledger-connect bindings list [--json]`: every binding with its status and organisation."""

from __future__ import annotations

import argparse
import json

from app.commands.context import container
from domain.binding import Binding


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("bindings", help="inspect bindings")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="list bindings")
    listing.add_argument("--json", action="store_true", help="one JSON document")
    listing.add_argument("--account", help="only this account (id or email)")
    listing.set_defaults(handler=_list)


def _list(args: argparse.Namespace) -> int:
    with container() as built:
        service = built.service
        if args.account:
            account = service.accounts.by_email(args.account) if "@" in args.account else None
            bindings = service.queries.bindings(account.id if account else args.account)
        else:
            bindings = service.queries.every_binding()
    rows = [_row(b) for b in bindings]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        print(f"{row['id']}  {row['status']:<16} {row['magento'] or '-':<32} {_xero(row)}")
    return 0


def _xero(row: dict[str, object]) -> str:
    if row["organisation"] is None:
        return "not connected to Xero"
    return f"{row['organisation']} ({row['environment']})"


def _row(binding: Binding) -> dict[str, object]:
    return {
        "id": binding.id,
        "account_id": binding.account_id,
        "status": binding.status.value,
        "status_reason": binding.status_reason,
        "magento": binding.magento.base_url if binding.magento else None,
        "organisation": binding.xero.tenant_name if binding.xero else None,
        "tenant_id": binding.xero.tenant_id if binding.xero else None,
        "environment": binding.xero.environment.value if binding.xero else None,
        "created_at": binding.created_at.isoformat(),
    }
