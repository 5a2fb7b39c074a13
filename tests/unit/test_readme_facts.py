"""The README cannot lie about configuration or metrics: every `LEDGER_*` variable it names is
one the code reads and every variable the code reads is in its Configuration table; every
metric it names is one the service exports, with the labels and label values the code gives
it, and every exported metric is in its Metrics table.

Both sides are read from the code itself, not from a list kept here: `Settings.from_env` is
run against a mapping that notes every key asked for (that catches the names built at run
time, `LEDGER_XERO_<ENV>_TIER`), every other `"LEDGER_..."` string constant in the service is
added, and the metrics come from a registry the code has filled."""

from __future__ import annotations

import ast
import contextlib
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prometheus_client import Metric
from prometheus_client.metrics import MetricWrapperBase

import domain.errors
from adapters.observability.metrics import Metrics
from adapters.observability.xero import InstrumentedXero
from app.settings import Settings
from domain.schedule import Backlog
from domain.tier import ConnectionUsage
from domain.usecases.sweeps import FleetStatus, SweepResult
from domain.values import BindingStatus, Environment
from domain.webhooks import SubscriberStatus, WebhookCursor

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
SERVICE = ("app", "adapters", "domain")
VARIABLE = re.compile(r"LEDGER_[A-Z0-9_<>*]*")
WHOLE_NAME = re.compile(r"LEDGER_[A-Z0-9_]*[A-Z0-9]")
METRIC = re.compile(r"`(ledger_[a-z_]+)(?:\{([a-z_,]*)\})?`")
LABEL_VALUE = re.compile(r'\b([a-z_]+)="([^"]*)"')
CODE = re.compile(r"`([^`]+)`")


def readme() -> str:
    return README.read_text()


def section(title: str) -> str:
    """The text under a `## title` or `### title` heading, up to the next heading."""
    found = re.search(rf"^#+ {re.escape(title)}\n(.*?)(?=^#+ )", readme() + "\n# ", re.S | re.M)
    assert found, f"README has no section {title!r}"
    return found.group(1)


def table_rows(text: str) -> Iterator[list[str]]:
    for line in text.splitlines():
        if line.startswith("|") and not re.match(r"\|[-| ]+\|$", line):
            yield [cell.strip() for cell in line.strip("|").split("|")]


# ---------------------------------------------------------------- LEDGER_* variables


class Recording(Mapping[str, str]):
    """An empty environment that notes every variable asked for."""

    def __init__(self) -> None:
        self.asked: set[str] = set()

    def __getitem__(self, key: str) -> str:
        self.asked.add(key)
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def read_by_the_code() -> set[str]:
    env = Recording()
    Settings.from_env(env)
    constants = set()
    for package in SERVICE:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                text = node.value if isinstance(node, ast.Constant) else None
                if isinstance(text, str) and WHOLE_NAME.fullmatch(text):
                    constants.add(text)
    assert len(env.asked) > 30, "Settings.from_env no longer reads the mapping it is given"
    return env.asked | constants


def expand(names: list[str]) -> set[str]:
    """`A` / `_SUFFIX` (the suffix replaces A's tail from the same word on), and `<ENV>` for
    each Xero environment."""
    out: set[str] = set()
    previous = ""
    for name in names:
        if name.startswith("_") and previous:
            first_word = "_" + name.split("_")[1]
            cut = previous.rfind(first_word)
            assert cut > 0, f"README: cannot tell what {name!r} abbreviates after {previous!r}"
            name = previous[:cut] + name
        previous = name
        if "<ENV>" in name:
            out |= {name.replace("<ENV>", env.name) for env in Environment}
        else:
            out.add(name)
    return out


def in_configuration_table() -> set[str]:
    names: set[str] = set()
    for row in table_rows(section("Configuration")):
        cell = [c for c in CODE.findall(row[0]) if c.startswith(("LEDGER_", "_"))]
        names |= expand(cell)
    return names


