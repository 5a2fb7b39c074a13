"""The Magento module's JSON API: redeem a pairing code, update the profile, unpair.

Authentication is by pairing code (once) or by connector secret (`Authorization: Bearer`),
never by cookie, so this blueprint is exempt from CSRF. Errors are
`{"error": {"code": STABLE_CODE, "message": ...}}` with the statuses of errors.PROBLEMS;
malformed JSON is 400 INVALID_ARGUMENT, a missing or wrong secret 401, a body over
MAX_CONTENT_LENGTH 413. Pairing attempts are throttled per client address (throttle.py).
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from adapters.bearer import bearer_token
from adapters.http.errors import json_error
from adapters.http.security import service
from adapters.http.throttle import PairingThrottle
from domain.errors import ConnectorSecretInvalid, ValidationFailed
from domain.magento import MagentoProfile

bp = Blueprint("api", __name__, url_prefix="/api/v1")
MAX_CODE = 64


@bp.post("/pairings")
def redeem() -> Response:
    body = _json_object()
    code = body.get("code")
    if not isinstance(code, str) or not code.strip() or len(code) > MAX_CODE:
        raise ValidationFailed("code must be a non-empty string")
    profile = MagentoProfile.from_dict(body)
    wait = _throttle().attempt(request)
    if wait is not None:
        response = json_error(429, "TOO_MANY_ATTEMPTS", "too many wrong pairing codes; wait")
        response.headers["Retry-After"] = str(max(1, int(wait.total_seconds())))
        return response
    pairing = service().redeem_pairing(code, profile)
    body = {"binding_id": pairing.binding_id, "connector_secret": pairing.connector_secret}
    response = jsonify(body)
    response.status_code = 201
    return response


@bp.get("/openapi.yaml")
def openapi() -> Response:
    """This API's OpenAPI description (adapters/http/openapi.yaml)."""
    text = resources.files("adapters.http").joinpath("openapi.yaml").read_text("utf-8")
    return Response(text, mimetype="application/yaml")


@bp.put("/pairings/self/profile")
def update_profile() -> Response:
    secret = _connector_secret()
    profile = MagentoProfile.from_dict(_json_object())
    return jsonify(binding_id=service().update_profile(secret, profile))


@bp.delete("/pairings/self")
def unpair() -> Response:
    outcome = service().disconnect.unpair(_connector_secret())
    return jsonify(binding_id=outcome.binding_id, not_undone_at_xero=outcome.not_undone_at_xero)


@bp.errorhandler(ConnectorSecretInvalid)
def unauthenticated(error: ConnectorSecretInvalid) -> Response:
    response = json_error(401, error.code, error.message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="ledger-connect"'
    return response


def _json_object() -> dict[str, Any]:
    if not request.is_json:
        raise ValidationFailed("the body must be JSON (Content-Type: application/json)")
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        raise ValidationFailed("the body nests too deeply") from None
    if not isinstance(body, dict):
        raise ValidationFailed("the body must be a JSON object")
    return body


def _connector_secret() -> str:
    secret = bearer_token(request.headers.get("Authorization"))
    if secret is None:
        raise ConnectorSecretInvalid("send the connector secret as 'Authorization: Bearer ...'")
    return secret


def _throttle() -> PairingThrottle:
    throttle: PairingThrottle = current_app.extensions["ledger_pairing_throttle"]
    return throttle
