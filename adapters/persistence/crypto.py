"""AES-256-GCM sealing of secrets at rest, bound to their table, column, row and key (DESIGN §8).

Stored form: `v1.<kid>.<nonce>.<ciphertext+tag>`, nonce and ciphertext in unpadded URL-safe
base64, a fresh random 96-bit nonce per value. The associated data names the format, table,
column, row id and key id, so a value copied to another row or column, or relabelled with
another key id, fails authentication instead of decrypting.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets

from cryptography.exceptions import InvalidTag

from adapters.persistence.keyring import KEY_ID, Keyring
from adapters.persistence.live_keyring import LiveKeyring
from domain.errors import CorruptSecret

FORMAT = "v1"
NONCE_BYTES = 12


class Sealer:
    """Seals with the keyring's primary key; opens with whichever key sealed the value (a
    `LiveKeyring` is re-read when a value names a key it lacks)."""

    def __init__(self, keyring: Keyring | LiveKeyring, *, reread: bool = True) -> None:
        """`reread=False`: a value naming a key the keyring lacks is refused at once, never
        re-read for (the event loop's read, which must not wait on files and queries)."""
        self._keyring = keyring if isinstance(keyring, LiveKeyring) else LiveKeyring(keyring)
        self._reread = reread

    @property
    def primary_id(self) -> str:
        return self._keyring.current.primary_id

    def seal(self, plaintext: str, table: str, column: str, row_id: str) -> str:
        keyring = self._keyring.current
        kid = keyring.primary_id
        cipher = keyring.cipher(kid)
        assert cipher is not None
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = cipher.encrypt(nonce, plaintext.encode(), _aad(table, column, row_id, kid))
        return f"{FORMAT}.{kid}.{_b64(nonce)}.{_b64(sealed)}"

    def open(self, value: str, table: str, column: str, row_id: str) -> str:
        where = f"{table}.{column} of row {row_id}"
        kid, nonce, sealed = _split(value, where)
        keyring = self._keyring.knowing(kid) if self._reread else self._keyring.current
        cipher = keyring.cipher(kid)
        if cipher is None:
            raise CorruptSecret(f"{where} is sealed with key id {kid!r}, which the keyring lacks")
        try:
            plain = cipher.decrypt(nonce, sealed, _aad(table, column, row_id, kid))
        except InvalidTag:
            raise CorruptSecret(
                f"{where} failed authentication: altered, copied from another row, "
                "or sealed with a different key"
            ) from None
        return plain.decode()


def _split(value: str, where: str) -> tuple[str, bytes, bytes]:
    parts = value.split(".")
    if len(parts) != 4 or parts[0] != FORMAT or not KEY_ID.fullmatch(parts[1]):
        raise CorruptSecret(f"{where} is not a sealed value of format {FORMAT}")
    try:
        nonce, sealed = _unb64(parts[2]), _unb64(parts[3])
    except (binascii.Error, ValueError):
        raise CorruptSecret(f"{where} is not valid base64") from None
    if len(nonce) != NONCE_BYTES:
        raise CorruptSecret(f"{where} has a malformed nonce")
    return parts[1], nonce, sealed


def _aad(table: str, column: str, row_id: str, kid: str) -> bytes:
    return json.dumps([FORMAT, table, column, row_id, kid]).encode()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
