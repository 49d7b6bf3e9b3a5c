"""How sure an overhead figure from paired rounds is, and the verdict it allows.

bench_http_overhead runs each variant once per round, next to the baseline, and takes the
median of the per-round ratios. Those ratios spread over several percent, so one
invocation's median can land on either side of a 3% goal by chance. Resampling the rounds
(percentile bootstrap) gives the range the median takes from one set of rounds to the
next; the verdict says "meets" only when the whole range is within the goal, "MISSES"
only when all of it is beyond, and otherwise that the rounds cannot tell.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Sequence

CONFIDENCE = 0.90
RESAMPLES = 10_000
SEED = 20091  # a fixed seed: the same rounds always print the same interval


def per_round_ratios(rates: Sequence[float], baseline: Sequence[float]) -> list[float]:
    """Each round's rate over the baseline's in the same round."""
    if len(rates) != len(baseline):
        raise ValueError(f"{len(rates)} rounds against {len(baseline)} of the baseline")
    return [rate / base for rate, base in zip(rates, baseline, strict=True)]


def overhead(ratios: Sequence[float]) -> float:
    """Overhead from per-round rate ratios (variant / baseline): 1 - their median."""
    if not ratios:
        raise ValueError("no rounds")
    return 1.0 - statistics.median(ratios)


def bootstrap_interval(
    ratios: Sequence[float],
    confidence: float = CONFIDENCE,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> tuple[float, float]:
    """(low, high) bounds of the overhead at `confidence`, resampling whole rounds."""
    if len(ratios) < 2:
        raise ValueError("a bootstrap interval needs at least two rounds")
    rng = random.Random(seed)
    rounds = len(ratios)
    estimates = sorted(overhead(rng.choices(ratios, k=rounds)) for _ in range(resamples))
    tail = (1.0 - confidence) / 2.0
    low = estimates[int(tail * (resamples - 1))]
    high = estimates[round((1.0 - tail) * (resamples - 1))]
    return low, high


ROUNDING = 1e-9  # 1 - 0.97 is 0.030000000000000027: rate ratios are not exact decimals


def verdict(low: float, high: float, goal: float) -> str:
    if high <= goal + ROUNDING:
        return "meets"
    if low > goal + ROUNDING:
        return "MISSES"
    return "CANNOT TELL whether it meets"


def describe(
    ratios: Sequence[float], goal: float | None = None, confidence: float = CONFIDENCE
) -> str:
    """'3.1% (90% interval 2.0% .. 4.2%, 16 rounds)', and with a goal the verdict, as in
    ': CANNOT TELL whether it meets the <= 3% goal'."""
    low, high = bootstrap_interval(ratios, confidence)
    text = (
        f"{overhead(ratios):.1%} ({confidence:.0%} interval {low:.1%} .. {high:.1%}, "
        f"{len(ratios)} rounds)"
    )
    if goal is not None:
        text += f": {verdict(low, high, goal)} the <= {goal:.0%} goal"
    return text
