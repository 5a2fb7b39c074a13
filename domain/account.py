"""A merchant's chassis account and the plan that caps what it may connect."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.errors import ValidationFailed
from domain.values import Environment


@dataclass(frozen=True, slots=True)
class Plan:
    name: str
    max_organisations: int
    max_websites: int

    def __post_init__(self) -> None:
        if not self.name:
            raise ValidationFailed("a plan needs a name")
        if self.max_organisations < 0 or self.max_websites < 0:
            raise ValidationFailed("plan limits cannot be negative")


@dataclass(slots=True)
class Account:
    id: str
    email: str
    plan: str
    password_hash: str = field(repr=False, default="")
    environment: Environment = Environment.PRODUCTION

    def __post_init__(self) -> None:
        self.email = self.email.strip().lower()
        if "@" not in self.email or len(self.email) > 254:
            raise ValidationFailed("a valid email address is required")
