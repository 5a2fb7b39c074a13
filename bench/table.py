"""`python -m bench.table`: the README's performance table from bench/results/*.json.

Each benchmark's rows as its last run saved them (baselines from that same run), in issue
order, with the date, the machine's load when it started, and whether it was a quick run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.report import RESULTS, Row, markdown_rows

ORDER = (
    "fast_path",
    "fast_path_streams",
    "cache_miss",
    "scale",
    "refresh_storm",
    "tracing",
    "prefetch",
    "report_herd",
    "watch_latency",
)


def results(directory: Path = RESULTS) -> list[dict[str, Any]]:
    found = {p.stem: json.loads(p.read_text()) for p in sorted(directory.glob("*.json"))}
    ordered = [found.pop(name) for name in ORDER if name in found]
    return ordered + list(found.values())


def runs_line(result: dict[str, Any]) -> str:
    machine, run = result["machine"], result["run"]
    load = ", ".join(f"{x:.1f}" for x in machine["load_average_at_start"])
    kind = "quick" if run.get("quick") else "full"
    elapsed = result["details"].get("elapsed_s")
    took = f", {elapsed:.0f} s" if elapsed else ""
    return f"- `{result['name']}`: {kind} run on {machine['date'][:16]} UTC{took}, load {load}"


def main() -> None:
    saved = results()
    rows = [Row(**row) for result in saved for row in result["rows"]]
    print(markdown_rows(rows))
    print()
    print("\n".join(runs_line(result) for result in saved))


if __name__ == "__main__":
    main()
