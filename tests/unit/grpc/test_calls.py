"""The four RPCs answer from the use cases, converted faithfully and never with a refresh token."""

from __future__ import annotations

from dataclasses import replace

import grpc

from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2 as pb
from domain.values import Environment
from tests.fakes.world import World
from tests.unit.grpc.harness import READER_TOKEN, Harness

OK = grpc.StatusCode.OK


class TestGetFreshToken:
    def test_hands_out_the_stored_access_token_with_what_a_sync_call_needs(
        self, rpc: Harness, world: World, binding_id: str
    ) -> None:
        outcome = rpc.call("GetFreshToken", pb.GetFreshTokenRequest(binding_id=binding_id))

        grant = world.grant(binding_id)
        assert outcome.code is OK
        response = outcome.response
        assert response.access_token == grant.access_token
        assert response.expires_at.ToDatetime().replace(tzinfo=grant.access_expires_at.tzinfo) == (
            grant.access_expires_at
        )
        assert response.tenant_id == "tenant-uk"
        assert response.api_base_url == "https://xero.test/production/api.xro/2.0"
        assert response.binding_status == pb.BINDING_STATUS_CONNECTED

    def test_never_carries_the_refresh_token(
        self, rpc: Harness, world: World, binding_id: str
    ) -> None:
        outcome = rpc.call("GetFreshToken", pb.GetFreshTokenRequest(binding_id=binding_id))

        assert world.grant(binding_id).refresh_token.encode() not in (
            outcome.response.SerializeToString()
        )

    def test_refreshes_a_token_about_to_expire(
        self, rpc: Harness, world: World, binding_id: str
    ) -> None:
        old = world.grant(binding_id).access_token
        world.clock.advance(minutes=29)

        outcome = rpc.call("GetFreshToken", pb.GetFreshTokenRequest(binding_id=binding_id))

        assert outcome.code is OK
        assert outcome.response.access_token != old
        assert outcome.response.access_token == world.grant(binding_id).access_token
        assert world.xero.refresh_calls == 1


class TestGetRefData:
    def test_answers_the_cached_reference_data(self, rpc: Harness, binding_id: str) -> None:
        outcome = rpc.call("GetRefData", pb.GetRefDataRequest(binding_id=binding_id))

        data = outcome.response
        assert outcome.code is OK
        assert data.tenant_id == "tenant-uk"
        assert data.environment == pb.ENVIRONMENT_PRODUCTION
        assert data.organisation.name == "Demo Company (UK)"
        assert data.organisation.base_currency == "GBP"
        assert data.organisation.is_demo_company
        assert [a.code for a in data.income_accounts] == ["200", "260", "270"]
        assert [a.code for a in data.bank_accounts] == ["090", "091"]
        assert [a.code for a in data.payment_target_accounts] == ["090", "091", "970"]
        assert len(data.accounts) == 9
        assert {a.code: a.account_class for a in data.accounts}["610"] == "ASSET"
        assert [t.tax_type for t in data.tax_rates] == ["OUTPUT2", "INPUT2", "ZERORATEDOUTPUT"]
        assert [(c.name, [o.name for o in c.options]) for c in data.tracking_categories] == [
            ("Region", ["North"])
        ]
        assert [i.code for i in data.items] == ["TSHIRT"]
        assert [t.name for t in data.branding_themes] == ["Standard"]
        assert [c.code for c in data.currencies] == ["GBP"]
        assert data.HasField("fetched_at") and data.HasField("extended_fetched_at")

    def test_if_revision_current_answers_unchanged_without_the_payload(
        self, rpc: Harness, world: World, binding_id: str
    ) -> None:
        first = rpc.call("GetRefData", pb.GetRefDataRequest(binding_id=binding_id)).response
        assert first.revision > 0 and not first.unchanged

        again = rpc.call(
            "GetRefData", pb.GetRefDataRequest(binding_id=binding_id, if_revision=first.revision)
        )

        assert again.code is OK
        assert again.response.unchanged and again.response.revision == first.revision
        assert again.response.tenant_id == "tenant-uk"
        assert not again.response.accounts and not again.response.HasField("organisation")

    def test_a_refetch_that_found_nothing_new_keeps_the_revision(
        self, rpc: Harness, world: World, binding_id: str
    ) -> None:
        first = rpc.call("GetRefData", pb.GetRefDataRequest(binding_id=binding_id)).response
        world.clock.advance(minutes=5)
        forced = pb.GetRefDataRequest(binding_id=binding_id, force_refresh=True)
        forced.if_revision = first.revision

        outcome = rpc.call("GetRefData", forced)

        assert outcome.response.unchanged and outcome.response.revision == first.revision

    def test_changed_content_moves_the_revision_and_answers_in_full(
        self, rpc: Harness, world: World, binding_id: str
    ) -> None:
        first = rpc.call("GetRefData", pb.GetRefDataRequest(binding_id=binding_id)).response
        with world.uow() as uow:
            cache = uow.references.get("tenant-uk", Environment.PRODUCTION)
            assert cache is not None
            uow.references.save(replace(cache, accounts=cache.accounts[1:]))
            uow.commit()

        outcome = rpc.call(
            "GetRefData", pb.GetRefDataRequest(binding_id=binding_id, if_revision=first.revision)
        )

        assert outcome.response.revision == first.revision + 1
        assert not outcome.response.unchanged
        assert len(outcome.response.accounts) == len(first.accounts) - 1

    def test_force_refresh_fetches_both_waves_again(
        self, rpc: Harness, world: World, binding_id: str
    ) -> None:
        fetches = len(world.xero.fetches)
        world.clock.advance(minutes=5)

        outcome = rpc.call(
            "GetRefData", pb.GetRefDataRequest(binding_id=binding_id, force_refresh=True)
        )

        assert outcome.code is OK
        assert len(world.xero.fetches) == fetches + 2
        assert outcome.response.fetched_at.ToDatetime() == world.clock.now().replace(tzinfo=None)

    def test_before_the_first_fetch_the_timestamps_are_unset(
        self, rpc: Harness, world: World
    ) -> None:
        binding_id = world.connected()
        world.store.tables["references"].clear()

        outcome = rpc.call("GetRefData", pb.GetRefDataRequest(binding_id=binding_id))

        assert outcome.code is OK
        assert not outcome.response.HasField("fetched_at")
        assert not outcome.response.HasField("organisation")


