"""The repository's own checks bite: `buf breaking` (tools/buf_breaking.py) fails on a
removed field and passes an added one, in a fresh git history as CI's clone has; the lock
check (tools/check_lock.py) fails on a requirement the lock lacks or does not allow; and
pre-commit runs `make lint`."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BUF = Path(sys.executable).with_name("buf")
PROTO = Path("proto/ledger/xero/v1/xero_connect.proto")
FIELD = "  google.protobuf.Duration min_valid_for = 2;\n"


def tool(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def git(repo: Path, *args: str) -> None:
    subprocess.run(  # noqa: S603 - git on a scratch repository
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],  # noqa: S607
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def history(tmp_path: Path) -> Path:
    """A git repository whose one commit holds today's buf.yaml and proto/."""
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "proto", repo / "proto")
    shutil.copy(ROOT / "buf.yaml", repo / "buf.yaml")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "the contract")
    return repo


def commit_change(repo: Path, old: str, new: str) -> None:
    path = repo / PROTO
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    git(repo, "commit", "-q", "-am", "a change")


def buf_breaking(repo: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own tool
        [sys.executable, str(ROOT / "tools" / "buf_breaking.py"), "--buf", str(BUF)],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


class TestBufBreaking:
    def test_a_removed_field_fails(self, history: Path) -> None:
        commit_change(history, FIELD, "")
        done = buf_breaking(history)
        assert done.returncode != 0, done.stdout + done.stderr
        assert "min_valid_for" in done.stdout + done.stderr

    def test_an_added_field_passes(self, history: Path) -> None:
        commit_change(history, FIELD, FIELD + "  bool added_later = 99;\n")
        done = buf_breaking(history)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "keeps every contract" in done.stdout

    def test_a_branch_is_compared_with_where_it_leaves_main(self, history: Path) -> None:
        git(history, "checkout", "-q", "-b", "feature")
        commit_change(history, FIELD, "")
        commit_change(history, "string binding_id = 1;", "string binding_id = 1; // unchanged")
        done = buf_breaking(history)
        assert done.returncode != 0, "HEAD~1 alone would have missed the removal"

    def test_the_first_commit_has_nothing_to_break(self, history: Path) -> None:
        done = buf_breaking(history)
        assert done.returncode == 0 and "no earlier commit" in done.stdout


class TestLockCheck:
    def test_the_lock_fits_the_projects(self) -> None:
        check = tool("check_lock")
        assert check.problems(check.pins(check.LOCK.read_text())) == []

    def test_a_missing_or_disallowed_pin_is_reported(self, tmp_path: Path) -> None:
        check = tool("check_lock")
        locked = check.pins((ROOT / "requirements.lock").read_text())
        pyproject = tmp_path / "pyproject.toml"
        pyproject.write_text(
            '[project]\nname = "x"\nversion = "1"\n'
            'dependencies = ["flask<1", "surely-not-a-locked-package>=1"]\n'
        )
        check.ROOT = tmp_path
        found = check.problems(locked, (pyproject,))
        assert any("flask<1 does not allow" in problem for problem in found), found
        assert any("surely-not-a-locked-package" in problem for problem in found), found

    def test_every_lock_line_is_an_exact_pin(self) -> None:
        check = tool("check_lock")
        with pytest.raises(SystemExit, match="not an exact pin"):
            check.pins("flask>=3\n")


def test_pre_commit_runs_make_lint() -> None:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    assert [hook["entry"] for hook in hooks] == ["make lint"]
    assert all(hook["always_run"] and not hook["pass_filenames"] for hook in hooks)
