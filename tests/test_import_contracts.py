"""The import-linter contracts bite: each violation planted in a copy of the tree fails
`lint-imports`, naming the contract it breaks, while the untouched copy passes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Each package of the tree and where it lives (the emulator is a distribution of its own).
PACKAGES = {
    "domain": "domain",
    "adapters": "adapters",
    "app": "app",
    "xero_emulator": "emulator/xero_emulator",
}
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

# (where, the line planted at its top, the contract that must report it)
VIOLATIONS = [
    pytest.param(
        "adapters/http/views/settings.py",
        "from sqlalchemy import text",
        "driving adapters import no database, HTTP client, OAuth or crypto library",
        id="sql-in-a-flask-view",
    ),
    pytest.param(
        "adapters/http/views/settings.py",
        "from adapters.persistence.uow import SqlUnitOfWorkFactory",
        "the adapters are independent; only the composition root joins them",
        id="unit-of-work-in-a-flask-view",
    ),
    pytest.param(
        "adapters/grpc/servicer.py",
        "import httpx",
        "driving adapters import no database, HTTP client, OAuth or crypto library",
        id="httpx-in-the-grpc-adapter",
    ),
    pytest.param(
        "adapters/grpc/servicer.py",
        "from adapters.http.forms import parse_settings",
        "the adapters are independent; only the composition root joins them",
        id="one-driving-adapter-imports-another",
    ),
    pytest.param(
        "domain/binding.py",
        "from domain.usecases.tokens import TokenService",
        "entities and value objects never import use cases",
        id="an-entity-imports-a-use-case",
    ),
    pytest.param(
        "adapters/persistence/uow.py",
        "import flask",
        "persistence imports no web, gRPC or HTTP client library",
        id="flask-in-persistence",
    ),
    pytest.param(
        "adapters/webhooks/sender.py",
        "import sqlalchemy",
        "the webhook sender imports no database, web or gRPC library",
        id="sqlalchemy-in-the-webhook-sender",
    ),
    pytest.param(
        "adapters/webhooks/sender.py",
        "from adapters.persistence.uow import SqlUnitOfWorkFactory",
        "the adapters are independent; only the composition root joins them",
        id="persistence-in-the-webhook-sender",
    ),
    pytest.param(
        "adapters/xero/provider.py",
        "import sqlalchemy",
        "the Xero adapter imports no database, web or gRPC library",
        id="sqlalchemy-in-the-xero-adapter",
    ),
    pytest.param(
        "adapters/http/forms.py",
        "import cryptography",
        "driving adapters import no database, HTTP client, OAuth or crypto library",
        id="cryptography-in-the-http-adapter",
    ),
    pytest.param(
        "domain/grant.py",
        "from adapters.persistence import tables",
        "layers: the composition root above the adapters above the domain",
        id="the-domain-imports-an-adapter",
    ),
    pytest.param(
        "domain/policy.py",
        "import httpx",
        "the domain imports no third-party library",
        id="a-library-in-the-domain",
    ),
    pytest.param(
        "adapters/grpc/convert.py",
        "from app.settings import Settings",
        "layers: the composition root above the adapters above the domain",
        id="an-adapter-imports-the-composition-root",
    ),
    pytest.param(
        "adapters/observability/metrics.py",
        "from adapters.persistence.database import Database",
        "the adapters are independent; only the composition root joins them",
        id="observability-imports-persistence",
    ),
    pytest.param(
        "adapters/system.py",
        "from adapters.xero import provider",
        "shared adapter modules join no adapter to another",
        id="a-shared-module-bridges-two-adapters",
    ),
    pytest.param(
        "adapters/xero/config.py",
        "from xero_emulator.settings import DEFAULT_CLIENT_ID",
        "only the composition root may start the emulator",
        id="an-adapter-imports-the-emulator",
    ),
    pytest.param(
        "xero_emulator/app.py",
        "from domain.values import Environment",
        "the emulator shares no code with the service",
        id="the-emulator-imports-the-service",
    ),
]


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("tree")
    for package, where in PACKAGES.items():
        shutil.copytree(ROOT / where, copy / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` on the copy: its packages come first on the path, not the worktree's."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_untouched_tree_keeps_every_contract(tree: Path) -> None:
    result = lint_imports(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " broken" not in result.stdout.lower().replace("0 broken", "")


@pytest.mark.parametrize(("where", "line", "contract"), VIOLATIONS)
def test_a_planted_violation_fails_lint_imports(
    tree: Path, where: str, line: str, contract: str
) -> None:
    path = tree / where
    original = path.read_text()
    head, sep, rest = original.partition("from __future__ import annotations\n")
    planted = f"{head}{sep}{line}  # planted\n{rest}" if sep else f"{line}  # planted\n{original}"
    path.write_text(planted)
    try:
        result = lint_imports(tree)
    finally:
        path.write_text(original)
    assert result.returncode != 0, f"{line!r} in {where} went through:\n{result.stdout}"
    assert f"{contract} BROKEN" in result.stdout, result.stdout
