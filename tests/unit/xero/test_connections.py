"""GET /connections and DELETE /connections/{id}."""

from __future__ import annotations

import httpx
import pytest

from domain.connect import XeroConnection
from domain.errors import AccessTokenRejected, ProviderRejected, ProviderUnavailable
from domain.values import Environment
from tests.unit.xero.conftest import MakeProvider
from tests.unit.xero.support import CONFIG, Recorder

SANDBOX = Environment.SANDBOX
LISTED = [
    {
        "id": "c-1",
        "tenantId": "t-1",
        "tenantType": "ORGANISATION",
        "tenantName": "Demo (UK)",
        "authEventId": "e-1",
        "createdDateUtc": "2019-12-07T18:46:19.5165400",
    },
    {
        "id": "c-2",
        "tenantId": "t-2",
        "tenantType": "PRACTICE",
        "tenantName": "Practice",
        "authEventId": "e-1",
    },
    {"id": "c-3", "tenantName": "no tenant id, skipped"},
    "not an object",
]


class TestListConnections:
    def test_keeps_every_tenant_type_for_the_domain_to_filter(
        self, make_provider: MakeProvider
    ) -> None:
        found = make_provider(lambda r: httpx.Response(200, json=LISTED)).list_connections(
            SANDBOX, "access"
        )
        assert found == [
            XeroConnection("c-1", "t-1", "Demo (UK)", "ORGANISATION", "e-1"),
            XeroConnection("c-2", "t-2", "Practice", "PRACTICE", "e-1"),
        ]

    def test_filters_by_auth_event_at_xero_without_a_tenant_header(
        self, make_provider: MakeProvider
    ) -> None:
        recorder = Recorder(lambda r: httpx.Response(200, json=[]))
        make_provider(recorder).list_connections(SANDBOX, "access-1", auth_event_id="e-1")
        request = recorder.requests[0]
        assert str(request.url) == f"{CONFIG.connections_url}?authEventId=e-1"
        assert request.headers["Authorization"] == "Bearer access-1"
        assert "xero-tenant-id" not in request.headers

    def test_a_missing_tenant_type_is_not_taken_for_an_organisation(
        self, make_provider: MakeProvider
    ) -> None:
        body = [{"id": "c-1", "tenantId": "t-1", "tenantName": "?"}]
        provider = make_provider(lambda r: httpx.Response(200, json=body))
        assert not provider.list_connections(SANDBOX, "access")[0].is_organisation

    def test_an_answer_that_is_not_a_list_is_unavailable(self, make_provider: MakeProvider) -> None:
        provider = make_provider(lambda r: httpx.Response(200, json={"connections": []}))
        with pytest.raises(ProviderUnavailable):
            provider.list_connections(SANDBOX, "access")

    def test_an_expired_token_is_rejected(self, make_provider: MakeProvider) -> None:
        provider = make_provider(lambda r: httpx.Response(401, json={"Detail": "TokenExpired"}))
        with pytest.raises(AccessTokenRejected):
            provider.list_connections(SANDBOX, "access")


class TestDeleteConnection:
    @pytest.mark.parametrize("status", [200, 204, 404])
    def test_gone_or_already_gone_is_fine(self, make_provider: MakeProvider, status: int) -> None:
        recorder = Recorder(lambda r: httpx.Response(status))
        make_provider(recorder).delete_connection(SANDBOX, "access", "c-1")
        request = recorder.requests[0]
        assert (request.method, str(request.url)) == ("DELETE", f"{CONFIG.connections_url}/c-1")

    def test_the_id_is_one_path_segment(self, make_provider: MakeProvider) -> None:
        recorder = Recorder(lambda r: httpx.Response(204))
        make_provider(recorder).delete_connection(SANDBOX, "access", "../Accounts?x=1")
        assert recorder.requests[0].url.raw_path.endswith(b"/connections/..%2FAccounts%3Fx%3D1")

    def test_other_refusals_are_raised(self, make_provider: MakeProvider) -> None:
        provider = make_provider(lambda r: httpx.Response(400, json={"Detail": "Bad"}))
        with pytest.raises(ProviderRejected):
            provider.delete_connection(SANDBOX, "access", "c-1")
