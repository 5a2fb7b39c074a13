"""Results: one JSON file per benchmark under bench/results/, and the Markdown summary table."""

from __future__ import annotations

import json
import os
import platform
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the summary table; `value` and `baseline` are already formatted."""

    benchmark: str
    backend: str
    measure: str
    value: str
    baseline: str = ""
    ratio: str = ""
    target: str = ""


@dataclass
class Outcome:
    """What one benchmark hands back: table rows, notes for the reader, raw figures."""

    name: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def note(self, text: str) -> None:
        print(f"  note: {text}", flush=True)
        self.notes.append(text)


def machine() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "load_average_at_start": os.getloadavg(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def save(outcome: Outcome, run_info: dict[str, Any], started: dict[str, Any]) -> Path:
    """`started`: `machine()` as the benchmark began (its date and load are the start's)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{outcome.name}.json"
    body = {"machine": started, "run": run_info, **asdict(outcome)}
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(body, indent=2, default=str) + "\n")
    temporary.replace(path)
    return path


def markdown(outcomes: list[Outcome]) -> str:
    return markdown_rows([row for outcome in outcomes for row in outcome.rows])


def markdown_rows(rows: list[Row]) -> str:
    head = ("benchmark", "backend", "measure", "median", "baseline (same run)", "ratio", "target")
    lines = [_line(head), _line(tuple("---" for _ in head))]
    lines += [_line(tuple(asdict(row).values())) for row in rows]
    return "\n".join(lines)


def _line(cells: tuple[str, ...]) -> str:
    return "| " + " | ".join(c.replace("|", "/") for c in cells) + " |"


def ms(value: float) -> str:
    return f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"


def per_s(value: float) -> str:
    return f"{value:,.0f}/s"


def times(value: float) -> str:
    return f"{value:.2f}x"
