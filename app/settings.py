"""Configuration from LEDGER_* environment variables (the README lists each with its default)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import TypedDict

from adapters.grpc.event_loops import DEFAULT_EVENT_LOOP, EVENT_LOOPS
from adapters.http.proxies import parse_networks
from adapters.xero.config import GRANULAR_SCOPES, XeroEnvironmentConfig
from app.webhook_settings import WebhookSettings, WebhookSettingsError, webhook_settings
from domain.account import Plan
from domain.errors import ValidationFailed
from domain.sessions import SessionLifetimes
from domain.tier import GB, Tier, tier_named
from domain.values import Environment

DEFAULT_PLANS = "starter:1:1,growth:3:5,scale:25:50"


class SettingsError(ValueError):
    """A setting is malformed; the message names the variable and what to do."""


@dataclass(frozen=True, slots=True)
class Settings:
    var_dir: Path
    database_url: str
    token_keys: str = field(repr=False)
    token_keys_file: Path
    secret_key: str = field(repr=False)
    public_url: str
    http_host: str
    http_port: int
    grpc_host: str
    grpc_port: int
    emulator_port: int
    demo: bool
    production: XeroEnvironmentConfig
    sandbox: XeroEnvironmentConfig
    plans: tuple[Plan, ...]
    grpc_callers: str = field(repr=False)
    log_level: str = "INFO"
    token_skew_s: float = 120.0
    lock_timeout_s: float = 5.0
    sweep: bool = True
    sweep_tick_s: float = 15.0
    sweep_batch: int = 100
    token_spread_s: float = 300.0
    keepalive_days: float = 7.0
    reference_max_age_h: float = 24.0
    reference_spread_s: float = 3600.0
    reference_retry_s: float = 900.0
    connection_check_h: float = 6.0
    replicas: int = 1
    xero_app_per_minute: int = 10_000
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 0
    http_connection_limit: int = 4000
    event_retention_days: float = 30.0
    watch_bookmark_s: float = 10.0
    event_poll_s: float = 1.0
    read_audit: bool = True
    read_audit_flush_s: float = 10.0
    grpc_event_loop: str = DEFAULT_EVENT_LOOP
    trusted_proxies: tuple[str, ...] = ()
    session_idle_minutes: float = 30.0
    session_max_hours: float = 8.0
    http_idle_timeout_s: int = 60
    otlp_endpoint: str = ""
    trace_sample_ratio: float = 0.01
    grpc_tls_cert: str = ""
    grpc_tls_key: str = ""
    grpc_tls_client_ca: str = ""
    grpc_allow_insecure: bool = False
    tiers: Mapping[Environment, Tier] = field(default_factory=dict)
    webhooks: WebhookSettings = field(default_factory=WebhookSettings)

    @property
    def app_budget_per_minute(self) -> int:
        """This process's share of Xero's app-wide minute limit."""
        return max(1, self.xero_app_per_minute // self.replicas)

    @property
    def redirect_uri(self) -> str:
        return f"{self.public_url}/oauth/xero/callback"

    @property
    def session_lifetimes(self) -> SessionLifetimes:
        try:
            return SessionLifetimes(
                idle=timedelta(minutes=self.session_idle_minutes),
                absolute=timedelta(hours=self.session_max_hours),
            )
        except ValueError:
            raise SettingsError(
                "LEDGER_SESSION_IDLE_MINUTES must be over 1 and at most "
                "LEDGER_SESSION_MAX_HOURS x 60"
            ) from None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def cookie_secure(self) -> bool:
        return not self.public_url.startswith(("http://127.0.0.1", "http://localhost"))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        e: Mapping[str, str] = os.environ if env is None else env
        var_dir = Path(e.get("LEDGER_VAR_DIR", "var"))
        http_port = _int(e, "LEDGER_HTTP_PORT", 8080)
        public_url = e.get("LEDGER_PUBLIC_URL", f"http://127.0.0.1:{http_port}").rstrip("/")
        redirect = f"{public_url}/oauth/xero/callback"
        emulator_port = _int(e, "LEDGER_EMULATOR_PORT", 8090)
        production = XeroEnvironmentConfig.production(
            e.get("LEDGER_XERO_PRODUCTION_CLIENT_ID", ""),
            e.get("LEDGER_XERO_PRODUCTION_CLIENT_SECRET", ""),
            redirect,
        )
        sandbox_base = e.get("LEDGER_XERO_SANDBOX_BASE_URL", f"http://127.0.0.1:{emulator_port}")
        emulator_id, emulator_secret = emulator_client()
        sandbox = XeroEnvironmentConfig.on_one_host(
            "sandbox",
            sandbox_base,
            e.get("LEDGER_XERO_SANDBOX_CLIENT_ID", emulator_id),
            e.get("LEDGER_XERO_SANDBOX_CLIENT_SECRET", emulator_secret),
            redirect,
        )
        scopes = tuple(e.get("LEDGER_XERO_SCOPES", GRANULAR_SCOPES).split())
        production = _with_scopes(production, scopes)
        sandbox = _with_scopes(sandbox, scopes)
        demo_default = "0" if production.configured else "1"
        return cls(
            var_dir=var_dir,
            database_url=e.get("LEDGER_DATABASE_URL", f"sqlite:///{var_dir / 'ledger.db'}"),
            token_keys=e.get("LEDGER_TOKEN_KEYS", ""),
            token_keys_file=Path(e.get("LEDGER_TOKEN_KEYS_FILE", str(var_dir / "token-keys"))),
            secret_key=_secret_key(e),
            public_url=public_url,
            http_host=e.get("LEDGER_HTTP_HOST", "127.0.0.1"),
            http_port=http_port,
            grpc_host=e.get("LEDGER_GRPC_HOST", "127.0.0.1"),
            grpc_port=_int(e, "LEDGER_GRPC_PORT", 50051),
            emulator_port=emulator_port,
            demo=_bool(e, "LEDGER_DEMO", demo_default),
            production=production,
            sandbox=sandbox,
            plans=parse_plans(e.get("LEDGER_PLANS", DEFAULT_PLANS)),
            grpc_callers=e.get("LEDGER_GRPC_CALLERS", ""),
            log_level=e.get("LEDGER_LOG_LEVEL", "INFO").upper(),
            token_skew_s=_float(e, "LEDGER_TOKEN_SKEW_S", 120.0),
            lock_timeout_s=_float(e, "LEDGER_LOCK_TIMEOUT_S", 5.0),
            http_connection_limit=int(_positive(e, "LEDGER_HTTP_CONNECTION_LIMIT", 4000)),
            trusted_proxies=_trusted_proxies(e),
            session_idle_minutes=_positive(e, "LEDGER_SESSION_IDLE_MINUTES", 30.0),
            session_max_hours=_positive(e, "LEDGER_SESSION_MAX_HOURS", 8.0),
            http_idle_timeout_s=int(_positive(e, "LEDGER_HTTP_IDLE_TIMEOUT_S", 60)),
            otlp_endpoint=_otlp_endpoint(e),
            trace_sample_ratio=_ratio(e, "LEDGER_TRACE_SAMPLE_RATIO", 0.01),
            **_grpc_tls_settings(e),
            event_retention_days=_positive(e, "LEDGER_EVENT_RETENTION_DAYS", 30.0),
            watch_bookmark_s=_bookmark(e),
            event_poll_s=_positive(e, "LEDGER_EVENT_POLL_S", 1.0),
            read_audit=_bool(e, "LEDGER_READ_AUDIT", "1"),
            read_audit_flush_s=_positive(e, "LEDGER_READ_AUDIT_FLUSH_S", 10.0),
            grpc_event_loop=_event_loop(e),
            **_sweep_settings(e),
            tiers={env: parse_tier(e, env) for env in Environment},
            webhooks=_webhooks(e),
        )


def emulator_client() -> tuple[str, str]:
    """The emulator's demo app: the sandbox's default credentials when the emulator is
    installed. It is a distribution of its own (emulator/), which production need not have;
    without it the sandbox has no default credentials (and demo mode cannot start)."""
    try:
        from xero_emulator.settings import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
    except ModuleNotFoundError:
        return "", ""
    return DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET


DEFAULT_TIERS = {Environment.PRODUCTION: "starter", Environment.SANDBOX: "enterprise"}
_UNLIMITED = ("none", "unlimited")


def parse_tier(e: Mapping[str, str], environment: Environment) -> Tier:
    """`LEDGER_XERO_<ENV>_TIER` names Xero's tier; plain numbers override each of its limits:
    `_CONNECTION_CAP` (or `none`), `_DAILY_LIMIT`, `_EGRESS_GB` (or `none`) and
    `_REFERENCE_DAILY_SHARE` (our own calls per organisation per day)."""
    prefix = f"LEDGER_XERO_{environment.name}_"
    try:
        tier = tier_named(e.get(prefix + "TIER", DEFAULT_TIERS[environment]))
    except ValidationFailed as error:
        raise SettingsError(f"{prefix}TIER: {error}") from None
    cap = _optional_count(e, prefix + "CONNECTION_CAP")
    egress_gb = _optional_count(e, prefix + "EGRESS_GB")
    daily = _optional_count(e, prefix + "DAILY_LIMIT", unlimited_ok=False)
    share = _optional_count(e, prefix + "REFERENCE_DAILY_SHARE", unlimited_ok=False)
    if cap is _NONE:
        tier = replace(tier, connection_cap=None)
    if egress_gb is _NONE:
        tier = replace(tier, monthly_egress_bytes=None)
    try:
        return tier.with_overrides(
            connection_cap=cap if isinstance(cap, int) else None,
            daily_limit=daily if isinstance(daily, int) else None,
            monthly_egress_bytes=egress_gb * GB if isinstance(egress_gb, int) else None,
            reference_daily_share=share if isinstance(share, int) else None,
        )
    except ValidationFailed as error:
        raise SettingsError(f"{prefix}*: {error}") from None


_NONE = object()


def _optional_count(e: Mapping[str, str], key: str, unlimited_ok: bool = True) -> object:
    """None when unset, _NONE for `none`/`unlimited`, else a whole number >= 0."""
    raw = e.get(key, "").strip().lower()
    if not raw:
        return None
    if raw in _UNLIMITED and unlimited_ok:
        return _NONE
    try:
        value = int(raw)
    except ValueError:
        hint = " or none" if unlimited_ok else ""
        raise SettingsError(f"{key} must be a whole number{hint}") from None
    if value < 0:
        raise SettingsError(f"{key} cannot be negative")
    return value


def _event_loop(e: Mapping[str, str]) -> str:
    value = e.get("LEDGER_GRPC_EVENT_LOOP", DEFAULT_EVENT_LOOP).strip().lower()
    if value not in EVENT_LOOPS:
        raise SettingsError(f"LEDGER_GRPC_EVENT_LOOP must be one of {', '.join(EVENT_LOOPS)}")
    return value


def _bookmark(e: Mapping[str, str]) -> float:
    """Idle watch streams get a bookmark at least every 15 s (issue 15), so at most that."""
    value = _positive(e, "LEDGER_WATCH_BOOKMARK_S", 10.0)
    if value > 15:
        raise SettingsError("LEDGER_WATCH_BOOKMARK_S must be at most 15")
    return value


def parse_plans(text: str) -> tuple[Plan, ...]:
    """`name:max_organisations:max_websites`, comma-separated."""
    plans = []
    for entry in filter(None, (p.strip() for p in text.split(","))):
        try:
            name, orgs, websites = entry.split(":")
            plans.append(Plan(name.strip(), int(orgs), int(websites)))
        except ValueError:
            raise SettingsError(
                f"LEDGER_PLANS entry {entry!r} is not name:max_organisations:max_websites"
            ) from None
    if not plans:
        raise SettingsError("LEDGER_PLANS defines no plan")
    return tuple(plans)


class _SweepSettings(TypedDict):
    sweep: bool
    sweep_tick_s: float
    sweep_batch: int
    token_spread_s: float
    keepalive_days: float
    reference_max_age_h: float
    reference_spread_s: float
    reference_retry_s: float
    connection_check_h: float
    replicas: int
    xero_app_per_minute: int
    metrics_host: str
    metrics_port: int


def _sweep_settings(e: Mapping[str, str]) -> _SweepSettings:
    """The background sweeps, Xero's app budget and the metrics port (README, "Sweeps")."""
    keepalive_days = _positive(e, "LEDGER_KEEPALIVE_DAYS", 7.0)
    if keepalive_days >= 60:
        raise SettingsError("LEDGER_KEEPALIVE_DAYS must be under 60, Xero's unused lifetime")
    check_h = _float(e, "LEDGER_CONNECTION_CHECK_H", 6.0)
    if check_h < 0:
        raise SettingsError("LEDGER_CONNECTION_CHECK_H must be 0 (off) or more")
    return {
        "sweep": _bool(e, "LEDGER_SWEEP", "1"),
        "sweep_tick_s": _positive(e, "LEDGER_SWEEP_TICK_S", 15.0),
        "sweep_batch": int(_positive(e, "LEDGER_SWEEP_BATCH", 100)),
        "token_spread_s": _positive(e, "LEDGER_TOKEN_SPREAD_S", 300.0),
        "keepalive_days": keepalive_days,
        "reference_max_age_h": _positive(e, "LEDGER_REFERENCE_MAX_AGE_H", 24.0),
        "reference_spread_s": _positive(e, "LEDGER_REFERENCE_SPREAD_S", 3600.0),
        "reference_retry_s": _positive(e, "LEDGER_REFERENCE_RETRY_S", 900.0),
        "connection_check_h": check_h,
        "replicas": int(_positive(e, "LEDGER_REPLICAS", 1)),
        "xero_app_per_minute": int(_positive(e, "LEDGER_XERO_APP_PER_MINUTE", 10_000)),
        "metrics_host": e.get("LEDGER_METRICS_HOST", "127.0.0.1"),
        "metrics_port": _int(e, "LEDGER_METRICS_PORT", 0),
    }


