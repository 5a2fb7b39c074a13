"""The emulator's JSON checked against Xero's published OpenAPI schemas and our own shapes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from xero_emulator.seed import AVERY

OPENAPI_DIR = Path(
    os.environ.get(
        "XERO_OPENAPI_DIR", Path(__file__).resolve().parents[3].parent / "shared" / "xero-openapi"
    )
)
ENDPOINTS = {
    "Organisation": ("Organisations", "Organisation"),
    "Accounts": ("Accounts", "Account"),
    "TaxRates": ("TaxRates", "TaxRate"),
    "TrackingCategories": ("TrackingCategories", "TrackingCategory"),
    "Items": ("Items", "Item"),
    "BrandingThemes": ("BrandingThemes", "BrandingTheme"),
    "Currencies": ("Currencies", "Currency"),
}
S, B, N, L, D = str, bool, (int, float), list, dict
REQUIRED: dict[str, dict[str, Any]] = {
    "Organisation": {
        "OrganisationID": S,
        "Name": S,
        "BaseCurrency": S,
        "CountryCode": S,
        "IsDemoCompany": B,
        "Edition": S,
        "Class": S,
        "ShortCode": S,
        "Version": S,
        "OrganisationStatus": S,
    },
    "Account": {
        "AccountID": S,
        "Code": S,
        "Name": S,
        "Type": S,
        "Status": S,
        "Class": S,
        "TaxType": S,
        "EnablePaymentsToAccount": B,
        "UpdatedDateUTC": S,
    },
    "TaxRate": {
        "Name": S,
        "TaxType": S,
        "Status": S,
        "CanApplyToRevenue": B,
        "DisplayTaxRate": N,
        "EffectiveRate": N,
        "TaxComponents": L,
    },
    "TrackingCategory": {"TrackingCategoryID": S, "Name": S, "Status": S, "Options": L},
    "Item": {
        "ItemID": S,
        "Code": S,
        "Name": S,
        "IsSold": B,
        "IsPurchased": B,
        "SalesDetails": D,
        "PurchaseDetails": D,
        "UpdatedDateUTC": S,
    },
    "BrandingTheme": {
        "BrandingThemeID": S,
        "Name": S,
        "Type": S,
        "SortOrder": int,
        "CreatedDateUTC": S,
    },
    "Currency": {"Code": S, "Description": S},
    "Connection": {
        "id": S,
        "authEventId": S,
        "tenantId": S,
        "tenantType": S,
        "tenantName": S,
        "createdDateUtc": S,
        "updatedDateUtc": S,
    },
}
ENVELOPE = {"Id": S, "Status": S, "ProviderName": S, "DateTimeUTC": S}


@pytest.fixture
def token(xero) -> str:
    xero.control("bulk", {"enabled": True})
    return xero.connect(tenants=AVERY.tenant_ids)["access_token"]


def assert_shape(record: dict[str, Any], shape: dict[str, Any]) -> None:
    for key, kind in shape.items():
        assert key in record, f"missing {key}"
        assert isinstance(record[key], kind) and not (
            kind is N and isinstance(record[key], bool)
        ), key


class TestOwnShapes:
    @pytest.mark.parametrize("resource", ENDPOINTS)
    def test_every_tenant_answers_in_the_expected_shape(self, xero, token, resource):
        collection, type_name = ENDPOINTS[resource]
        for tenant in AVERY.tenant_ids:
            body = xero.api(resource, token, tenant, includeArchived="true").json()
            assert_shape(body, ENVELOPE | {collection: L})
            for record in body[collection]:
                assert_shape(record, REQUIRED[type_name])
                assert None not in record.values(), "Xero omits absent fields"

    def test_connections_shape(self, xero, token):
        for connection in xero.connections(token).json():
            assert_shape(connection, REQUIRED["Connection"])


def _spec(name: str) -> dict[str, Any]:
    yaml = pytest.importorskip("yaml")
    path = OPENAPI_DIR / name
    if not path.exists():
        pytest.skip(
            f"Xero OpenAPI spec {path} not found; set XERO_OPENAPI_DIR to check the contract"
        )
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(path.read_text(), Loader=loader)  # noqa: S506 - a safe loader


def _validator(spec: dict[str, Any], schema: dict[str, Any]):
    jsonschema = pytest.importorskip("jsonschema")
    document = schema | {"components": spec["components"]}
    checker = jsonschema.FormatChecker(formats=["uuid"])
    return jsonschema.Draft202012Validator(document, format_checker=checker)


@pytest.fixture(scope="module")
def accounting_spec() -> dict[str, Any]:
    return _spec("xero_accounting.yaml")


class TestPublishedSchemas:
    @pytest.mark.parametrize("resource", ENDPOINTS)
    def test_accounting_endpoint_matches_xero_openapi(self, xero, token, accounting_spec, resource):
        collection, _ = ENDPOINTS[resource]
        validator = _validator(accounting_spec, {"$ref": f"#/components/schemas/{collection}"})
        for tenant in AVERY.tenant_ids:
            body = xero.api(resource, token, tenant, includeArchived="true").json()
            errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
            assert not errors, errors[:5]

    def test_where_error_matches_xero_error_schema(self, xero, token, accounting_spec):
        validator = _validator(accounting_spec, {"$ref": "#/components/schemas/Error"})
        body = xero.api("Accounts", token, where="Nope==1").json()
        validator.validate(body)

    def test_connections_match_xero_identity_openapi(self, xero, token):
        spec = _spec("xero-identity.yaml")
        schema = {"type": "array", "items": {"$ref": "#/components/schemas/Connection"}}
        _validator(spec, schema).validate(xero.connections(token).json())

    def test_token_response_matches_xero_identity_openapi(self, xero):
        spec = _spec("xero-identity.yaml")
        validator = _validator(spec, {"$ref": "#/components/schemas/AccessToken"})
        validator.validate(xero.connect())
