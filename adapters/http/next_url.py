"""Where the browser goes after logging in: a path on this site taken from `next=`, or home.

Only a same-origin path survives: it starts with one `/`, has no scheme or host, and no
backslash, control character or whitespace (browsers read `/\\host`, `//host` and
`/<tab>/host` as another site). Anything else is dropped for the dashboard's home, so a link
cannot use our login page to send a merchant elsewhere.
"""

from __future__ import annotations

from urllib.parse import urlsplit

MAX_NEXT = 2048


def safe_next(raw: str | None) -> str | None:
    """`raw` if it is a path on this site, else None."""
    if not raw or len(raw) > MAX_NEXT or not raw.startswith("/") or raw.startswith("//"):
        return None
    if "\\" in raw or any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in raw):
        return None
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    return raw
