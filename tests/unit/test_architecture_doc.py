"""docs/architecture.md and the decision records name files, classes and contracts that
exist: a rename that forgets the docs fails here."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = [DOCS / "architecture.md", *sorted((DOCS / "decisions").glob("*.md"))]
# `path/to/file.py`, `path/to/dir/`, optionally `::Name`
TOP = "domain|adapters|app|tests|bench|emulator|proto|ops"
REFERENCE = re.compile(rf"`((?:{TOP})/[\w/.-]*)(::\w+)?`")
LINK = re.compile(r"\]\(([^)#]+)\)")


def references(page: Path) -> list[tuple[str, str]]:
    return [(path, name.lstrip(":")) for path, name in REFERENCE.findall(page.read_text())]


def test_the_pages_name_something() -> None:
    assert len(PAGES) >= 4
    assert len(references(DOCS / "architecture.md")) >= 20


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_named_file_and_class_exists(page: Path) -> None:
    for path, name in references(page):
        target = ROOT / path
        assert target.exists(), f"{page.name} names {path}, which does not exist"
        if name:
            source = target.read_text()
            assert re.search(rf"^\s*(class|def) {name}\b", source, re.M), f"{path}::{name}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_link_resolves(page: Path) -> None:
    for target in LINK.findall(page.read_text()):
        if "://" not in target:
            assert (page.parent / target).exists(), f"{page.name} links to {target}"


def test_the_contracts_table_names_only_real_contracts() -> None:
    text = (DOCS / "architecture.md").read_text()
    table = text.split("The rules, each a contract")[1].split("\n## ")[0]
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    names = [c["name"] for c in config["tool"]["importlinter"]["contracts"]]
    for row in table.splitlines()[4:]:
        if row.startswith("|"):
            cell = row.strip("|").split("|")[1].strip()
            if cell != "per-side ban":
                assert any(name.startswith(cell) for name in names), f"no contract {cell!r}"
    bans = [n for n in names if re.search(r" imports? no ", n) and "domain" not in n]
    assert table.count("per-side ban") == len(bans)


def test_the_readme_links_the_architecture_and_the_decisions() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "docs/architecture.md" in readme
    for record in sorted((DOCS / "decisions").glob("0*.md")):
        assert f"docs/decisions/{record.name}" in readme, record.name
