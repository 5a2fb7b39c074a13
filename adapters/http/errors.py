"""The one table from domain errors to HTTP statuses and page titles, and the handlers using it.

Statuses chosen for the Magento API: a spent, expired or unknown pairing code is 410 Gone (the
module should ask the merchant for a new code; the three cases are not told apart), a plan
limit is 403 (the account may not do this until its plan changes), an install that already
has a live binding is 409. Pages and JSON share the table; 5xx answers never show the
error's own message, only the table's generic text.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Flask, Response, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from domain import errors as e

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Problem:
    """`generic`: what a 5xx shows instead of the error's own message; `plain`: what a page
    shows instead of it where the domain's message names an API, a code or a status (the
    JSON API keeps the message, for the module's logs)."""

    status: int
    title: str
    generic: str = ""
    plain: str = ""


PROBLEMS: dict[type[e.DomainError], Problem] = {
    e.DomainError: Problem(400, "That did not work"),
    e.NotFound: Problem(404, "Not found"),
    e.ValidationFailed: Problem(400, "Please check what was sent"),
    e.InvalidTransition: Problem(409, "Not possible right now"),
    e.BindingNotConnected: Problem(
        409,
        "Xero is not connected",
        plain="This shop is not connected to Xero yet; connect it from the binding's page.",
    ),
    e.ReauthRequired: Problem(
        409,
        "Xero needs you to sign in again",
        plain="Xero no longer accepts this connection; reconnect it from the binding's page.",
    ),
    e.BindingDisconnected: Problem(409, "This binding is disconnected"),
    e.PlanLimitExceeded: Problem(403, "Your plan's limit is reached"),
    e.OrganisationLocked: Problem(409, "A different organisation is locked in"),
    e.ConnectionCapReached: Problem(409, "Xero's connection limit is reached"),
    e.PartnerEditionRefused: Problem(409, "This organisation cannot be connected"),
    e.NoOrganisation: Problem(400, "No organisation was chosen"),
    e.ConsentDenied: Problem(400, "Connection cancelled"),
    e.InstallAlreadyPaired: Problem(409, "This Magento install is already paired"),
    e.PairingCodeInvalid: Problem(410, "Pairing code not valid"),
    e.ConnectAttemptInvalid: Problem(400, "This connection attempt is no longer valid"),
    e.EnvironmentNotConfigured: Problem(503, "Xero is not set up", "Xero is not set up yet."),
    e.ConnectorSecretInvalid: Problem(401, "Unknown connector"),
    e.CorruptSecret: Problem(500, "Stored data is damaged", "Please contact support."),
    e.StorageUnavailable: Problem(503, "Temporarily unavailable", "Please try again shortly."),
    e.ProviderError: Problem(502, "Xero answered unexpectedly", "Please try again later."),
    e.InvalidGrant: Problem(
        400,
        "Xero did not accept the sign-in",
        plain="The sign-in at Xero took too long or was already used; connect to Xero again.",
    ),
    e.OrganisationDisconnected: Problem(
        409,
        "The organisation is no longer connected",
        plain="The app was removed from this organisation inside Xero; reconnect it from the "
        "binding's page.",
    ),
    e.ProviderUnavailable: Problem(
        503, "Xero is not answering", "Xero is not answering right now; try again in a minute."
    ),
    e.ProviderRejected: Problem(502, "Xero refused the request", "Please try again later."),
}
ENVIRONMENT_MESSAGE = (
    "This Xero environment has no client credentials configured yet; ask the operator to set them."
)


def problem_for(error: e.DomainError) -> Problem:
    for cls in type(error).__mro__:
        if cls in PROBLEMS:
            return PROBLEMS[cls]
    return PROBLEMS[e.DomainError]


def public_message(error: e.DomainError) -> str:
    """The error's own message when it is safe to show; the table's generic text for 5xx."""
    if isinstance(error, e.EnvironmentNotConfigured):
        return ENVIRONMENT_MESSAGE
    found = problem_for(error)
    if found.status >= 500:
        return found.generic
    return found.plain or error.message


def api_message(error: e.DomainError) -> str:
    """The JSON API's message: the error's own, or the generic text of a 5xx."""
    found = problem_for(error)
    return found.generic if found.status >= 500 else error.message


def wants_json() -> bool:
    return request.path.startswith("/api/")


def json_error(status: int, code: str, message: str) -> Response:
    response = jsonify(error={"code": code, "message": message})
    response.status_code = status
    return response


def error_page(status: int, title: str, message: str) -> tuple[str, int]:
    retry = g.get("try_again")
    return render_template("error.html", title=title, message=message, retry=retry), status


def register(app: Flask) -> None:
    app.register_error_handler(e.DomainError, _domain_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


def _domain_error(error: e.DomainError) -> Response | tuple[str, int]:
    found = problem_for(error)
    if found.status >= 500:
        log.warning("%s %s failed: %s", request.method, request.path, error.code)
    if wants_json():
        return json_error(found.status, error.code, api_message(error))
    return error_page(found.status, found.title, public_message(error))


def _csrf_error(error: CSRFError) -> tuple[str, int]:
    message = "This form has expired or did not come from this site. Reload the page and retry."
    return error_page(400, "Please try again", message)


def _http_error(error: HTTPException) -> Response | tuple[str, int]:
    status = error.code or 500
    name = error.name or "Error"
    if wants_json():
        code = _API_CODES.get(status, f"HTTP_{status}")
        return json_error(status, code, error.description or name)
    title, text = _PAGES.get(status, ("That did not work", "Please go back and try again."))
    return error_page(status, title, text)


def _unexpected(error: Exception) -> Response | tuple[str, int]:
    log.exception("unexpected error on %s %s", request.method, request.path)
    if wants_json():
        return json_error(500, "INTERNAL", "an unexpected error occurred")
    return error_page(500, "Something went wrong", "Please try again in a moment.")


_API_CODES = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}
# Page titles in plain words, never the HTTP reason phrase ("Method Not Allowed").
_PAGES = {
    404: ("Nothing here", "It may have been removed, or the link is wrong."),
    405: ("That did not work", "This page cannot be used this way; go back and use its buttons."),
    413: ("Too much was sent", "Send less at once, or go back and try again."),
}
