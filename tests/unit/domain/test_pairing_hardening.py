"""Pairing codes (issue 14, item 8): keyed digests, one live code per binding, refusals spend
the code, and one install however its URL is spelled."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from domain.account import Account
from domain.digests import normalise_pairing_code
from domain.errors import InstallAlreadyPaired, PairingCodeInvalid, PlanLimitExceeded
from domain.values import BindingStatus
from tests.fakes.world import World, profile


class TestKeyedDigest:
    def test_the_stored_digest_is_an_hmac_under_the_server_key(
        self, world: World, account: Account
    ) -> None:
        code = normalise_pairing_code(world.service.create_binding(account.id).pairing_code)
        [stored] = [c.code_hash for c in world.store.rows("pairing_codes")]
        assert stored != hashlib.sha256(code.encode()).hexdigest()
        key = world.codes.key
        assert stored == hmac.new(key, code.encode(), hashlib.sha256).hexdigest()

    def test_another_key_does_not_know_the_code(self, world: World, account: Account) -> None:
        created = world.service.create_binding(account.id)
        other = World()
        assert other.codes.key != world.codes.key
        assert other.codes(created.pairing_code) != world.codes(created.pairing_code)


class TestOneCodeAtATime:
    def test_a_new_code_revokes_the_older_one(self, world: World, account: Account) -> None:
        created = world.service.create_binding(account.id)
        newer = world.service.new_pairing_code(account.id, created.binding_id)
        with pytest.raises(PairingCodeInvalid):
            world.service.redeem_pairing(created.pairing_code, profile())
        world.service.redeem_pairing(newer, profile())
        assert world.binding(created.binding_id).status is BindingStatus.PAIRED


class TestRefusalsSpendTheCode:
    def test_a_valid_code_is_not_an_oracle_for_paired_shops(
        self, world: World, account: Account
    ) -> None:
        stranger = world.account("stranger@example.com")
        for n in range(3):
            world.paired(stranger, f"https://shop{n}.example.com")
        code = world.service.create_binding(account.id).pairing_code
        for n in range(3):
            with pytest.raises(InstallAlreadyPaired):
                world.service.redeem_pairing(code, profile(f"https://shop{n}.example.com"))
        with pytest.raises(PairingCodeInvalid):
            world.service.redeem_pairing(code, profile("https://shop0.example.com"))
        with pytest.raises(PairingCodeInvalid):
            world.service.redeem_pairing(code, profile("https://free.example.com"))

    def test_fewer_refusals_leave_the_code_usable(self, world: World, account: Account) -> None:
        world.paired(account, "https://taken.example.com")
        created = world.service.create_binding(account.id)
        with pytest.raises(InstallAlreadyPaired):
            world.service.redeem_pairing(created.pairing_code, profile("https://taken.example.com"))
        with pytest.raises(PlanLimitExceeded):
            world.service.redeem_pairing(created.pairing_code, profile(websites=99))
        world.service.redeem_pairing(created.pairing_code, profile("https://mine.example.com"))
        assert world.binding(created.binding_id).status is BindingStatus.PAIRED


class TestOneInstall:
    @pytest.mark.parametrize(
        "spelling",
        [
            "http://shop.example.com",
            "HTTP://SHOP.EXAMPLE.COM:80/",
            "https://Shop.Example.com:443//",
            "http://shop.example.com.:80",
        ],
    )
    def test_scheme_case_default_ports_and_slashes_are_one_install(
        self, world: World, account: Account, spelling: str
    ) -> None:
        world.paired(account, "https://shop.example.com")
        second = world.service.create_binding(account.id)
        with pytest.raises(InstallAlreadyPaired):
            world.service.redeem_pairing(second.pairing_code, profile(spelling))

    def test_another_port_or_path_is_another_install(self, world: World, account: Account) -> None:
        world.paired(account, "https://shop.example.com")
        world.paired(account, "https://shop.example.com:8443")
        world.paired(account, "https://shop.example.com/de")
