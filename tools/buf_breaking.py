"""`buf breaking` of `proto/` against the previous commit of main (the FILE rules of buf.yaml).

The commit compared against: where this branch leaves main (`git merge-base HEAD main`) when
the branch has commits of its own, else `HEAD~1`, which on main, as in CI's clone, is main's
previous commit. Its `buf.yaml` and `proto/` are taken with `git archive` into a temporary
directory, so the check works the same in a worktree and in a fresh clone; a shallow clone
is deepened by one commit first. A first commit, or one without `proto/`, has nothing to
break.

    python tools/buf_breaking.py [--buf PATH] [--against REF]
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

CONTRACT = ("buf.yaml", "proto")


def git(*args: str, check: bool = True) -> str:
    done = subprocess.run(["git", *args], capture_output=True, text=True, check=False)  # noqa: S603, S607
    if check and done.returncode != 0:
        raise SystemExit(f"git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout.strip() if done.returncode == 0 else ""


def commit_of(ref: str) -> str:
    return git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)


def previous_of_main() -> str:
    """The commit to compare against, or "" when there is none."""
    head = commit_of("HEAD")
    base = git("merge-base", "HEAD", "main", check=False) if commit_of("main") else ""
    if base and base != head:
        return base
    if not commit_of("HEAD~1") and git("rev-parse", "--is-shallow-repository") == "true":
        git("fetch", "--quiet", "--deepen=1")
    return commit_of("HEAD~1")


def extract(commit: str, into: Path) -> bool:
    """The commit's buf.yaml and proto/ under `into`; False if it has no proto/."""
    listed = git("ls-tree", "--name-only", commit, *CONTRACT)
    if "proto" not in listed.split():
        return False
    command = ["git", "archive", "--format=tar", commit, *CONTRACT]  # noqa: S607
    archive = subprocess.run(command, capture_output=True, check=True).stdout  # noqa: S603
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buf", default=str(Path(sys.executable).with_name("buf")))
    parser.add_argument("--against", help="a commit or ref (default: main's previous commit)")
    args = parser.parse_args(argv)
    against = commit_of(args.against) if args.against else previous_of_main()
    if not against:
        print("buf breaking: no earlier commit to compare against")
        return 0
    with tempfile.TemporaryDirectory(prefix="buf-against-") as tmp:
        if not extract(against, Path(tmp)):
            print(f"buf breaking: {against[:12]} has no proto/ to compare against")
            return 0
        done = subprocess.run([args.buf, "breaking", "--against", tmp], check=False)  # noqa: S603
    if done.returncode == 0:
        print(f"buf breaking: proto/ keeps every contract of {against[:12]}")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
