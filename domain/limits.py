"""What a plan's limits mean for the merchant, said once, before the action that would hit them."""

from __future__ import annotations


def counted(n: int, singular: str, plural: str = "") -> str:
    """`1 website`, `5 websites`."""
    return f"{n} {singular if n == 1 else plural or singular + 's'}"


def websites_full(used: int, allowed: int) -> str | None:
    """Why a new binding cannot be paired at the website limit, or None below it."""
    if used < allowed:
        return None
    return (
        f"{used} of {counted(allowed, 'website')} used: "
        "upgrade your plan or disconnect one before adding a shop"
    )


def organisations_note(used: int, allowed: int) -> str:
    """What the organisation limit means before the merchant goes to Xero."""
    if used < allowed:
        return (
            f"Your plan connects up to {counted(allowed, 'Xero organisation')}; "
            f"{used} {'is' if used == 1 else 'are'} in use."
        )
    return (
        f"{used} of {counted(allowed, 'Xero organisation')} used: you can connect one of the "
        "organisations already in use; for another one, upgrade your plan or disconnect one first."
    )
