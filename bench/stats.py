"""Small statistics for the benchmarks: medians, percentiles, latency summaries."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from typing import TypeVar

T = TypeVar("T")


def median(values: Iterable[float]) -> float:
    data = list(values)
    return statistics.median(data) if data else math.nan


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (q in 0..100)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def latency_summary(seconds: Iterable[float]) -> dict[str, float]:
    """p50, p99 and max in milliseconds, and the sample count."""
    ordered = sorted(s * 1000 for s in seconds)
    return {
        "n": len(ordered),
        "p50_ms": percentile(ordered, 50),
        "p99_ms": percentile(ordered, 99),
        "max_ms": ordered[-1] if ordered else math.nan,
    }


def ratio(value: float, baseline: float) -> float:
    return value / baseline if baseline else math.nan


def rotated(names: Sequence[T], n: int) -> list[T]:
    """`names` starting at the n-th (wrapping): round n's order, so no arm always runs first."""
    k = n % len(names)
    return [*names[k:], *names[:k]]
