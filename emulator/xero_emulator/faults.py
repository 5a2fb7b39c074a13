"""Fault injection: latency, random errors, failing token calls and lost rotation answers."""

from __future__ import annotations

import random
from dataclasses import dataclass, field, fields
from typing import Any

FAIL_MODES = ("5xx", "timeout")


class FaultError(ValueError):
    """The requested fault configuration is invalid."""


@dataclass(slots=True)
class Faults:
    """The faults currently switched on; all off after a reset."""

    timeout_sleep_s: float
    latency_ms: int = 0
    latency_paths: tuple[str, ...] = ()
    error_rate: float = 0.0
    error_paths: tuple[str, ...] = ()
    fail_next_token_calls: int = 0
    fail_mode: str = "5xx"
    drop_answer_after_rotation: int = 0
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def update(self, payload: dict[str, Any]) -> None:
        """Apply a control-API payload atomically; unknown or invalid values raise FaultError."""
        known = self.public()
        unknown = sorted(set(payload) - set(known))
        if unknown:
            raise FaultError(f"unknown faults {unknown}; known: {sorted(known)}")
        changes = {key: _coerce(key, value) for key, value in payload.items()}
        if not 0.0 <= changes.get("error_rate", self.error_rate) <= 1.0:
            raise FaultError("error_rate must be between 0 and 1")
        if changes.get("fail_mode", self.fail_mode) not in FAIL_MODES:
            raise FaultError(f"fail_mode must be one of {FAIL_MODES}")
        for key, value in changes.items():
            setattr(self, key, value)

    def latency_for(self, path: str) -> float:
        """Seconds to delay a request to path."""
        if self.latency_ms and _matches(path, self.latency_paths):
            return self.latency_ms / 1000
        return 0.0

    def random_error(self, path: str) -> bool:
        """Whether this request to path should fail at random."""
        return (
            bool(self.error_rate)
            and _matches(path, self.error_paths)
            and (self.rng.random() < self.error_rate)
        )

    def take_token_failure(self) -> str | None:
        """The failure mode for this token call, if one is still armed."""
        if self.fail_next_token_calls <= 0:
            return None
        self.fail_next_token_calls -= 1
        return self.fail_mode

    def take_dropped_answer(self) -> bool:
        """Whether to lose the answer to this successful rotation."""
        if self.drop_answer_after_rotation <= 0:
            return False
        self.drop_answer_after_rotation -= 1
        return True

    def public(self) -> dict[str, Any]:
        """The settings as JSON."""
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "rng"}
        return data | {k: list(v) for k, v in data.items() if k.endswith("_paths")}


def _coerce(key: str, value: Any) -> Any:
    try:
        if key.endswith("_paths"):
            return tuple(str(p) for p in value)
        if key == "fail_mode":
            return str(value)
        number = float(value) if key in ("error_rate", "timeout_sleep_s") else int(value)
    except (TypeError, ValueError) as e:
        raise FaultError(f"bad value for {key!r}") from e
    if number < 0:
        raise FaultError(f"{key!r} must not be negative")
    return number


def _matches(path: str, prefixes: tuple[str, ...]) -> bool:
    return not prefixes or any(path.startswith(p) for p in prefixes)
