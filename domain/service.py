"""Every use case of the service, typed; driving adapters use only this. `app.bootstrap` builds
it, each use case from the ports it names in its constructor, for production and tests alike."""

from __future__ import annotations

from dataclasses import dataclass

from domain.usecases.accounts import Accounts
from domain.usecases.audit import ReadAudit, ReadRecorder
from domain.usecases.connect import CompleteConnect, PickOrganisation, StartConnect
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


@dataclass(frozen=True, slots=True)
class LedgerConnect:
    tokens: TokenService
    checker: ConnectionChecker
    reference: ReferenceService
    settler: ConnectionSettler
    create_binding: CreateBinding
    new_pairing_code: NewPairingCode
    redeem_pairing: RedeemPairing
    update_profile: UpdateProfile
    start_connect: StartConnect
    complete_connect: CompleteConnect
    pick_organisation: PickOrganisation
    disconnect: Disconnect
    set_environment: SetEnvironment
    save_settings: SaveSettings
    queries: Queries
    accounts: Accounts
    sessions: Sessions
    throttles: Throttles
    tiers: ConnectionTiers
    egress: EgressReport
    list_bindings: ListBindings
    events: EventReader
    reads: ReadRecorder
    read_audit: ReadAudit
