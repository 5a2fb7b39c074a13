"""HttpXeroProvider: the XeroProvider port over httpx and Authlib, one config per environment."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from types import TracebackType

import httpx

from adapters.xero import connections, identity, reference
from adapters.xero.config import XeroEnvironmentConfig
from adapters.xero.limits import OrgLimiter
from adapters.xero.wire import RetryPolicy, Wire
from domain.connect import XeroConnection
from domain.errors import EnvironmentNotConfigured
from domain.grant import TokenSet
from domain.ports import XeroProvider
from domain.reference import ReferenceBundle, RefKind
from domain.values import Environment


class HttpXeroProvider(XeroProvider):
    """Talks to Xero (or anything Xero-compatible) with every URL and credential from config."""

    def __init__(
        self,
        configs: Mapping[Environment, XeroEnvironmentConfig],
        *,
        timeout_s: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        limiter: OrgLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
        retry: RetryPolicy | None = None,
        identity_timeout_s: float | None = None,
    ) -> None:
        """`identity_timeout_s` bounds token and revocation calls on their own: a refresh runs
        under a grant's row lock, so it must give up before other callers' lock waits do."""
        self._configs = dict(configs)
        self._client = httpx.Client(transport=transport, timeout=httpx.Timeout(timeout_s))
        limiter = limiter or OrgLimiter(sleep=sleep)
        self._wire = Wire(self._client, limiter, sleep, retry or RetryPolicy(), identity_timeout_s)
        self._pool = ThreadPoolExecutor(reference.POOL_THREADS, thread_name_prefix="xero-ref")

    def __repr__(self) -> str:
        return f"HttpXeroProvider(environments={sorted(self._configs)})"

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._client.close()

    def __enter__(self) -> HttpXeroProvider:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def is_configured(self, environment: Environment) -> bool:
        config = self._configs.get(environment)
        return config is not None and config.configured

    def api_base_url(self, environment: Environment) -> str:
        return self._config(environment).api_url

    def authorization_url(
        self, environment: Environment, *, state: str, code_challenge: str
    ) -> str:
        return identity.authorization_url(self._config(environment), state, code_challenge)

    def exchange_code(self, environment: Environment, *, code: str, code_verifier: str) -> TokenSet:
        return identity.exchange_code(self._wire, self._config(environment), code, code_verifier)

    def refresh(self, environment: Environment, refresh_token: str) -> TokenSet:
        return identity.refresh(self._wire, self._config(environment), refresh_token)

    def revoke(self, environment: Environment, refresh_token: str) -> None:
        identity.revoke(self._wire, self._config(environment), refresh_token)

    def list_connections(
        self, environment: Environment, access_token: str, auth_event_id: str | None = None
    ) -> list[XeroConnection]:
        config = self._config(environment)
        return connections.list_connections(self._wire, config, access_token, auth_event_id)

    def delete_connection(
        self, environment: Environment, access_token: str, connection_id: str
    ) -> None:
        config = self._config(environment)
        connections.delete_connection(self._wire, config, access_token, connection_id)

    def fetch_reference(
        self,
        environment: Environment,
        access_token: str,
        tenant_id: str,
        kinds: Collection[RefKind],
        since: Mapping[RefKind, datetime] | None = None,
    ) -> ReferenceBundle:
        config = self._config(environment)
        return reference.fetch_reference(
            self._pool, self._wire, config, access_token, tenant_id, kinds, since or {}
        )

    def _config(self, environment: Environment) -> XeroEnvironmentConfig:
        config = self._configs.get(environment)
        if config is None or not config.configured:
            raise EnvironmentNotConfigured(
                f"Xero environment '{environment}' has no client id and secret configured"
            )
        return config
