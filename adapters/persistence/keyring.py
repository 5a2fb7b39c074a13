"""The token keyring: AES-256 keys by key id, the first one primary (DESIGN §8).

Text format, in `LEDGER_TOKEN_KEYS` or in the file `LEDGER_TOKEN_KEYS_FILE`
(default `var/token-keys`)::

    kid1:BASE64URL32BYTES,kid2:BASE64URL32BYTES

- entries are separated by commas or new lines; blank lines and `#` comment lines are ignored;
- a key id is 1-32 characters of `A-Z a-z 0-9 _ -`, unique in the keyring;
- a key is 32 random bytes in URL-safe base64, padding optional
  (`ledger-connect keys generate` prints a fresh entry; keep the file mode 0600);
- the FIRST entry is the primary: every value written is sealed with it; the others only decrypt.

Rotation: the README's procedure (add the new entry second, SIGHUP; move it first, SIGHUP;
`ledger-connect keys rotate`; drop the old entry, SIGHUP). A keyring file is re-read on
SIGHUP and on meeting an unknown key id (`live_keyring.py`). Start-up refuses a keyring that
lacks a key id the database still uses.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from collections.abc import Iterable

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from adapters.persistence.errors import ConfigurationError

KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
KEY_BYTES = 32


class KeyringFormatError(ConfigurationError):
    """The keyring text is malformed; the message never contains key material."""


class Keyring:
    """Key ids to AES-GCM ciphers. Never shows key material, not even in `repr`."""

    __slots__ = ("_ciphers", "_ids")

    def __init__(self, entries: Iterable[tuple[str, bytes]]) -> None:
        ids: list[str] = []
        ciphers: dict[str, AESGCM] = {}
        for number, (kid, key) in enumerate(entries, start=1):
            _check_entry(number, kid, key, ciphers)
            ids.append(kid)
            ciphers[kid] = AESGCM(key)
        if not ids:
            raise KeyringFormatError(
                "has no key: give at least one kid:key entry "
                "(`ledger-connect keys generate` prints one)"
            )
        self._ids = tuple(ids)
        self._ciphers = ciphers

    @classmethod
    def parse(cls, text: str) -> Keyring:
        return cls(_parse_entry(n, e) for n, e in enumerate(_entries(text), start=1))

    @property
    def primary_id(self) -> str:
        return self._ids[0]

    @property
    def key_ids(self) -> tuple[str, ...]:
        return self._ids

    def cipher(self, kid: str) -> AESGCM | None:
        return self._ciphers.get(kid)

    def __contains__(self, kid: object) -> bool:
        return kid in self._ciphers

    def __repr__(self) -> str:
        return f"Keyring(primary={self.primary_id!r}, key_ids={self._ids!r})"


def generate_entry(kid: str) -> str:
    """A new `kid:key` entry with 32 random bytes."""
    if not KEY_ID.fullmatch(kid):
        raise KeyringFormatError("a key id must be 1-32 characters of A-Z a-z 0-9 _ -")
    key = base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).rstrip(b"=").decode()
    return f"{kid}:{key}"


def _entries(text: str) -> list[str]:
    lines = (line.strip() for line in text.splitlines())
    kept = ",".join(line for line in lines if line and not line.startswith("#"))
    return [entry.strip() for entry in kept.split(",") if entry.strip()]


def _parse_entry(number: int, entry: str) -> tuple[str, bytes]:
    kid, colon, encoded = entry.partition(":")
    if not colon:
        raise KeyringFormatError(f"entry {number} is not kid:key")
    kid = kid.strip()
    if not KEY_ID.fullmatch(kid):
        # Never echo it: a swapped entry would put the key where the id belongs.
        raise KeyringFormatError(
            f"entry {number}: the key id must be 1-32 characters of A-Z a-z 0-9 _ -"
        )
    return kid, _decode(kid, encoded.strip())


def _decode(kid: str, encoded: str) -> bytes:
    try:
        padded = encoded + "=" * (-len(encoded) % 4)
        return base64.b64decode(padded, altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise KeyringFormatError(f"the key of {kid!r} is not URL-safe base64") from None


def _check_entry(number: int, kid: str, key: bytes, seen: dict[str, AESGCM]) -> None:
    if not KEY_ID.fullmatch(kid):
        raise KeyringFormatError(
            f"entry {number}: the key id must be 1-32 characters of A-Z a-z 0-9 _ -"
        )
    if kid in seen:
        raise KeyringFormatError(f"the key id {kid!r} appears twice")
    if len(key) != KEY_BYTES:
        raise KeyringFormatError(
            f"the key of {kid!r} is {len(key)} bytes; AES-256 needs {KEY_BYTES} "
            "(`ledger-connect keys generate` prints a valid entry)"
        )
