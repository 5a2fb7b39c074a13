"""Housekeeping: connect attempts live 10 minutes, pairing codes 15; then they go."""

from __future__ import annotations

from datetime import timedelta

from domain.account import Account
from domain.schedule import SweepSchedule
from domain.usecases.connect import ChooseOrganisation
from domain.usecases.sweeps import Sweeps
from tests.fakes.world import World
from tests.unit.sweeps.conftest import MakeSweeps


def counts(world: World) -> tuple[int, int]:
    uow = world.uow()
    return len(uow.attempts.all()), len(uow.pairing_codes.all())


def test_expired_attempts_and_pairing_codes_are_deleted(
    world: World, account: Account, sweeps: Sweeps
) -> None:
    binding_id = world.paired(account)
    world.service.start_connect(account.id, binding_id, "browser-1")
    world.service.create_binding(account.id)
    assert counts(world) == (1, 2)
    world.clock.advance(minutes=10, seconds=1)
    # The attempt for a new organisation never came back: recorded on its binding, then gone.
    assert sweeps.housekeeping() == {"attempts": 1, "never_returned": 1}
    assert counts(world) == (0, 2)
    world.clock.advance(minutes=5)
    assert sweeps.housekeeping() == {"pairing_codes": 2}
    assert counts(world) == (0, 0)


def test_one_sweeper_of_many_does_it_each_minute(
    world: World, account: Account, make_sweeps: MakeSweeps
) -> None:
    schedule = SweepSchedule(housekeeping_every=timedelta(minutes=1))
    first, second = make_sweeps(schedule), make_sweeps(schedule, replica=True, name="s2")
    world.service.create_binding(account.id)
    world.clock.advance(minutes=14, seconds=59)
    assert first.housekeeping() == {}
    world.clock.advance(seconds=31)
    assert second.housekeeping() == {} and counts(world) == (0, 1)
    world.clock.advance(seconds=30)
    assert second.housekeeping() == {"pairing_codes": 1}


def test_an_abandoned_organisation_choice_releases_its_connections(
    world: World, account: Account, sweeps: Sweeps
) -> None:
    binding_id = world.paired(account)
    outcome = world.consent(account, binding_id, "user-avery", ["tenant-uk", "tenant-nz"])
    assert isinstance(outcome, ChooseOrganisation)
    assert len(world.xero.connections_of("user-avery")) == 2
    world.clock.advance(minutes=10, seconds=1)
    assert sweeps.housekeeping() == {"attempts": 1, "abandoned_choices": 1}
    assert world.xero.connections_of("user-avery") == []
    assert counts(world) == (0, 1), "the attempt is gone; the binding's pairing code is not yet"


def test_events_older_than_the_retention_are_compacted(
    world: World, account: Account, sweeps: Sweeps
) -> None:
    binding_id = world.paired(account)
    world.clock.advance(days=20)
    uow = world.uow()
    before = [e.revision for e in uow.events.after(0, 100)]
    assert before, "pairing wrote events"
    world.clock.advance(days=11)
    outcome = sweeps.housekeeping()
    assert outcome["events"] == len(before)
    uow = world.uow()
    assert uow.events.after(0, 100) == []
    assert uow.events.compacted_through() == before[-1]
    assert uow.events.for_binding(binding_id) == []
