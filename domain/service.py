"""One object holding every use case, wired from the ports; driving adapters use only this."""

from __future__ import annotations

from domain.ports import CredentialReadLog
from domain.usecases.accounts import Accounts
from domain.usecases.audit import ReadAudit, ReadRecorder
from domain.usecases.connect import CompleteConnect, PickOrganisation, StartConnect
from domain.usecases.deps import Deps
from domain.usecases.lifecycle import ConnectionChecker, Disconnect, SetEnvironment
from domain.usecases.pairing import CreateBinding, NewPairingCode, RedeemPairing, UpdateProfile
from domain.usecases.queries import Queries
from domain.usecases.reference import EgressReport, ReferenceService
from domain.usecases.sessions import Sessions
from domain.usecases.settings import SaveSettings
from domain.usecases.settle import ConnectionSettler
from domain.usecases.throttles import Throttles
from domain.usecases.tiers import ConnectionTiers
from domain.usecases.tokens import TokenService
from domain.usecases.watch import EventReader, ListBindings


class LedgerConnect:
    def __init__(
        self, deps: Deps, read_log: CredentialReadLog, *, audit_reads: bool = True
    ) -> None:
        """`audit_reads=False` leaves credential reads uncounted (a benchmark's baseline)."""
        self.deps = deps
        t = deps.tunables
        uow, xero, clock, plans = deps.uow, deps.xero, deps.clock, deps.plans
        timeout = t.lock_timeout_s
        self.tokens = tokens = TokenService(
            uow,
            xero,
            clock,
            skew=t.token_skew,
            lock_timeout_s=timeout,
            cache_ttl=t.token_cache_ttl,
            views=deps.views,
        )
        self.checker = checker = ConnectionChecker(
            uow, xero, clock, tokens, lock_timeout_s=timeout, check_interval=t.auth_check_interval
        )
        self.reference = reference = ReferenceService(
            uow,
            xero,
            clock,
            deps.tasks,
            tokens,
            checker,
            lock_timeout_s=timeout,
            forced_interval=t.forced_reference_interval,
        )
        self.settler = settler = ConnectionSettler(
            uow, xero, clock, plans, timeout, tokens, reference
        )
        self.create_binding = CreateBinding(uow, clock, deps.ids, deps.secrets, plans, deps.codes)
        self.new_pairing_code = NewPairingCode(uow, clock, deps.secrets, deps.codes)
        self.redeem_pairing = RedeemPairing(uow, clock, deps.secrets, plans, deps.codes, timeout)
        self.update_profile = UpdateProfile(uow, clock, plans, timeout)
        self.start_connect = StartConnect(uow, xero, clock, deps.ids, deps.secrets, plans, t.tier)
        self.complete_connect = CompleteConnect(uow, xero, clock, plans, settler)
        self.pick_organisation = PickOrganisation(uow, clock, settler)
        self.disconnect = Disconnect(uow, xero, clock, tokens, timeout)
        self.set_environment = SetEnvironment(uow, clock, plans, tokens, timeout)
        self.save_settings = SaveSettings(uow, clock, timeout)
        self.queries = Queries(uow, plans)
        self.accounts = Accounts(uow, deps.ids, plans)
        self.sessions = Sessions(uow, clock, deps.secrets, t.sessions)
        self.throttles = Throttles(uow, clock, timeout)
        self.tiers = ConnectionTiers(uow, plans, t.tier)
        self.egress = EgressReport(uow, clock)
        self.list_bindings = ListBindings(uow)
        self.events = EventReader(uow)
        self.reads = ReadRecorder(read_log, clock, enabled=audit_reads)
        self.read_audit = ReadAudit(read_log, uow, clock)
