"""`python -m bench.emulator_main PORT ORGS`: the bundled Xero emulator for the benchmarks.

The stock app (`xero_emulator.app.create_app`) on waitress, registered for
the benchmark's client (id, secret and redirect URI from BENCH_EMULATOR_* variables, so the
secret stays out of `ps`). With ORGS > 0 the seeded world also gets that many extra
organisations (copies of the first demo organisation's reference data under new tenant ids)
and one extra user, "bench", who can reach all of them: the scale benchmark's sweep needs
thousands of organisations, and the stock seed has four. Waitress keeps connections alive,
as Xero does; werkzeug's server closes each one, which made every benchmarked Xero call
connect again (about a tenth of the worker's time in the daily sweep).
"""

from __future__ import annotations

import os
import sys

import waitress
from flask import Flask

from xero_emulator.app import create_app
from xero_emulator.seed import SeedOrg, SeedUser, seed_uuid
from xero_emulator.settings import ClientRegistration, EmulatorSettings
from xero_emulator.state import EXTENSION_KEY, EmulatorState

BENCH_USER = seed_uuid("user", "bench")
THREADS = 72


def add_organisations(app: Flask, count: int) -> None:
    state: EmulatorState = app.extensions[EXTENSION_KEY]
    seed = state.store.seed
    template = next(iter(seed.orgs.values()))
    tenants = [seed_uuid("bench-org", str(n)) for n in range(count)]
    for n, tenant in enumerate(tenants):
        seed.orgs[tenant] = SeedOrg(tenant, f"Bench Organisation {n}", template.resources)
    user = SeedUser(BENCH_USER, "bench@bench.test", "Bench", "User", tuple(tenants))
    seed.users[BENCH_USER] = user


def main() -> None:
    port, organisations = int(sys.argv[1]), int(sys.argv[2])
    client = ClientRegistration(
        os.environ["BENCH_EMULATOR_CLIENT_ID"],
        os.environ["BENCH_EMULATOR_CLIENT_SECRET"],
        (os.environ["BENCH_EMULATOR_REDIRECT_URI"],),
    )
    app = create_app(EmulatorSettings(clients=(client,)))
    if organisations:
        add_organisations(app, organisations)
    # As many threads as calls one client sends at once (the reference pool's 64), with
    # room for the benchmarks' control calls; no access log, so no code or token is logged.
    server = waitress.create_server(
        app,
        host="127.0.0.1",
        port=port,
        threads=THREADS,
        connection_limit=1000,
        asyncore_use_poll=True,
        ident=None,
    )
    print(f"emulator ready on {port} with {organisations} extra organisations", flush=True)
    server.run()


if __name__ == "__main__":
    main()
