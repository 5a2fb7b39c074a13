"""Which Xero scopes the sync needs, and which granted scopes Xero retires in September 2027.

Xero splits the broad `accounting.transactions` and `accounting.reports.read` scopes into
granular ones; apps created on or after 2 March 2026 may ask only for the granular ones, and
older apps' customers keep their broad grants until Xero stops honouring them after
September 2027. Granular scopes are never added to an existing token: the merchant must
consent again. `accounting.settings`, `accounting.contacts` and `accounting.attachments`
are not split, and Items are read with `accounting.settings.read` (xero-facts §3, §11).
"""

from __future__ import annotations

from collections.abc import Iterable

# What the sync services and our own reference refresh call, and no more:
# - offline_access: a refresh token, without which nothing works after 30 minutes;
# - accounting.settings.read: Organisation, Accounts, TaxRates, TrackingCategories, Items,
#   BrandingThemes and Currencies (the reference cache);
# - contacts, invoices (and credit notes), payments, bank transactions and projects: what
#   the sync writes.
# Neither `openid`, `profile` nor `email` is needed: the Xero user id we key revocation on is
# a claim of the access token itself, and nothing reads the id token or userinfo.
SYNC_SCOPES: tuple[str, ...] = (
    "offline_access",
    "accounting.settings.read",
    "accounting.contacts",
    "accounting.invoices",
    "accounting.payments",
    "accounting.banktransactions",
    "projects",
)
RETIRED_SCOPES = frozenset(
    {"accounting.transactions", "accounting.transactions.read", "accounting.reports.read"}
)
BROAD_SCOPE_CUTOFF = "September 2027"
BROAD_SCOPE_NOTICE = f"reconnect before {BROAD_SCOPE_CUTOFF} to keep syncing"


def broad_scopes(granted: Iterable[str]) -> tuple[str, ...]:
    """The granted scopes Xero retires after the cut-off, in the order granted."""
    return tuple(s for s in dict.fromkeys(granted) if s in RETIRED_SCOPES)