def named_anywhere() -> set[str]:
    """Every variable the README names in code spans, in any section; `LEDGER_X_*` is a
    prefix, kept with its star."""
    names: set[str] = set()
    for span in CODE.findall(readme()):
        for name in VARIABLE.findall(span):
            if name not in ("LEDGER_", "LEDGER_*"):
                names |= expand([name])
    return names


class TestVariables:
    def test_every_variable_the_code_reads_is_in_the_configuration_table(self) -> None:
        missing = read_by_the_code() - in_configuration_table()
        assert not missing, f"read by the code but not in README's Configuration: {missing}"

    def test_every_variable_the_readme_names_is_read_by_the_code(self) -> None:
        code = read_by_the_code()
        for name in named_anywhere() | in_configuration_table():
            if name.endswith("*"):
                prefix = name.rstrip("*")
                assert any(c.startswith(prefix) for c in code), f"README names {name}"
            else:
                assert name in code, f"README names {name}, which the code never reads"

    def test_the_tier_variables_are_found_though_built_at_run_time(self) -> None:
        code = read_by_the_code()
        assert {"LEDGER_XERO_SANDBOX_TIER", "LEDGER_XERO_PRODUCTION_EGRESS_GB"} <= code
        assert "LEDGER_XERO_<ENV>_TIER" not in code

    def test_the_abbreviations_expand(self) -> None:
        assert expand(["LEDGER_XERO_PRODUCTION_CLIENT_ID", "_CLIENT_SECRET"]) == {
            "LEDGER_XERO_PRODUCTION_CLIENT_ID",
            "LEDGER_XERO_PRODUCTION_CLIENT_SECRET",
        }
        assert "LEDGER_XERO_SANDBOX_DAILY_LIMIT" in expand(["LEDGER_XERO_<ENV>_DAILY_LIMIT"])

    def test_a_made_up_variable_would_be_caught(self) -> None:
        assert "LEDGER_NO_SUCH_THING" not in read_by_the_code()
        assert "LEDGER_DATABASE_URL" in in_configuration_table()


# ---------------------------------------------------------------- metrics


class RefreshOnly:
    """A XeroProvider whose refresh raises what it is told (None: succeeds)."""

    def __init__(self, error: BaseException | None) -> None:
        self._error = error

    def refresh(self, environment: Environment, refresh_token: str) -> object:
        if self._error is not None:
            raise self._error
        return object()


def every_error() -> Iterator[BaseException]:
    """One instance of every exception the domain defines, and one it does not."""
    for value in vars(domain.errors).values():
        if isinstance(value, type) and issubclass(value, Exception):
            error = value.__new__(value)
            error.args = ("test",)
            yield error
    yield RuntimeError("test")


def filled_metrics() -> Metrics:
    """A registry the code has fed with every outcome it can record."""
    metrics = Metrics()
    for error in [None, *every_error()]:
        xero = InstrumentedXero(RefreshOnly(error), metrics)  # type: ignore[arg-type]
        with contextlib.suppress(Exception):  # only what it counted matters here
            xero.refresh(Environment.SANDBOX, "refresh-token")
    metrics.record_sweeps(
        [
            SweepResult("tokens", outcomes=Counter(refreshed=1), seconds=0.1),
            SweepResult("reference", seconds=0.1, failed=True),
        ]
    )
    status = FleetStatus(
        at=datetime(2026, 11, 2, tzinfo=UTC),
        bindings=dict.fromkeys(BindingStatus, 1),
        exhausted=0,
        tokens=Backlog(),
        reference=Backlog(),
        connections={env: ConnectionUsage(env.value, 4, 50) for env in Environment},
    )
    metrics.watch_fleet(lambda: status)
    outcomes = ("delivered", "failed", "disabled", "taken", "lost")
    metrics.record_webhooks({("sync", outcome): 1 for outcome in outcomes})
    cursor = WebhookCursor("sync", 3)
    metrics.watch_webhooks(lambda: [SubscriberStatus("sync", True, cursor, 5)])
    return metrics


