"""What a binding id in a request may be, checked before anything else reads it.

Binding ids are ours (UUIDs), so anything but 1-128 plain characters cannot name one and is
INVALID_ARGUMENT at once. Only an id that passed this check is ever echoed back (in an
ErrorInfo) or logged: a 10 KB id once came back in the error trailers, which the client
then refused as RESOURCE_EXHAUSTED instead of reading the real refusal.
"""

from __future__ import annotations

import re

from domain.errors import ValidationFailed

MAX_LENGTH = 128
_PLAIN = re.compile(rf"[A-Za-z0-9._:-]{{1,{MAX_LENGTH}}}")


def is_valid(value: str) -> bool:
    return _PLAIN.fullmatch(value) is not None


def validated(value: str) -> str:
    if not is_valid(value):
        raise ValidationFailed(f"binding_id is required: 1 to {MAX_LENGTH} of A-Z a-z 0-9 . _ : -")
    return value


def echoable(value: str) -> str:
    """`value` if it may appear in an answer or a log line, else the empty string."""
    return value if is_valid(value) else ""
