"""The shipped Prometheus alert rules and Grafana dashboard speak of metrics the code exports,
with labels those metrics have; promtool checks the rules and runs their unit tests (it is
installed by .ci/run, so CI never skips that half)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from prometheus_client.metrics import MetricWrapperBase

from adapters.observability.metrics import Metrics
from domain.schedule import Backlog
from domain.tier import ConnectionUsage
from domain.usecases.sweeps import FleetStatus
from domain.values import BindingStatus, Environment

OPS = Path(__file__).resolve().parents[3] / "ops"
RULES = OPS / "prometheus" / "alerts.yml"
RULE_TESTS = OPS / "prometheus" / "alerts_test.yml"
DASHBOARD = OPS / "grafana" / "ledger-connect.json"
SELECTOR = re.compile(r"\b(ledger_[a-z_]+)\b(\{[^}]*\})?")
LABEL = re.compile(r"(\w+)\s*(?:=~|!~|!=|=)")
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}
WANTED_ALERTS = {
    "refresh failures": "LedgerTokenRefreshesFailing",
    "bindings entering NEEDS_RECONNECT": "LedgerBindingsNeedReconnect",
    "connection cap near": "LedgerXeroConnectionCapNear",
    "sweeps falling behind": "LedgerTokenSweepBehind",
    "Xero 429s": "LedgerXeroRateLimited",
}


def exported() -> dict[str, set[str]]:
    """Every series name the service exports, with the label names it carries."""
    metrics = Metrics()
    status = FleetStatus(
        at=datetime(2026, 11, 2, tzinfo=UTC),
        bindings=dict.fromkeys(BindingStatus, 1),
        exhausted=0,
        tokens=Backlog(),
        reference=Backlog(),
        connections={Environment.PRODUCTION: ConnectionUsage("production", 45, 50)},
    )
    metrics.watch_fleet(lambda: status)
    names: dict[str, set[str]] = {}
    for wrapper in vars(metrics).values():
        if isinstance(wrapper, MetricWrapperBase):
            labels = set(wrapper._labelnames) | ({"le"} if wrapper._type == "histogram" else set())
            for suffix in SUFFIXES[str(wrapper._type)]:
                names[wrapper._name + suffix] = labels
    for family in metrics.registry.collect():
        for sample in family.samples:
            names.setdefault(sample.name, set()).update(sample.labels)
    return names


def expressions() -> Iterator[tuple[str, str]]:
    rules = yaml.safe_load(RULES.read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            yield f"alert {rule['alert']}", rule["expr"]
    for panel in json.loads(DASHBOARD.read_text())["panels"]:
        for target in panel["targets"]:
            yield f"panel {panel['title']!r}", target["expr"]


class TestAgainstTheCode:
    def test_every_series_and_label_used_is_exported(self) -> None:
        known = exported()
        used = 0
        for where, expr in expressions():
            for name, selector in SELECTOR.findall(expr):
                used += 1
                assert name in known, f"{where} uses {name}, which the service does not export"
                for label in LABEL.findall(selector):
                    assert label in known[name], f"{where}: {name} has no label {label!r}"
        assert used > 20

    def test_the_issue_s_alerts_are_all_there(self) -> None:
        rules = yaml.safe_load(RULES.read_text())
        names = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
        assert set(WANTED_ALERTS.values()) <= names

    def test_the_dashboard_is_importable(self) -> None:
        dashboard = json.loads(DASHBOARD.read_text())
        ids = [panel["id"] for panel in dashboard["panels"]]
        assert dashboard["uid"] and len(ids) == len(set(ids)) >= 10
        assert {v["name"] for v in dashboard["templating"]["list"]} == {"datasource"}
        for panel in dashboard["panels"]:
            assert panel["datasource"]["uid"] == "${datasource}" and panel["targets"]

    def test_the_check_fails_on_a_metric_nobody_exports(self) -> None:
        known = exported()
        assert "ledger_token_refreshes_total" in known
        assert "ledger_tokens_refreshed_total" not in known


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("promtool is missing: .ci/run installs Debian's prometheus package")
        pytest.skip("promtool is not installed (apt-get install prometheus)")
    return found


@pytest.mark.parametrize(
    "command", [["check", "rules", str(RULES)], ["test", "rules", str(RULE_TESTS)]]
)
def test_promtool(command: list[str]) -> None:
    done = subprocess.run(
        [promtool(), *command], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
