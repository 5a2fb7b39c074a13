"""The few numbers use cases are built with, from configuration (app.bootstrap) or a test."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from domain.sessions import SessionLifetimes
from domain.tier import UNCAPPED, Tier
from domain.values import Environment


@dataclass(frozen=True, slots=True)
class Tunables:
    token_skew: timedelta = timedelta(seconds=120)
    lock_timeout_s: float = 5.0
    # How long a replica may hand out a token from memory after the binding changed on
    # another replica: a grant refused or an organisation gone stops every replica within
    # a second (issue 15), for at most two fast reads per binding per second per replica.
    token_cache_ttl: timedelta = timedelta(seconds=0.5)
    auth_check_interval: timedelta = timedelta(seconds=10)
    keepalive_after: timedelta = timedelta(days=7)
    reference_max_age: timedelta = timedelta(hours=24)
    forced_reference_interval: timedelta = timedelta(seconds=60)
    sessions: SessionLifetimes = field(default_factory=SessionLifetimes)
    # The Xero app's tier per environment; an environment left out is not capped.
    tiers: Mapping[Environment, Tier] = field(default_factory=dict)

    def tier(self, environment: Environment) -> Tier:
        return self.tiers.get(environment, UNCAPPED)

    event_retention: timedelta = timedelta(days=30)
