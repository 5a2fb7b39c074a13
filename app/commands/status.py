"""`ledger-connect status [--json]`: the Xero app's tier in each environment, how many
organisations it holds against the connection cap (with the 80% and cap warnings), and the
data received from Xero this month by endpoint and organisation."""

from __future__ import annotations

import argparse
import json
from typing import Any

from app.commands.context import container
from domain.tier import GB, Tier
from domain.values import Environment


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("status", help="Xero tier, connection cap and egress")
    parser.add_argument("--json", action="store_true", help="one JSON document")
    parser.set_defaults(handler=_status)


def _status(args: argparse.Namespace) -> int:
    with container() as built:
        tunables = built.tunables
        usage = built.service.tiers.usage()
        egress = built.service.egress.this_month()
    report = [
        _environment(env, tunables.tier(env), usage[env].live, usage[env].describe(), egress)
        for env in Environment
    ]
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    for entry in report:
        _print(entry)
    return 0


def _environment(
    env: Environment, tier: Tier, live: int, summary: str, egress: Any
) -> dict[str, Any]:
    mine = egress.for_environment(env)
    return {
        "environment": env.value,
        "tier": tier.name,
        "connection_cap": tier.connection_cap,
        "connected_organisations": live,
        "connections": summary,
        "daily_limit_per_organisation": tier.daily_limit,
        "reference_daily_share": tier.reference_daily_share,
        "monthly_egress_allowance_bytes": tier.monthly_egress_bytes,
        "egress_month": egress.month,
        "received_bytes": mine.total,
        "received_by_endpoint": mine.by_endpoint,
        "received_by_organisation": mine.by_tenant,
    }


def _print(entry: dict[str, Any]) -> None:
    allowance = entry["monthly_egress_allowance_bytes"]
    share = f"{_gb(entry['received_bytes'])} of {_gb(allowance) if allowance else 'unpublished'}"
    print(f"{entry['environment']}: Xero tier {entry['tier']}")
    print(f"  connections: {entry['connections']}")
    print(
        f"  daily calls per organisation: {entry['daily_limit_per_organisation']} "
        f"(ours: {entry['reference_daily_share']})"
    )
    print(f"  received from Xero in {entry['egress_month']}: {share}")
    for endpoint, count in sorted(entry["received_by_endpoint"].items()):
        print(f"    {endpoint:<20} {count:>14,} bytes")
    top = sorted(entry["received_by_organisation"].items(), key=lambda kv: -kv[1])[:10]
    for tenant, count in top:
        print(f"    {tenant:<36} {count:>14,} bytes")


def _gb(count: int) -> str:
    return f"{count / GB:.3f} GB"
