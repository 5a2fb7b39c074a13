"""The Flask application factory for the Xero emulator."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from pathlib import Path

from flask import Flask, Response, request

from xero_emulator import snapshot
from xero_emulator.bearer import problem
from xero_emulator.settings import EmulatorSettings
from xero_emulator.state import EXTENSION_KEY, EmulatorState, get_state

SESSION_COOKIE = "xero_emulator_session"
_OWN_FAULT_HANDLING = ("/api.xro/", "/_emulator", "/switches")


def create_app(settings: EmulatorSettings | None = None) -> Flask:
    """Build an emulator app with its own seeded state."""
    from xero_emulator import accounting, authorize, connections, control_world, home, identity

    settings = settings or EmulatorSettings()
    app = Flask(__name__, static_folder=None)
    app.config.update(
        SECRET_KEY=settings.session_secret or secrets.token_hex(32),
        SESSION_COOKIE_NAME=SESSION_COOKIE,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]
    state = app.extensions[EXTENSION_KEY] = EmulatorState(settings)
    blueprints = (authorize.bp, identity.bp, connections.bp, accounting.bp, control_world.bp)
    for blueprint in (*blueprints, home.bp):
        app.register_blueprint(blueprint)
    app.before_request(_injected_faults)
    if settings.state_file is not None:
        snapshot.restore(state, settings.state_file)
        app.after_request(_saved(state, settings.state_file))
    return app


def _saved(state: EmulatorState, path: Path) -> Callable[[Response], Response]:
    """After every request that may change the world, write it to `path`."""

    def save(response: Response) -> Response:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            snapshot.save(state, path)
        return response

    return save


def _injected_faults() -> Response | None:
    """Latency and random errors for the identity and connection endpoints."""
    if request.path == "/" or request.path.startswith(_OWN_FAULT_HANDLING):
        return None
    state = get_state()
    with state.lock:
        delay = state.store.faults.latency_for(request.path)
        fail = state.store.faults.random_error(request.path)
    time.sleep(delay)
    return problem(503, "Service Unavailable", "Injected fault") if fail else None
