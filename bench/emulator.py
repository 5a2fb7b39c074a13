"""The Xero emulator in its own process, steered through its loopback control API."""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

import httpx

from bench.procs import PY, Proc, clean_env, free_port

PUBLIC_URL = "http://127.0.0.1:18080"  # every replica's LEDGER_PUBLIC_URL: one redirect URI
REDIRECT_URI = f"{PUBLIC_URL}/oauth/xero/callback"
CLIENT_ID = "LEDGERBENCHCLIENT000000000000000"


class Emulator:
    def __init__(self, workdir: Path, organisations: int = 0) -> None:
        """`organisations` extra ones, all reachable by the user `BENCH_USER`."""
        self.client_secret = secrets.token_urlsafe(24)
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        env = clean_env() | {
            "BENCH_EMULATOR_CLIENT_ID": CLIENT_ID,
            "BENCH_EMULATOR_CLIENT_SECRET": self.client_secret,
            "BENCH_EMULATOR_REDIRECT_URI": REDIRECT_URI,
        }
        argv = [PY, "-m", "bench.emulator_main", str(self.port), str(organisations)]
        self._proc = Proc("emulator", argv, env, workdir / f"emulator-{self.port}.log")
        self._proc.wait_for("emulator ready")
        self._http = httpx.Client(base_url=f"{self.base_url}/_emulator", timeout=10)
        self._wait_ready()

    def __enter__(self) -> Emulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()
        self._proc.stop()

    def _wait_ready(self, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                self._http.get("/clock").raise_for_status()
                return
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        return self._http.post(path, json=body).raise_for_status().json()

    def faults(self, **changes: Any) -> Any:
        return self._post("/faults", changes)

    def limits(self, **changes: int) -> Any:
        return self._post("/limits", changes)

    def bulk_connections(self, enabled: bool) -> Any:
        """Xero's Bulk Connections: several organisations in one consent."""
        return self._post("/bulk", {"enabled": enabled})

    def advance_clock(self, seconds: float) -> Any:
        return self._post("/clock", {"advance_seconds": seconds})

    def add_organisations(self, user_id: str, count: int, like: str = "au") -> list[str]:
        """`count` organisations shaped like a seeded one, each with its own data."""
        body = {"count": count, "user_id": user_id, "like": like}
        tenants: list[str] = self._post("/organisations", body)["tenant_ids"]
        return tenants

    def change(self, tenant_id: str, collection: str, key: str, fields: dict[str, Any]) -> Any:
        """Edit an account or item as a user in Xero would (its UpdatedDateUTC becomes now)."""
        return self._post(f"/organisations/{tenant_id}/{collection}/{key}", fields)

    def stats(self) -> Any:
        return self._http.get("/stats").raise_for_status().json()

    def refreshes(self) -> int:
        """Token-endpoint refresh requests so far, successful or not."""
        counts = self.stats()["token_requests"].get("refresh_token", {})
        return int(counts.get("success", 0)) + int(counts.get("failure", 0))

    def tenants_of(self, user_id: str) -> list[str]:
        users = self._http.get("/users").raise_for_status().json()
        tenants: list[str] = next(u["tenant_ids"] for u in users if u["user_id"] == user_id)
        return tenants

    def a_user_and_tenant(self) -> tuple[str, str]:
        users = self._http.get("/users").raise_for_status().json()
        user = next(u for u in users if u["tenant_ids"])
        return user["user_id"], user["tenant_ids"][0]

    def consent(self, authorize_params: dict[str, str], user_id: str, *tenant_ids: str) -> str:
        """Press Allow for these organisations, as the consent page would; the code."""
        body = authorize_params | {"user_id": user_id, "tenant_ids": list(tenant_ids)}
        code: str = self._post("/consent", body)["code"]
        return code
