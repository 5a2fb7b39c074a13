"""A benchmark's saved results carry the machine as the benchmark began: its date and load
average are the start's, as the README's table says, not the moment the file is written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import report


def test_saved_results_carry_the_machine_as_the_run_began(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report, "RESULTS", tmp_path)
    started = report.machine() | {"load_average_at_start": [0.5, 1.0, 1.5], "date": "then"}
    outcome = report.Outcome("example")
    path = report.save(outcome, {"benchmark": "example"}, started)
    saved = json.loads(path.read_text())
    assert saved["machine"]["date"] == "then"
    assert saved["machine"]["load_average_at_start"] == [0.5, 1.0, 1.5]
    assert saved["run"] == {"benchmark": "example"}
