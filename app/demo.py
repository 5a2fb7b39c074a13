"""Demo mode: the bundled emulator as the sandbox, a demo account on it, one paired binding."""

from __future__ import annotations

import secrets
from pathlib import Path

from adapters.passwords import hash_password
from app.bootstrap import Container
from app.commands.token import DEMO_TOKEN_FILE
from domain.magento import MagentoProfile
from domain.values import Environment

DEMO_EMAIL = "demo@ledger.test"
DEMO_SHOP = "https://demo-shop.ledger.test"


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


def prepare_demo(built: Container) -> tuple[str, str]:
    """Make sure the demo account and its paired binding exist; returns (email, new password)."""
    service = built.service
    password = secrets.token_urlsafe(9)
    account = service.accounts.by_email(DEMO_EMAIL)
    if account is None:
        account = service.accounts.create(DEMO_EMAIL, "growth", hash_password(password))
    else:
        service.accounts.set_password(account.id, hash_password(password))
    service.set_environment(account.id, Environment.SANDBOX)
    if not any(b.is_live for b in service.queries.bindings(account.id)):
        created = service.create_binding(account.id)
        service.redeem_pairing(created.pairing_code, MagentoProfile.from_dict(sample_profile()))
    return DEMO_EMAIL, password


def demo_caller_token(var_dir: Path) -> str:
    """A fresh gRPC caller token for local use, written where `ledger-connect token` finds it."""
    token = secrets.token_urlsafe(24)
    path = var_dir / DEMO_TOKEN_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(token + "\n")
    path.chmod(0o600)
    return token
