"""The emulator's root page: demo users and organisations, and switches that really switch."""

from __future__ import annotations

import re

import httpx

from tests.integration.emulator.conftest import Xero
from xero_emulator.seed import AVERY, NZ, SAM, UK


def csrf(http: httpx.Client) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', http.get("/").text)
    assert found
    return found.group(1)


def switch(http: httpx.Client, **form: str) -> str:
    response = http.post("/switches", data={"csrf_token": csrf(http), **form})
    assert response.status_code == 303 and response.headers["location"] == "/"
    return http.get("/").text


class TestRootPage:
    def test_lists_the_demo_users_and_organisations(self, http: httpx.Client) -> None:
        page = http.get("/").text
        for text in (AVERY.name, AVERY.email, SAM.email, UK.name, NZ.name, "Partner"):
            assert text in page

    def test_several_organisations_per_consent(self, http: httpx.Client) -> None:
        page = switch(http, action="bulk", value="on")
        assert "several organisations at once" in page
        assert "Turn off" in page

    def test_latency(self, http: httpx.Client) -> None:
        switch(http, action="latency", value="800")
        assert http.get("/_emulator/faults").json()["latency_ms"] == 800
        switch(http, action="faults_off")
        assert http.get("/_emulator/faults").json()["latency_ms"] == 0

    def test_remove_the_app_inside_xero(self, http: httpx.Client, xero: Xero) -> None:
        access = xero.connect()["access_token"]
        connection = xero.connections(access).json()[0]["id"]
        page = switch(http, action="remove_app", connection_id=connection)
        assert f"The app was removed from {UK.name}" in page
        assert xero.connections(access).json() == []
        assert xero.api("Accounts", access).status_code == 403

    def test_archive_an_account(self, http: httpx.Client, xero: Xero) -> None:
        access = xero.connect()["access_token"]
        bank = next(
            a for a in xero.api("Accounts", access).json()["Accounts"] if a["Code"] == "090"
        )
        page = switch(
            http, action="archive", value="archive", account=f"{UK.tenant_id}/{bank['AccountID']}"
        )
        assert "account 090 Business Bank Account is now archived" in page
        accounts = xero.api("Accounts", access).json()["Accounts"]
        assert next(a for a in accounts if a["Code"] == "090")["Status"] == "ARCHIVED"

    def test_a_form_without_its_token_changes_nothing(self, http: httpx.Client) -> None:
        response = http.post("/switches", data={"action": "bulk", "value": "on"})
        assert response.status_code == 303
        assert "Turn on" in http.get("/").text
