"""The whole Xero OAuth dance with the adapter alone, against an in-process emulator.

Run: .venv/bin/python bench/oauth_dance.py [--organisation NAME]
It fills in the emulator's real consent page the way a browser would, exchanges the code,
finds this consent's organisation by authEventId, fetches the critical reference set, and
prints the organisation and its income accounts with the time each step took. It prints
no token, code, verifier, state or secret.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import httpx
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from adapters.xero.config import XeroEnvironmentConfig
from adapters.xero.provider import HttpXeroProvider
from domain.reference import CRITICAL, LedgerAccount, OrganisationSummary
from domain.values import Environment
from xero_emulator import ClientRegistration, EmulatorSettings, start_in_thread

CLIENT_ID = "LEDGERBENCHCLIENT000000000000000"
CLIENT_SECRET = secrets.token_urlsafe(24)
REDIRECT_URI = "http://127.0.0.1:8080/oauth/xero/callback"
SANDBOX = Environment.SANDBOX


class ConsentForm(HTMLParser):
    """The consent page's form fields: hidden inputs and the organisation options."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.organisations: list[str] = []
        self._select = ""
        self._option: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "input" and a.get("type") == "hidden":
            self.fields[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select = a.get("name", "")
        elif tag == "option" and self._select == "xero_user" and "selected" in a:
            self.fields["xero_user"] = a["value"]
        elif tag == "option" and self._select == "tenant_id":
            self._option = a["value"]

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self.organisations.append(f"{self._option}\t{data.strip()}")
            self._option = None


@contextmanager
def step(name: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    print(f"  {name:<34} {(time.perf_counter() - started) * 1000:7.1f} ms")


def consent(browser: httpx.Client, url: str, organisation: str) -> dict[str, str]:
    """Fill in and submit the consent page; the callback's query parameters."""
    page = ConsentForm()
    page.feed(browser.get(url).raise_for_status().text)
    choices = [o.split("\t") for o in page.organisations]
    tenant = next((tid for tid, name in choices if organisation.lower() in name.lower()), None)
    if tenant is None:
        sys.exit(f"no organisation matching {organisation!r}: {[n for _, n in choices]}")
    form = page.fields | {"tenant_id": tenant, "action": "allow"}
    answer = browser.post(url.split("?", 1)[0], data=form)
    location = answer.headers.get("Location", "")
    if not location.startswith(REDIRECT_URI):
        sys.exit(f"consent did not redirect to the callback (HTTP {answer.status_code})")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def dance(base_url: str, organisation: str) -> None:
    config = XeroEnvironmentConfig.on_one_host(
        "sandbox", base_url, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI
    )
    verifier, state = secrets.token_urlsafe(64), secrets.token_urlsafe(24)
    with HttpXeroProvider({SANDBOX: config}) as xero, httpx.Client() as browser:
        with step("authorization URL"):
            url = xero.authorization_url(
                SANDBOX, state=state, code_challenge=create_s256_code_challenge(verifier)
            )
        with step("consent page (GET + POST Allow)"):
            callback = consent(browser, url, organisation)
        if callback.get("state") != state or "code" not in callback:
            sys.exit("the callback's state does not match, or it carries no code")
        with step("code exchange"):
            tokens = xero.exchange_code(SANDBOX, code=callback["code"], code_verifier=verifier)
        with step("connections by authEventId"):
            found = xero.list_connections(SANDBOX, tokens.access_token, tokens.auth_event_id)
        chosen = next(c for c in found if c.is_organisation)
        with step("critical reference set (1 wave)"):
            bundle = xero.fetch_reference(SANDBOX, tokens.access_token, chosen.tenant_id, CRITICAL)
    report(bundle.organisation, bundle.accounts or ())


def report(organisation: OrganisationSummary | None, accounts: tuple[LedgerAccount, ...]) -> None:
    print(f"\nOrganisation: {organisation.name if organisation else '?'}")
    print("Income accounts:")
    for account in accounts:
        if account.is_income:
            print(f"  {account.code:>6}  {account.name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--organisation", default="", help="part of the organisation's name")
    args = parser.parse_args()
    client = ClientRegistration(CLIENT_ID, CLIENT_SECRET, (REDIRECT_URI,))
    emulator = start_in_thread(EmulatorSettings(clients=(client,)))
    print(f"Xero emulator on {emulator.base_url}")
    try:
        dance(emulator.base_url, args.organisation)
    finally:
        emulator.stop()


if __name__ == "__main__":
    main()
