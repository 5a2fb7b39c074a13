"""The client's address behind reverse proxies: X-Forwarded-For, believed only as far as the
proxies named in LEDGER_TRUSTED_PROXIES vouch for it.

Walking the header from the right (each proxy appends the peer it saw), every hop that is a
trusted proxy is skipped; the first address that is not is the client. A peer that is not a
trusted proxy is the client itself, whatever it claims. Werkzeug's ProxyFix counts hops
instead, which goes wrong when some requests reach the app past the balancer; this trusts
addresses. X-Forwarded-Proto is taken from a trusted peer only.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """Addresses or CIDR blocks; raises ValueError naming a bad one."""
    networks = []
    for entry in (e.strip() for e in entries):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"{entry!r} is not an IP address or CIDR block") from None
    return tuple(networks)


class TrustedProxies:
    def __init__(self, app: Callable[..., Any], networks: tuple[Network, ...]) -> None:
        self._app, self._networks = app, networks

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        peer = environ.get("REMOTE_ADDR", "")
        if self._trusted(peer):
            environ["REMOTE_ADDR"] = self.client(peer, environ.get("HTTP_X_FORWARDED_FOR", ""))
            proto = environ.get("HTTP_X_FORWARDED_PROTO", "").rsplit(",", 1)[-1].strip().lower()
            if proto in ("http", "https"):
                environ["wsgi.url_scheme"] = proto
        return self._app(environ, start_response)

    def client(self, peer: str, forwarded_for: str) -> str:
        hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
        client = peer
        for hop in reversed(hops):
            if _address(hop) is None:
                break
            client = hop
            if not self._trusted(hop):
                break
        return client

    def _trusted(self, text: str) -> bool:
        address = _address(text)
        return address is not None and any(address in network for network in self._networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None
