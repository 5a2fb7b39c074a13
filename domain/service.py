"""One object holding every use case, wired from the ports; driving adapters use only this."""

from __future__ import annotations

from domain.usecases.connect import CompleteConnect, PickOrganisation, StartConnect
from domain.usecases.deps import Deps
from domain.usecases.lifecycle import ConnectionChecker, Disconnect, SetEnvironment
from domain.usecases.pairing import CreateBinding, NewPairingCode, RedeemPairing, UpdateProfile
from domain.usecases.queries import Accounts, Queries, SaveSettings
from domain.usecases.reference import EgressReport, ReferenceService
from domain.usecases.sessions import Sessions
from domain.usecases.settle import ConnectionSettler
from domain.usecases.throttles import Throttles
from domain.usecases.tiers import ConnectionTiers
from domain.usecases.tokens import TokenService
from domain.usecases.watch import EventReader, ListBindings


class LedgerConnect:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        tunables = deps.tunables
        self.tokens = TokenService(
            deps.uow,
            deps.xero,
            deps.clock,
            skew=tunables.token_skew,
            lock_timeout_s=tunables.lock_timeout_s,
            cache_ttl=tunables.token_cache_ttl,
            views=deps.views,
        )
        self.checker = ConnectionChecker(deps, self.tokens)
        self.reference = ReferenceService(
            deps, self.tokens, self.checker.check, self.checker.report_token_failure
        )
        self.settler = settler = ConnectionSettler(deps, self._after_connect)
        self.create_binding = CreateBinding(deps)
        self.new_pairing_code = NewPairingCode(deps)
        self.redeem_pairing = RedeemPairing(deps)
        self.update_profile = UpdateProfile(deps)
        self.start_connect = StartConnect(deps)
        self.complete_connect = CompleteConnect(deps, settler)
        self.pick_organisation = PickOrganisation(deps, settler)
        self.disconnect = Disconnect(deps, self.tokens)
        self.set_environment = SetEnvironment(deps, self.tokens)
        self.save_settings = SaveSettings(deps)
        self.queries = Queries(deps)
        self.accounts = Accounts(deps)
        self.sessions = Sessions(deps.uow, deps.clock, deps.secrets, deps.tunables.sessions)
        self.throttles = Throttles(deps.uow, deps.clock, deps.tunables.lock_timeout_s)
        self.tiers = ConnectionTiers(deps)
        self.egress = EgressReport(deps)
        self.list_bindings = ListBindings(deps.uow)
        self.events = EventReader(deps.uow)

    def _after_connect(self, binding_id: str, critical_ready: bool) -> None:
        """A (re)connect replaced the grant: drop this process's cached token, fetch the rest."""
        self.tokens.forget(binding_id)
        self.reference.refresh_in_background(binding_id, critical_ready)
