"""Comparison with a baseline: relative change, its confidence interval, the regression level.

For latency objectives both runs are cut into intervals (`query_range`); the relative
change of their medians gets a bootstrap confidence interval (resampling both sides, a
seeded RNG so the same data gives the same verdict). A regression is FAIL only when the
whole interval lies past the criterion, WARN when it straddles it: a noisy but unchanged
run is not called a regression. Without intervals the change is a single point.
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Mapping, Sequence

from gate.model import RelativeCriterion
from gate.thresholds import judge_interval, judge_value
from gate.verdicts import BaselineComparison, Status

MIN_INTERVALS = 5
BOOTSTRAP_ROUNDS = 2000
SEED = 20240601


def unusable_baseline(baseline: float | None, intervals: Sequence[float] = ()) -> str | None:
    """Why a baseline cannot anchor a relative change, or None when it can.

    Below zero, current / baseline - 1 turns its sign: a value falling from -10 to -20 would
    read as +100%. Zero stays usable: 0 to 0 is no change, anything else an infinite change
    that no criterion accepts.
    """
    negative = [value for value in (baseline, *intervals) if value is not None and value < 0]
    if negative:
        return (
            f"the baseline is below zero ({negative[0]:g}): a relative change against it "
            "would have its sign turned"
        )
    return None


def relative_change(current: float, baseline: float) -> float:
    if baseline == 0:
        return 0.0 if current == 0 else math.copysign(math.inf, current)
    return current / baseline - 1.0


def bootstrap_ci(
    current: Sequence[float],
    baseline: Sequence[float],
    confidence: float = 0.95,
    rounds: int = BOOTSTRAP_ROUNDS,
    seed: int = SEED,
) -> tuple[float, float, float]:
    """(point estimate, low, high) of median(current) / median(baseline) - 1."""
    rng = random.Random(seed)
    point = relative_change(statistics.median(current), statistics.median(baseline))
    changes = []
    for _ in range(rounds):
        resampled_current = statistics.median(rng.choices(current, k=len(current)))
        resampled_baseline = statistics.median(rng.choices(baseline, k=len(baseline)))
        changes.append(relative_change(resampled_current, resampled_baseline))
    changes.sort()
    tail = (1.0 - confidence) / 2.0
    low = changes[math.floor(tail * (rounds - 1))]
    high = changes[math.ceil((1.0 - tail) * (rounds - 1))]
    return point, low, high


def regression_level(change: float, worse_if_higher: bool, levels: Mapping[str, float]) -> str:
    """minor/major/critical by how far the change goes in the direction that is worse."""
    amount = change if worse_if_higher else -change
    level = "none"
    for name in ("minor", "major", "critical"):
        if amount > levels[name]:
            level = name
    return level


def compare(
    criterion: RelativeCriterion,
    levels: Mapping[str, float],
    source: str,
    current: float | None,
    baseline: float | None,
    current_intervals: Sequence[float] = (),
    baseline_intervals: Sequence[float] = (),
) -> BaselineComparison:
    worse_if_higher = criterion.passing.upper_bound
    comparison = BaselineComparison(source=source, value=baseline, criterion=criterion.passing.text)
    problem = unusable_baseline(baseline, baseline_intervals)
    if problem is not None:  # the gate applies on_no_baseline before getting here
        comparison.status, comparison.reason = Status.FAIL, problem
        return comparison
    if len(current_intervals) >= MIN_INTERVALS and len(baseline_intervals) >= MIN_INTERVALS:
        point, low, high = bootstrap_ci(current_intervals, baseline_intervals, criterion.confidence)
        comparison.change, comparison.ci, comparison.method = point, (low, high), "bootstrap"
        comparison.status = Status(judge_interval(criterion.passing, criterion.warning, low, high))
        comparison.level = regression_level(point, worse_if_higher, levels)
        comparison.reason = (
            f"change of per-interval medians {point:+.1%}, {criterion.confidence:.0%} CI "
            f"[{low:+.1%}, {high:+.1%}] over "
            f"{len(current_intervals)}+{len(baseline_intervals)} intervals"
        )
        return comparison
    if (
        current is None
        or baseline is None
        or not math.isfinite(current)
        or not math.isfinite(baseline)
    ):
        comparison.status = Status.FAIL
        comparison.reason = f"cannot compare {current} with baseline {baseline}"
        return comparison
    change = relative_change(current, baseline)
    comparison.change = change
    comparison.status = Status(judge_value(criterion.passing, criterion.warning, change))
    comparison.level = (
        regression_level(change, worse_if_higher, levels) if math.isfinite(change) else "critical"
    )
    comparison.reason = f"change {change:+.1%} against the baseline"
    return comparison
