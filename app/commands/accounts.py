"""`ledger-connect accounts`: create merchant accounts, set their plan and Xero environment, end
their browser sessions."""

from __future__ import annotations

import argparse
import secrets

from adapters.passwords import hash_password
from app.bootstrap import Container
from app.commands.context import container
from app.errors import CommandError
from domain.values import Environment


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("accounts", help="manage merchant accounts")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create an account; prints its password once")
    create.add_argument("--email", required=True)
    create.add_argument("--plan", required=True)
    create.add_argument("--environment", choices=[e.value for e in Environment])
    create.set_defaults(handler=_create)
    plan = actions.add_parser("set-plan", help="move an account to another plan")
    plan.add_argument("account", help="account id or email")
    plan.add_argument("plan")
    plan.set_defaults(handler=_set_plan)
    env = actions.add_parser("set-environment", help="point an account at a Xero environment")
    env.add_argument("account", help="account id or email")
    env.add_argument("environment", choices=[e.value for e in Environment])
    env.set_defaults(handler=_set_environment)
    logout = actions.add_parser("logout-all", help="end every browser session of an account")
    logout.add_argument("account", help="account id or email")
    logout.set_defaults(handler=_logout_all)


def _create(args: argparse.Namespace) -> int:
    password = secrets.token_urlsafe(12)
    with container() as built:
        service = built.service
        account = service.accounts.create(args.email, args.plan, hash_password(password))
        if args.environment:
            service.set_environment(account.id, Environment(args.environment))
    print(f"account {account.id} created for {account.email} on the {account.plan} plan")
    print(f"password (shown once): {password}")
    return 0


def _set_plan(args: argparse.Namespace) -> int:
    with container() as built:
        account = built.service.accounts.set_plan(_account_id(built, args.account), args.plan)
    print(f"account {account.email} is now on the {account.plan} plan")
    return 0


def _set_environment(args: argparse.Namespace) -> int:
    environment = Environment(args.environment)
    with container() as built:
        moved = built.service.set_environment(_account_id(built, args.account), environment)
    print(f"account now uses the {environment} Xero environment")
    for binding_id in moved:
        print(f"binding {binding_id} needs Xero reconnected")
    return 0


def _logout_all(args: argparse.Namespace) -> int:
    with container() as built:
        account = built.service.queries.account(_account_id(built, args.account))
        ended = built.service.sessions.end_all(account.id)
    print(f"ended {ended} browser session(s) of {account.email}")
    return 0


def _account_id(built: Container, ref: str) -> str:
    if "@" not in ref:
        return ref
    account = built.service.accounts.by_email(ref)
    if account is None:
        raise CommandError(f"no account for {ref}")
    return account.id