def _webhooks(e: Mapping[str, str]) -> WebhookSettings:
    try:
        return webhook_settings(e)
    except WebhookSettingsError as error:
        raise SettingsError(str(error)) from None


def _positive(e: Mapping[str, str], key: str, default: float) -> float:
    value = _float(e, key, default)
    if value <= 0:
        raise SettingsError(f"{key} must be more than 0")
    return value


def _with_scopes(config: XeroEnvironmentConfig, scopes: tuple[str, ...]) -> XeroEnvironmentConfig:
    return replace(config, scopes=scopes)


class _GrpcTlsSettings(TypedDict):
    grpc_tls_cert: str
    grpc_tls_key: str
    grpc_tls_client_ca: str
    grpc_allow_insecure: bool


def _grpc_tls_settings(e: Mapping[str, str]) -> _GrpcTlsSettings:
    """File paths for TLS on the gRPC port (README, "TLS"); read and checked by `serve`."""
    cert, key = e.get("LEDGER_GRPC_TLS_CERT", ""), e.get("LEDGER_GRPC_TLS_KEY", "")
    client_ca = e.get("LEDGER_GRPC_TLS_CLIENT_CA", "")
    if bool(cert) != bool(key):
        raise SettingsError("set LEDGER_GRPC_TLS_CERT and LEDGER_GRPC_TLS_KEY together")
    if client_ca and not cert:
        raise SettingsError(
            "LEDGER_GRPC_TLS_CLIENT_CA needs LEDGER_GRPC_TLS_CERT and LEDGER_GRPC_TLS_KEY too"
        )
    return {
        "grpc_tls_cert": cert,
        "grpc_tls_key": key,
        "grpc_tls_client_ca": client_ca,
        "grpc_allow_insecure": _bool(e, "LEDGER_GRPC_ALLOW_INSECURE", "0"),
    }


