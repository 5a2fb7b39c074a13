"""Small secrets the service makes for itself on first start, kept under LEDGER_VAR_DIR."""

from __future__ import annotations

import secrets
import sys

from app.settings import Settings


def session_secret(settings: Settings) -> str:
    """LEDGER_SECRET_KEY, or a key generated once into var/secret-key (mode 0600)."""
    if settings.secret_key:
        return settings.secret_key
    path = settings.var_dir / "secret-key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key + "\n")
    path.chmod(0o600)
    print(
        f"created a session signing key in {path} (set LEDGER_SECRET_KEY in production)",
        file=sys.stderr,
    )
    return key
