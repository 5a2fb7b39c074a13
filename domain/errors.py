"""Domain errors: every refusal the service can give, each with a stable machine-readable code."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the domain raises; `code` is stable and safe to show."""

    code = "DOMAIN_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    code = "NOT_FOUND"


class ValidationFailed(DomainError):
    code = "INVALID_ARGUMENT"


class InvalidTransition(DomainError):
    code = "INVALID_TRANSITION"


class BindingNotConnected(DomainError):
    code = "BINDING_NOT_CONNECTED"


class ReauthRequired(DomainError):
    code = "BINDING_REAUTH_REQUIRED"


class BindingDisconnected(DomainError):
    code = "BINDING_DISCONNECTED"


class PlanLimitExceeded(DomainError):
    code = "PLAN_LIMIT_EXCEEDED"


class ConnectionCapReached(DomainError):
    """The Xero app holds as many organisations as its tier allows; Xero would refuse more."""

    code = "XERO_CONNECTION_CAP"


class OrganisationLocked(DomainError):
    code = "ORGANISATION_LOCKED"


class PartnerEditionRefused(DomainError):
    code = "PARTNER_EDITION"


class NoOrganisation(DomainError):
    code = "NO_ORGANISATION"


class ConsentDenied(DomainError):
    code = "CONSENT_DENIED"


class InstallAlreadyPaired(DomainError):
    code = "INSTALL_ALREADY_PAIRED"


class PairingCodeInvalid(DomainError):
    code = "PAIRING_CODE_INVALID"


class ConnectAttemptInvalid(DomainError):
    code = "CONNECT_ATTEMPT_INVALID"


class EnvironmentNotConfigured(DomainError):
    code = "ENVIRONMENT_NOT_CONFIGURED"


class ConnectorSecretInvalid(DomainError):
    code = "CONNECTOR_SECRET_INVALID"


class CorruptSecret(DomainError):
    """A stored ciphertext failed authentication: tampered, copied or keyed wrongly."""

    code = "CORRUPT_SECRET"


class StorageUnavailable(DomainError):
    code = "STORAGE_UNAVAILABLE"


class LockTimeout(StorageUnavailable):
    """The grant's row lock was not granted within the caller's budget."""

    code = "LOCK_TIMEOUT"


class ProviderError(DomainError):
    """Base of what the Xero edge raises; messages never carry tokens, codes or secrets."""

    code = "XERO_ERROR"


class InvalidGrant(ProviderError):
    """Xero refused a refresh token or an authorization code (`invalid_grant`)."""

    code = "XERO_INVALID_GRANT"


class OrganisationDisconnected(ProviderError):
    """403 AuthenticationUnsuccessful for a tenant: possibly removed inside Xero."""

    code = "XERO_ORGANISATION_DISCONNECTED"


class AccessTokenRejected(ProviderError):
    """401 from Xero for an access token (expired or revoked)."""

    code = "XERO_ACCESS_TOKEN_REJECTED"


class ProviderUnavailable(ProviderError):
    """Timeout, network error, 5xx or rate limit: transient, worth retrying."""

    code = "XERO_UNAVAILABLE"

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimited(ProviderUnavailable):
    code = "XERO_RATE_LIMITED"


class DayLimitReached(RateLimited):
    """Xero's 429 for the organisation's daily call limit: nothing more until its day resets."""

    code = "XERO_DAY_LIMIT"


class ProviderRejected(ProviderError):
    """Xero refused the request for a reason retrying will not fix (invalid_client, 400)."""

    code = "XERO_REJECTED"


class RevisionCompacted(DomainError):
    """A watcher asked for events that compaction already removed: list again, then watch
    from the list's revision. `metadata` carries the current revision for the caller."""

    code = "REVISION_COMPACTED"

    def __init__(self, message: str, current_revision: int) -> None:
        super().__init__(message)
        self.current_revision = current_revision
        self.metadata = {"current_revision": str(current_revision)}