def _otlp_endpoint(e: Mapping[str, str]) -> str:
    """Where traces go over OTLP/gRPC; empty means tracing is off."""
    endpoint = e.get("LEDGER_OTLP_ENDPOINT", "").strip()
    if endpoint and not endpoint.startswith(("http://", "https://")):
        raise SettingsError(
            "LEDGER_OTLP_ENDPOINT must be an http:// or https:// URL, e.g. http://127.0.0.1:4317"
        )
    return endpoint


def _ratio(e: Mapping[str, str], key: str, default: float) -> float:
    value = _float(e, key, default)
    if not 0.0 <= value <= 1.0:
        raise SettingsError(f"{key} must be between 0 and 1")
    return value


def _trusted_proxies(e: Mapping[str, str]) -> tuple[str, ...]:
    entries = tuple(p.strip() for p in e.get("LEDGER_TRUSTED_PROXIES", "").split(",") if p.strip())
    try:
        parse_networks(entries)
    except ValueError as error:
        raise SettingsError(f"LEDGER_TRUSTED_PROXIES: {error}") from None
    return entries


def _secret_key(e: Mapping[str, str]) -> str:
    key = e.get("LEDGER_SECRET_KEY", "")
    if key and len(key) < 32:
        raise SettingsError("LEDGER_SECRET_KEY must be at least 32 characters")
    return key


def _int(e: Mapping[str, str], key: str, default: int) -> int:
    try:
        return int(e.get(key, default))
    except ValueError:
        raise SettingsError(f"{key} must be a whole number") from None


def _float(e: Mapping[str, str], key: str, default: float) -> float:
    try:
        return float(e.get(key, default))
    except ValueError:
        raise SettingsError(f"{key} must be a number") from None


def _bool(e: Mapping[str, str], key: str, default: str) -> bool:
    value = e.get(key, default).strip().lower()
    if value not in ("1", "0", "true", "false", "yes", "no"):
        raise SettingsError(f"{key} must be 1 or 0")
    return value in ("1", "true", "yes")
