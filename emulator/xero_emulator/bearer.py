"""Bearer-token authentication for api.xero.com and its problem-details error answers."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Response, jsonify, request

from xero_emulator import jwt_hs256
from xero_emulator.state import EmulatorState


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a Xero user through an app."""

    user_id: str
    client_id: str


def problem(status: int, title: str, detail: str) -> Response:
    """Xero's RFC 7807-style error body."""
    body: dict[str, Any] = {
        "Type": None,
        "Title": title,
        "Status": status,
        "Detail": detail,
        "Instance": str(uuid.uuid4()),
        "Extensions": {},
    }
    response = jsonify(body)
    response.status_code = status
    return response


def unauthorized(detail: str) -> Response:
    """401 for a missing, invalid or expired access token."""
    response = problem(401, "Unauthorized", detail)
    response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return response


def forbidden() -> Response:
    """403 for a tenant the caller has not (or no longer) connected."""
    return problem(403, "Forbidden", "AuthenticationUnsuccessful")


def _expired_detail(exp: float) -> str:
    when = datetime.fromtimestamp(exp, UTC).strftime("%m/%d/%Y %H:%M:%S")
    return f"TokenExpired: token expired at {when}"


def authenticate(state: EmulatorState) -> Principal | Response:
    """The caller behind the Authorization header, or the 401 to send back."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return unauthorized("AuthenticationUnsuccessful")
    try:
        claims = jwt_hs256.decode(token.strip(), state.store.signing_key)
    except jwt_hs256.InvalidToken:
        return unauthorized("AuthenticationUnsuccessful")
    exp = float(claims.get("exp", 0))
    if exp <= state.clock.now():
        return unauthorized(_expired_detail(exp))
    with state.lock:
        rejected = hashlib.sha256(token.strip().encode()).hexdigest() in state.store.rejected_access
    if rejected:
        return unauthorized("AuthenticationUnsuccessful")
    return Principal(str(claims.get("xero_userid")), str(claims.get("client_id")))


def too_many_requests(problem_name: str, retry_after: int) -> Response:
    """429 naming the limit that was hit."""
    response = problem(429, "Too Many Requests", f"Rate limit exceeded: {problem_name}")
    response.headers["Retry-After"] = str(retry_after)
    response.headers["X-Rate-Limit-Problem"] = problem_name
    return response
