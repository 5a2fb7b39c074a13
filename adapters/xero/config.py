"""Where one Xero environment lives and who we are there: every URL and credential."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.scopes import SYNC_SCOPES

GRANULAR_SCOPES = " ".join(SYNC_SCOPES)


@dataclass(frozen=True, slots=True)
class XeroEnvironmentConfig:
    name: str
    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str
    authorize_url: str
    token_url: str
    revocation_url: str
    connections_url: str
    api_url: str
    scopes: tuple[str, ...] = tuple(GRANULAR_SCOPES.split())

    @property
    def configured(self) -> bool:
        return bool(self.client_id and self.client_secret)

    @classmethod
    def production(
        cls, client_id: str, client_secret: str, redirect_uri: str
    ) -> XeroEnvironmentConfig:
        return cls(
            name="production",
            client_id=client_id,
            client_secret=client_secret,
            redirect_uri=redirect_uri,
            authorize_url="https://login.xero.com/identity/connect/authorize",
            token_url="https://identity.xero.com/connect/token",
            revocation_url="https://identity.xero.com/connect/revocation",
            connections_url="https://api.xero.com/connections",
            api_url="https://api.xero.com/api.xro/2.0",
        )

    @classmethod
    def on_one_host(
        cls, name: str, base_url: str, client_id: str, client_secret: str, redirect_uri: str
    ) -> XeroEnvironmentConfig:
        """A Xero-compatible endpoint set served from one host, such as the bundled emulator."""
        base = base_url.rstrip("/")
        return cls(
            name=name,
            client_id=client_id,
            client_secret=client_secret,
            redirect_uri=redirect_uri,
            authorize_url=f"{base}/identity/connect/authorize",
            token_url=f"{base}/connect/token",
            revocation_url=f"{base}/connect/revocation",
            connections_url=f"{base}/connections",
            api_url=f"{base}/api.xro/2.0",
        )
