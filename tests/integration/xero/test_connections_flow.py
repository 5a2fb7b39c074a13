"""GET/DELETE /connections and revocation against the emulator."""

from __future__ import annotations

from adapters.xero.provider import HttpXeroProvider
from tests.integration.xero.conftest import SANDBOX, Emulator
from xero_emulator.seed import NZ, UK


class TestConnections:
    def test_auth_event_id_picks_this_consents_organisations(
        self, xero: Emulator, provider: HttpXeroProvider
    ) -> None:
        xero.connect(UK.tenant_id)
        latest = xero.connect(NZ.tenant_id)
        everything = provider.list_connections(SANDBOX, latest.access_token)
        assert {c.tenant_id for c in everything} == {UK.tenant_id, NZ.tenant_id}
        this_consent = provider.list_connections(SANDBOX, latest.access_token, latest.auth_event_id)
        assert [(c.tenant_id, c.tenant_name) for c in this_consent] == [(NZ.tenant_id, NZ.name)]
        assert this_consent[0].is_organisation
        assert this_consent[0].auth_event_id == latest.auth_event_id

    def test_delete_disconnects_one_organisation_and_is_idempotent(
        self, xero: Emulator, provider: HttpXeroProvider
    ) -> None:
        xero.connect(UK.tenant_id)
        tokens = xero.connect(NZ.tenant_id)
        nz = provider.list_connections(SANDBOX, tokens.access_token, tokens.auth_event_id)[0]
        provider.delete_connection(SANDBOX, tokens.access_token, nz.id)
        left = provider.list_connections(SANDBOX, tokens.access_token)
        assert [c.tenant_id for c in left] == [UK.tenant_id]
        provider.delete_connection(SANDBOX, tokens.access_token, nz.id)

    def test_revoke_removes_every_connection_of_the_user(
        self, xero: Emulator, provider: HttpXeroProvider
    ) -> None:
        xero.connect(UK.tenant_id)
        tokens = xero.connect(NZ.tenant_id)
        provider.revoke(SANDBOX, tokens.refresh_token)
        assert provider.list_connections(SANDBOX, tokens.access_token) == []
        assert xero.stats()["revocations"] == 1
