"""Serving helpers: start_in_thread, the command line and `python -m xero_emulator`."""

from __future__ import annotations

import subprocess
import sys

import httpx

from xero_emulator import EmulatorSettings, create_app, start_in_thread
from xero_emulator.seed import AVERY, NZ, UK
from xero_emulator.server import parse_args, settings_from_args
from xero_emulator.settings import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_REDIRECT_URI


class TestCommandLine:
    def test_defaults(self):
        args = parse_args([])
        assert (args.host, args.port) == ("127.0.0.1", 8090)
        [client] = settings_from_args(args).clients
        assert (client.client_id, client.client_secret) == (
            DEFAULT_CLIENT_ID,
            DEFAULT_CLIENT_SECRET,
        )
        assert client.redirect_uris == (DEFAULT_REDIRECT_URI,)

    def test_repeatable_redirect_uris_and_own_client(self):
        args = parse_args(
            [
                "--redirect-uri",
                "http://a/cb",
                "--redirect-uri",
                "http://b/cb",
                "--client-id",
                "ABC",
                "--client-secret",
                "xyz",
                "--port",
                "9",
            ]
        )
        [client] = settings_from_args(args).clients
        assert (client.client_id, client.redirect_uris, args.port) == (
            "ABC",
            ("http://a/cb", "http://b/cb"),
            9,
        )

    def test_secrets_stay_out_of_reprs(self):
        assert DEFAULT_CLIENT_SECRET not in repr(EmulatorSettings())


class TestServing:
    def test_start_in_thread_serves_until_stopped(self):
        running = start_in_thread()
        try:
            assert httpx.get(f"{running.base_url}/_emulator/clock").status_code == 200
            assert running.app.config["SESSION_COOKIE_NAME"] == "xero_emulator_session"
        finally:
            running.stop()

    def test_apps_do_not_share_state(self):
        first, second = create_app().test_client(), create_app().test_client()
        first.post("/_emulator/bulk", json={"enabled": True})
        consent = {
            "client_id": DEFAULT_CLIENT_ID,
            "redirect_uri": DEFAULT_REDIRECT_URI,
            "scope": "openid",
            "user_id": AVERY.user_id,
            "tenant_ids": [UK.tenant_id, NZ.tenant_id],
        }
        assert first.post("/_emulator/consent", json=consent).status_code == 200
        assert second.post("/_emulator/consent", json=consent).status_code == 400

    def test_python_dash_m_prints_its_url_and_serves(self):
        command = [
            sys.executable,
            "-m",
            "xero_emulator",
            "--port",
            "0",
            "--redirect-uri",
            "http://b/cb",
        ]
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        try:
            url = process.stdout.readline().split()[-1]
            params = {
                "response_type": "code",
                "client_id": DEFAULT_CLIENT_ID,
                "redirect_uri": "http://b/cb",
                "scope": "openid",
                "state": "s",
            }
            assert httpx.get(f"{url}/identity/connect/authorize", params=params).status_code == 200
        finally:
            process.terminate()
            process.wait(timeout=5)