class TestGetBinding:
    def test_describes_status_organisation_environment_host_and_policy(
        self, rpc: Harness, binding_id: str
    ) -> None:
        outcome = rpc.call(
            "GetBinding", pb.GetBindingRequest(binding_id=binding_id), token=READER_TOKEN
        )

        binding = outcome.response.binding
        assert outcome.code is OK
        assert binding.binding_id == binding_id
        assert binding.status == pb.BINDING_STATUS_CONNECTED
        assert binding.status_reason == "connected to Demo Company (UK)"
        assert binding.organisation.tenant_id == "tenant-uk"
        assert binding.organisation.tenant_name == "Demo Company (UK)"
        assert binding.environment == pb.ENVIRONMENT_PRODUCTION
        assert binding.magento_host == "shop.example.com"
        assert list(binding.sync_policy.website_codes) == ["site1"]
        assert list(binding.sync_policy.store_codes) == ["store1"]
        assert binding.sync_policy.default_income_account_id == "acc-sales"
        assert binding.sync_policy.default_bank_account_id == "acc-bank"
        assert dict(binding.sync_policy.payment_method_accounts) == {
            "checkmo": "acc-bank",
            "stripe": "acc-bank",
        }
        assert binding.HasField("reference_fetched_at")

    def test_a_paired_binding_has_no_organisation_yet(self, rpc: Harness, world: World) -> None:
        binding_id = world.paired(world.account())

        binding = rpc.call(
            "GetBinding", pb.GetBindingRequest(binding_id=binding_id)
        ).response.binding

        assert binding.status == pb.BINDING_STATUS_PAIRED
        assert not binding.HasField("organisation")
        assert binding.environment == pb.ENVIRONMENT_UNSPECIFIED
        assert not binding.HasField("reference_fetched_at")

    def test_names_settings_whose_account_xero_archived(
        self, rpc: Harness, world: World, binding_id: str
    ) -> None:
        world.xero.archived_accounts.add("acc-bank")
        world.service.reference.refresh(binding_id)

        binding = rpc.call(
            "GetBinding", pb.GetBindingRequest(binding_id=binding_id)
        ).response.binding

        assert binding.sync_policy.default_bank_account_id == "acc-bank"
        flagged = {c.setting: c for c in binding.unavailable_choices}
        assert set(flagged) == {
            "default_bank_account",
            "payment_method:checkmo",
            "payment_method:stripe",
        }
        bank = flagged["default_bank_account"]
        assert (bank.account_id, bank.account_code) == ("acc-bank", "090")
        assert bank.problem == pb.CHOICE_PROBLEM_ARCHIVED
        assert bank.message == "The default bank account 090 was archived in Xero; choose another"


class TestReportXeroAuthFailure:
    def test_a_binding_xero_still_lists_stays_connected(
        self, rpc: Harness, binding_id: str
    ) -> None:
        request = pb.ReportXeroAuthFailureRequest(binding_id=binding_id, http_status=401)

        outcome = rpc.call("ReportXeroAuthFailure", request)

        assert outcome.code is OK
        assert outcome.response.binding_status == pb.BINDING_STATUS_CONNECTED

    def test_an_organisation_removed_in_xero_needs_reconnect(
        self, rpc: Harness, world: World, binding_id: str
    ) -> None:
        world.xero.remove_app("user-avery", "tenant-uk")
        request = pb.ReportXeroAuthFailureRequest(binding_id=binding_id, http_status=403)

        outcome = rpc.call("ReportXeroAuthFailure", request)

        assert outcome.response.binding_status == pb.BINDING_STATUS_NEEDS_RECONNECT
        assert world.binding(binding_id).status.value == "NEEDS_RECONNECT"
