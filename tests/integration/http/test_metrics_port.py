"""Metrics live on their own port, not the merchant-facing one (issue 14, item 9), and answer
with the same strict headers as the dashboard."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from adapters.web_headers import HEADERS
from tests.integration.http.serve_process import serve

pytestmark = pytest.mark.slow


def test_metrics_are_on_their_own_port_with_the_dashboards_headers(tmp_path: Path) -> None:
    with serve(tmp_path / "var") as served:
        assert httpx.get(f"{served.http_url}/metrics", timeout=5).status_code == 404
        metrics = httpx.get(f"http://127.0.0.1:{served.metrics_port}/metrics", timeout=5)
        assert metrics.status_code == 200
        assert metrics.headers["Content-Type"].startswith("text/plain")
        assert "ledger_token_refreshes" in metrics.text
        for name, value in HEADERS.items():
            assert metrics.headers[name] == value
        assert metrics.headers["Cache-Control"] == "no-store"
        other = httpx.get(f"http://127.0.0.1:{served.metrics_port}/dashboard", timeout=5)
        assert other.status_code == 404
        assert other.headers["X-Content-Type-Options"] == "nosniff"
