"""Many connected bindings in one deployment, for the cache-miss and scale benchmarks.

One emulated Xero user consents to every organisation at once (Bulk Connections); the bindings
are bulk-inserted with the real mappers and the real sealing, spread evenly over those
organisations, each organisation with a reference cache of the given age.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from adapters.persistence.crypto import Sealer
from adapters.xero.provider import HttpXeroProvider
from app.bootstrap import xero_configs
from app.keyring_loader import load_keyring
from bench.bulk import Consent, consent_to_all, insert_connected, insert_stale_caches
from bench.emulator_main import BENCH_USER
from bench.stack import Service


@dataclass(frozen=True, slots=True)
class Population:
    ids: list[str]
    consent: Consent
    insert_s: float


def populate(service: Service, count: int, cache_age: timedelta) -> Population:
    """`count` bindings over every organisation the emulator was started with."""
    with service.container() as built:
        assert built.database is not None
        with HttpXeroProvider(xero_configs(service.settings())) as xero:
            consent = consent_to_all(xero, service.emulator, BENCH_USER)
        started = time.perf_counter()
        sealer = Sealer(load_keyring(service.settings()))
        ids = insert_connected(built.database, sealer, count, consent)
        insert_stale_caches(built.database, consent, cache_age)
        elapsed = time.perf_counter() - started
    orgs = len(consent.connections)
    print(
        f"  {count:,} bindings over {orgs:,} organisations inserted in {elapsed:.1f} s", flush=True
    )
    return Population(ids, consent, elapsed)
