"""requirements.lock still fits the pyproject files: every requirement of the service (its
dev extra included) and of the emulator is pinned there, exactly, at a version the
requirement allows. A dependency added or narrowed without `make lock` fails here, in
`make lint`, instead of installing something nobody locked.

    python tools/check_lock.py
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
PROJECTS = (ROOT / "pyproject.toml", ROOT / "emulator" / "pyproject.toml")
PIN = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)")


def pins(text: str) -> dict[str, Version]:
    found: dict[str, Version] = {}
    for line in text.splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        match = PIN.fullmatch(line)
        if match is None:
            raise SystemExit(f"{LOCK.name}: {line!r} is not an exact pin (name==version)")
        found[canonicalize_name(match[1])] = Version(match[2])
    return found


def requirements(pyproject: Path) -> list[Requirement]:
    project = tomllib.loads(pyproject.read_text())["project"]
    listed = list(project.get("dependencies", []))
    listed += project.get("optional-dependencies", {}).get("dev", [])
    return [Requirement(text) for text in listed]


def problems(locked: dict[str, Version], projects: tuple[Path, ...] = PROJECTS) -> list[str]:
    out = []
    for pyproject in projects:
        for requirement in requirements(pyproject):
            version = locked.get(canonicalize_name(requirement.name))
            where = f"{pyproject.relative_to(ROOT)}: {requirement}"
            if version is None:
                out.append(f"{where} is not in {LOCK.name}")
            elif not requirement.specifier.contains(version, prereleases=True):
                out.append(f"{where} does not allow the locked {version}")
    return out


def main() -> int:
    found = problems(pins(LOCK.read_text()))
    for problem in found:
        print(problem, file=sys.stderr)
    if found:
        print("run `make lock` to bring requirements.lock up to date", file=sys.stderr)
        return 1
    print(f"{LOCK.name} pins every requirement of {len(PROJECTS)} projects")
    return 0


if __name__ == "__main__":
    sys.exit(main())