def documented_name(family: Metric) -> str:
    return family.name + "_total" if family.type == "counter" else family.name


def exported() -> dict[str, set[str]]:
    """Each exported metric by the name the README gives it, with its label names."""
    metrics = filled_metrics()
    wrappers = {
        w._name: set(w._labelnames)
        for w in vars(metrics).values()
        if isinstance(w, MetricWrapperBase)
    }
    out: dict[str, set[str]] = {}
    for family in metrics.registry.collect():
        labels = set(wrappers.get(family.name, set()))
        for sample in family.samples:
            labels |= set(sample.labels) - {"le"}
        out[documented_name(family)] = labels
    return out


def label_values() -> dict[str, dict[str, set[str]]]:
    """Each exported metric's label values, as the code above recorded them."""
    out: dict[str, dict[str, set[str]]] = {}
    for family in filled_metrics().registry.collect():
        values = out.setdefault(documented_name(family), {})
        for sample in family.samples:
            for label, value in sample.labels.items():
                values.setdefault(label, set()).add(value)
    return out


def metric_rows() -> Iterator[tuple[list[str], str]]:
    """Each row of the Metrics table: the metrics it names, and the rest of the row."""
    for row in table_rows(section("Metrics")):
        names = [name for name, _ in METRIC.findall(row[0])]
        if names:
            yield names, " | ".join(row[1:])


def metrics_table() -> dict[str, tuple[set[str], str]]:
    """Metric name to (documented labels, the rest of its row)."""
    out: dict[str, tuple[set[str], str]] = {}
    for row in table_rows(section("Metrics")):
        for name, labels in METRIC.findall(row[0]):
            out[name] = ({x for x in labels.split(",") if x}, " | ".join(row[1:]))
    return out


class TestMetrics:
    def test_every_exported_metric_is_in_the_table_with_its_labels(self) -> None:
        table = metrics_table()
        for name, labels in exported().items():
            assert name in table, f"{name} is exported but not in README's Metrics table"
            assert table[name][0] == labels, f"README: {name} has labels {sorted(labels)}"

    def test_every_documented_metric_is_exported(self) -> None:
        known = exported()
        named = {name for name, _ in METRIC.findall(readme())}
        assert set(metrics_table()) <= named and len(named) >= 12
        for name in named:
            assert name in known, f"README names {name}, which the service does not export"

    def test_every_documented_label_value_is_one_the_code_records(self) -> None:
        """`label="value"` in a row holds for the row's metrics that have that label."""
        values, table = label_values(), metrics_table()
        checked = 0
        for row_names, rest in metric_rows():
            for label, value in LABEL_VALUE.findall(rest):
                having = [name for name in row_names if label in table[name][0]]
                assert having, f'README: {label}="{value}" is no label of {row_names}'
                for name in having:
                    checked += 1
                    recorded = values[name].get(label, set())
                    assert value in recorded, f'README: {name} has no {label}="{value}"'
        assert checked >= 1

    @pytest.mark.parametrize(
        ("name", "label"),
        [("ledger_token_refreshes_total", "outcome"), ("ledger_sweep_runs_total", "result")],
    )
    def test_the_closed_vocabularies_are_listed_exactly(self, name: str, label: str) -> None:
        """The values in code spans of the row, label names aside, are what the code records."""
        recorded = label_values()[name][label]
        labels, rest = metrics_table()[name]
        listed = {value for value in CODE.findall(rest) if re.fullmatch(r"[a-z_]+", value)}
        listed |= {value for named, value in LABEL_VALUE.findall(rest) if named == label}
        listed -= labels | set(exported())
        assert listed == recorded, f"README lists {sorted(listed)}, code {sorted(recorded)}"

    def test_a_misnamed_value_would_be_caught(self) -> None:
        values = label_values()
        assert "failed" not in values["ledger_sweep_runs_total"]["result"]
        assert values["ledger_sweep_runs_total"]["result"] == {"ok", "error"}
