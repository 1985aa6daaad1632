"""Timing helpers for the benchmark scripts: median of several runs, printed as a table row."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_seconds(
    func: Callable[[], object], *, runs: int = 5, setup: Callable[[], object] | None = None
) -> tuple[float, list[float]]:
    """Run ``func`` ``runs`` times (``setup`` before each, untimed); return the median and all times."""
    times = []
    for _ in range(runs):
        if setup:
            setup()
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return statistics.median(times), times


def report(name: str, median: float, times: list[float], *, target: float | None = None, unit: str = "s") -> None:
    """Print one benchmark line: name, median, all runs, target and whether it is met."""
    runs = ", ".join(f"{t:.3f}" for t in times)
    verdict = "" if target is None else ("  OK" if median <= target else "  OVER TARGET")
    goal = "" if target is None else f" (target ≤ {target:g} {unit})"
    print(f"{name:<55} median {median:.3f} {unit}{goal}{verdict}   runs: {runs}")
