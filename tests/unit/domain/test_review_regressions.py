"""Regressions found in review: each test failed before its fix."""

from __future__ import annotations

import threading
from datetime import datetime

from domain.errors import ProviderUnavailable
from domain.grant import OAuthGrant
from domain.usecases.connect import ChooseOrganisation
from tests.fakes.world import World


class TestDisconnectRevokesTheLatestToken:
    def test_a_rotation_during_disconnect_is_not_revoked_with_its_predecessor(
        self, world: World
    ) -> None:
        account = world.account()
        binding_id = world.connected(account)
        before = world.grant(binding_id)
        assert before is not None
        world.clock.advance(hours=2)
        world.service.disconnect(account.id, binding_id)
        assert world.xero.presented == [before.refresh_token], "the cleanup refreshed once"
        assert len(world.xero.revoked) == 1
        assert world.xero.revoked[0] != before.refresh_token, "revoked a superseded token"


class TestPickedOrganisationExpiry:
    def test_the_stored_expiry_counts_from_when_xero_issued_the_tokens(self, world: World) -> None:
        account = world.account()
        binding_id = world.paired(account)
        issued = world.clock.now()
        outcome = world.consent(account, binding_id, "user-avery", ["tenant-uk", "tenant-nz"])
        assert isinstance(outcome, ChooseOrganisation)
        world.clock.advance(minutes=9)
        world.service.pick_organisation("browser-1", outcome.attempt_id, "tenant-uk")
        grant = world.grant(binding_id)
        assert grant is not None
        assert (grant.access_expires_at - issued).total_seconds() == 1800


class TestCallerSharingASkippedSweepFlight:
    def test_never_gets_an_expired_token(self, world: World) -> None:
        binding_id = world.connected(world.account())
        world.clock.advance(minutes=31)
        entered, release = threading.Event(), threading.Event()

        def handled_elsewhere(grant: OAuthGrant, now: datetime) -> bool:
            entered.set()
            release.wait(5)
            return False

        swept: dict[str, object] = {}

        def sweeper() -> None:
            try:
                swept["token"] = world.service.tokens.refresh_now(
                    binding_id, still_due=handled_elsewhere
                )
            except Exception as error:  # noqa: BLE001 - asserted in the test's own thread
                swept["error"] = error

        sweep = threading.Thread(target=sweeper)
        sweep.start()
        assert entered.wait(5)
        outcome: dict[str, object] = {}

        def caller() -> None:
            try:
                outcome["token"] = world.service.tokens.fresh_token(binding_id)
            except ProviderUnavailable as error:
                outcome["error"] = error

        joined = threading.Thread(target=caller)
        joined.start()
        release.set()
        sweep.join(5)
        joined.join(5)
        assert not sweep.is_alive() and not joined.is_alive()
        assert "token" not in outcome, "an expired token was handed out"
        assert isinstance(outcome["error"], ProviderUnavailable)
        assert "token" not in swept, "the skipped sweep handed out a token"
        assert isinstance(swept["error"], ProviderUnavailable), swept
