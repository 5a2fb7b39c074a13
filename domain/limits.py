"""What a plan's limits mean for the merchant, said once, before the action that would hit them."""

from __future__ import annotations


def counted(n: int, singular: str, plural: str = "") -> str:
    """`1 website`, `5 websites`."""
    return f"{n} {singular if n == 1 else plural or singular + 's'}"


def websites_full(used: int, allowed: int) -> str | None:
    """Why a new binding cannot be paired at the website limit, or None below it."""
    if used < allowed:
        return None
    if used > allowed:
        return (
            f"{counted(used, 'website')} in use where your plan allows {allowed}: "
            "upgrade your plan or disconnect a shop before adding one"
        )
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


def over_limits(plan: str, orgs: tuple[int, int], websites: tuple[int, int]) -> str | None:
    """What an account using more than its plan allows (the plan was lowered) may still do,
    and what brings it back within the plan; None within the limits. Pairs are (used,
    allowed). Nothing already connected stops syncing: only adding, and a reconnect that
    would count one organisation too many, are refused."""
    over = [
        f"{used} {noun}s in use where it allows {allowed}"
        for noun, (used, allowed) in (("Xero organisation", orgs), ("Magento website", websites))
        if used > allowed
    ]
    if not over:
        return None
    fixes = []
    if orgs[0] > orgs[1]:
        fixes.append(f"disconnect {counted(orgs[0] - orgs[1], 'organisation')}")
    if websites[0] > websites[1]:
        fixes.append(f"disconnect shops with {counted(websites[0] - websites[1], 'website')}")
    return (
        f"Your {plan} plan is exceeded: {' and '.join(over)}. Your connected shops keep syncing, "
        "but you cannot add a shop or an organisation, and reconnecting may be refused, until "
        f"you upgrade your plan or {' and '.join(fixes)}."
    )
