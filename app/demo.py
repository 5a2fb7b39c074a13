"""Demo mode: the bundled emulator as the sandbox, a demo account on it, one paired binding."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

from adapters.passwords import hash_password
from app.bootstrap import Container
from app.commands.token import DEMO_TOKEN_FILE
from app.runtime_files import kept_secret
from app.settings import Settings
from domain.magento import MagentoProfile
from domain.values import Environment

DEMO_EMAIL = "demo@ledger.test"
DEMO_SHOP = "https://demo-shop.ledger.test"
DEMO_PASSWORD_FILE = "demo-password"
LOG_FILE = "log/ledger-connect-serve.log"


def sample_profile(magento_url: str = DEMO_SHOP) -> dict[str, object]:
    """What a typical single-website Magento 2 install tells us when it pairs."""
    return {
        "magento_url": magento_url,
        "label": "Demo Magento store",
        "websites": [{"code": "base", "name": "Main Website"}],
        "stores": [{"code": "default", "name": "Default Store View", "website_code": "base"}],
        "payment_methods": [
            {"code": "checkmo", "name": "Check / Money order"},
            {"code": "banktransfer", "name": "Bank Transfer Payment"},
            {"code": "stripe_payments", "name": "Credit Card (Stripe)"},
            {"code": "paypal_express", "name": "PayPal Express Checkout"},
        ],
        "product_types": [
            {"code": "simple", "name": "Simple Product"},
            {"code": "configurable", "name": "Configurable Product"},
            {"code": "virtual", "name": "Virtual Product"},
            {"code": "bundle", "name": "Bundle Product"},
            {"code": "downloadable", "name": "Downloadable Product"},
        ],
    }


@dataclass(frozen=True, slots=True)
class DemoLogin:
    email: str
    password: str = field(repr=False)
    binding_id: str


def prepare_demo(built: Container, var_dir: Path) -> DemoLogin:
    """Make sure the demo account and a live binding exist. The password is made once and
    kept in var/demo-password, so it is the same on every start."""
    service = built.service
    password, new = kept_secret(var_dir / DEMO_PASSWORD_FILE, lambda: secrets.token_urlsafe(9))
    account = service.accounts.by_email(DEMO_EMAIL)
    if account is None:
        account = service.accounts.create(DEMO_EMAIL, "growth", hash_password(password))
    elif new:
        service.accounts.set_password(account.id, hash_password(password))
    service.set_environment(account.id, Environment.SANDBOX)
    live = [b for b in service.queries.bindings(account.id) if b.is_live]
    if not live:
        created = service.create_binding(account.id)
        service.redeem_pairing(created.pairing_code, MagentoProfile.from_dict(sample_profile()))
        return DemoLogin(DEMO_EMAIL, password, created.binding_id)
    return DemoLogin(DEMO_EMAIL, password, live[0].id)


def demo_caller_token(var_dir: Path) -> str:
    """The gRPC caller token for local use, made once into the file `ledger-connect token`
    reads, so scripts keep working across restarts."""
    token, _ = kept_secret(var_dir / DEMO_TOKEN_FILE, lambda: secrets.token_urlsafe(24))
    return token


def demo_banner(settings: Settings, running: bool = True, binding_id: str = "") -> str:
    """What a newcomer needs, printed at start and again by `ledger-connect demo`."""
    kept = _read(settings.var_dir / DEMO_PASSWORD_FILE)
    password = f"{kept}   (the same on every start)" if kept else "(made on the first `make run`)"
    state = "is running" if running else "is not running (start it with `make run`)"
    lines = [
        f"ledger-connect demo {state}",
        f"  Dashboard        {settings.public_url}/dashboard",
        f"  Log in as        {DEMO_EMAIL}  /  {password}",
        f"  Xero (emulator)  http://127.0.0.1:{settings.emulator_port}/   "
        "demo users, organisations and switches",
        f"  gRPC             127.0.0.1:{settings.grpc_port}   "
        f"try `ledger-connect token {binding_id or '<binding id from the dashboard>'}`",
        f"  Logs             {settings.var_dir / LOG_FILE}",
    ]
    if running:
        lines.append("Ctrl-C stops everything; `ledger-connect demo` prints this again.")
    return "\n".join(lines)


def _read(path: Path) -> str:
    return path.read_text().strip() if path.exists() else ""
