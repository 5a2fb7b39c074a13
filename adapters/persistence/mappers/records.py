"""Rows of the plain records: accounts, pairing codes and binding events."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.account import Account
from domain.connect import PairingCode
from domain.events import BindingEvent
from domain.values import BindingStatus, Environment, EventKind

Row = Mapping[Any, Any]


def account_row(account: Account) -> dict[str, Any]:
    return {
        "id": account.id,
        "email": account.email,
        "plan": account.plan,
        "password_hash": account.password_hash,
        "environment": account.environment.value,
    }


def account_from(row: Row) -> Account:
    return Account(
        id=row["id"],
        email=row["email"],
        plan=row["plan"],
        password_hash=row["password_hash"],
        environment=Environment(row["environment"]),
    )


def pairing_code_row(code: PairingCode) -> dict[str, Any]:
    return {
        "code_hash": code.code_hash,
        "binding_id": code.binding_id,
        "account_id": code.account_id,
        "created_at": code.created_at,
        "used_at": code.used_at,
        "refusals": code.refusals,
    }


def pairing_code_from(row: Row) -> PairingCode:
    return PairingCode(
        code_hash=row["code_hash"],
        binding_id=row["binding_id"],
        account_id=row["account_id"],
        created_at=row["created_at"],
        used_at=row["used_at"],
        refusals=row["refusals"],
    )


def event_from(row: Row) -> BindingEvent:
    return BindingEvent(
        binding_id=row["binding_id"],
        kind=EventKind(row["kind"]),
        reason=row["reason"],
        at=row["at"],
        id=row["id"],
        revision=row["revision"],
        account_id=row["account_id"],
        status=BindingStatus(row["status"]),
    )
