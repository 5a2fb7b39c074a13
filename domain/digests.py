"""Digests of one-time secrets, pairing codes, and the PKCE S256 challenge (RFC 7636)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field


def digest(secret: str) -> str:
    """SHA-256 of a high-entropy secret: enough for random codes, never for passwords."""
    return hashlib.sha256(secret.encode()).hexdigest()


def matches(secret: str, stored_digest: str) -> bool:
    return bool(stored_digest) and hmac.compare_digest(digest(secret), stored_digest)


@dataclass(frozen=True, slots=True)
class CodeDigest:
    """HMAC-SHA256 of a pairing code under a server key. A code has 40 bits, which one GPU
    walks through within the code's life; without the key a stolen table reveals nothing."""

    key: bytes = field(repr=False)

    def __call__(self, code: str) -> str:
        text = normalise_pairing_code(code).encode()
        return hmac.new(self.key, text, hashlib.sha256).hexdigest()

    @classmethod
    def random(cls) -> CodeDigest:
        """A key of this process alone: for tests and tools that never share codes."""
        return cls(secrets.token_bytes(32))

    @classmethod
    def derived(cls, server_secret: str) -> CodeDigest:
        """The key every replica derives from the one secret they share."""
        key = hmac.new(server_secret.encode(), b"ledger-connect pairing codes v1", "sha256")
        return cls(key.digest())


def pkce_challenge(verifier: str) -> str:
    raw = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_LOOKALIKES = str.maketrans("OIL", "011", "- ")


def pairing_code(entropy: str) -> str:
    """Eight Crockford base32 characters (40 bits) as `XXXX-XXXX`: read aloud and typed
    without I/L/1 or O/0 mix-ups. The entropy is a fresh random token."""
    number = int.from_bytes(hashlib.sha256(entropy.encode()).digest()[:5], "big")
    chars = "".join(CROCKFORD[(number >> (5 * i)) & 31] for i in reversed(range(8)))
    return f"{chars[:4]}-{chars[4:]}"


def normalise_pairing_code(text: str) -> str:
    """What a person typed, as the code was issued: any case, dashes and spaces, O for 0."""
    return text.strip().upper().translate(_LOOKALIKES)
