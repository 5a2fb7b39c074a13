"""The control API refuses what a cross-site page in the developer's browser could send
(issue 14, item 9): a form (urlencoded, multipart, text/plain), a bodiless no-cors fetch, or
anything a browser marks as coming from another site. Scripts and tests sending JSON work."""

from __future__ import annotations

import pytest

FORGED = [
    {"content": b"enabled=true", "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
    {"content": b'{"enabled": true}', "headers": {"Content-Type": "text/plain"}},
    {"files": {"enabled": (None, "true")}},
    {},
]


class TestCrossSite:
    @pytest.mark.parametrize("forged", FORGED, ids=["form", "text-plain", "multipart", "no-body"])
    @pytest.mark.parametrize("path", ["/_emulator/reset", "/_emulator/bulk", "/_emulator/clock"])
    def test_what_a_cross_site_form_can_send_is_refused(
        self, xero, path: str, forged: dict[str, object]
    ) -> None:
        before = xero.http.get("/_emulator/clock").json()["offset_seconds"]
        xero.control("clock", {"advance_seconds": 60})
        answer = xero.http.post(path, **forged)
        assert answer.status_code in (400, 403, 415), answer.text
        assert xero.http.get("/_emulator/clock").json()["offset_seconds"] == before + 60

    @pytest.mark.parametrize(
        "headers",
        [
            {"Origin": "https://evil.example"},
            {"Sec-Fetch-Site": "cross-site"},
            {"Sec-Fetch-Site": "same-site"},
        ],
    )
    def test_json_a_browser_marks_as_cross_site_is_refused(self, xero, headers) -> None:
        answer = xero.http.post("/_emulator/reset", json={}, headers=headers)
        assert answer.status_code == 403

    def test_a_script_sending_json_is_served(self, xero) -> None:
        assert xero.http.post("/_emulator/reset", json={}).status_code == 200
        same = {"Sec-Fetch-Site": "same-origin", "Origin": str(xero.http.base_url).rstrip("/")}
        assert xero.http.post("/_emulator/reset", json={}, headers=same).status_code == 200
