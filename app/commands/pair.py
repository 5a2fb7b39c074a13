"""`ledger-connect pair CODE --magento-url URL`: plays the Magento module's side of pairing."""

from __future__ import annotations

import argparse
import json

import httpx

from app.demo import sample_profile
from app.errors import CommandError
from app.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("pair", help="redeem a pairing code as the Magento module would")
    parser.add_argument("code", help="the one-time pairing code shown on the dashboard")
    parser.add_argument("--magento-url", required=True, help="the Magento install's base URL")
    parser.add_argument("--service", help="ledger-connect base URL (default LEDGER_PUBLIC_URL)")
    parser.set_defaults(handler=_pair)


def _pair(args: argparse.Namespace) -> int:
    base = (args.service or Settings.from_env().public_url).rstrip("/")
    body = {"code": args.code, **sample_profile(args.magento_url)}
    try:
        response = httpx.post(f"{base}/api/v1/pairings", json=body, timeout=10)
    except httpx.HTTPError as error:
        raise CommandError(f"could not reach {base}: {type(error).__name__}") from None
    data = _json(response)
    if response.status_code != 201:
        detail = data.get("error")
        problem = detail if isinstance(detail, dict) else {}
        code = problem.get("code", response.status_code)
        raise CommandError(f"{code}: {problem.get('message', 'pairing refused')}")
    print(f"paired: binding {data['binding_id']}")
    print(f"connector secret (shown once; the Magento module keeps it): {data['connector_secret']}")
    return 0


def _json(response: httpx.Response) -> dict[str, object]:
    try:
        data = response.json()
    except json.JSONDecodeError:
        raise CommandError(f"unexpected answer {response.status_code} from the service") from None
    return data if isinstance(data, dict) else {}
