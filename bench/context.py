"""What every benchmark is given: quick or full, which backends, a scratch directory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Context:
    quick: bool
    backends: tuple[str, ...]
    workdir: Path

    def pick(self, quick: T, full: T) -> T:
        return quick if self.quick else full
