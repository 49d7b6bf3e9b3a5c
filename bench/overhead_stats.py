"""How sure an overhead figure from paired rounds is, and the verdict it allows.

bench_http_overhead runs each variant once per round, next to the baseline, and takes the
median of the per-round ratios. Those ratios spread over several percent, so one
invocation's median can land on either side of a 3% goal by chance. Resampling the rounds
(percentile bootstrap) gives the range the median takes from one set of rounds to the
next; the verdict says "meets" only when the whole range is within the goal, "MISSES"
only when all of it is beyond, and otherwise that the rounds cannot tell.
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Callable, Sequence
from typing import TypeVar

CONFIDENCE = 0.90
RESAMPLES = 10_000
SEED = 20091  # a fixed seed: the same rounds always print the same interval

T = TypeVar("T")


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
    return _round_bootstrap(list(ratios), overhead, confidence, resamples, seed)


def _round_bootstrap(
    rounds: list[T],
    estimate: Callable[[list[T]], float],
    confidence: float,
    resamples: int,
    seed: int,
) -> tuple[float, float]:
    """Percentile bounds of `estimate` over `rounds` drawn with replacement."""
    if len(rounds) < 2:
        raise ValueError("a bootstrap interval needs at least two rounds")
    rng = random.Random(seed)
    estimates = sorted(estimate(rng.choices(rounds, k=len(rounds))) for _ in range(resamples))
    return _percentile_bounds(estimates, confidence)


def clustered_interval(
    invocations: Sequence[Sequence[float]],
    confidence: float = CONFIDENCE,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> tuple[float, float]:
    """(low, high) bounds of the pooled overhead at `confidence`, resampling whole
    invocations and then the rounds within each (a two-stage bootstrap).

    Rounds of one invocation share the machine's state of that hour; when that state
    moves the figure from one invocation to the next, resampling rounds alone gives an
    interval narrower than the figure's real spread. Drawing invocations first carries
    that spread into the interval."""
    groups = [list(rounds) for rounds in invocations]
    if len(groups) < 2:
        raise ValueError("a clustered interval needs at least two invocations")
    if any(len(rounds) < 2 for rounds in groups):
        raise ValueError("every invocation needs at least two rounds")
    rng = random.Random(seed)
    estimates = []
    for _ in range(resamples):
        pooled: list[float] = []
        for rounds in rng.choices(groups, k=len(groups)):
            pooled += rng.choices(rounds, k=len(rounds))
        estimates.append(overhead(pooled))
    return _percentile_bounds(sorted(estimates), confidence)


def share(ratios: Sequence[float], peer_ratios: Sequence[float]) -> float:
    """The overhead from `ratios` as a share of the peer's; +inf when the peer measured no
    cost, since no share can then be shown."""
    peer = overhead(peer_ratios)
    return overhead(ratios) / peer if peer > 0 else math.inf


def share_interval(
    ratios: Sequence[float],
    peer_ratios: Sequence[float],
    confidence: float = CONFIDENCE,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> tuple[float, float]:
    """(low, high) bounds of share() at `confidence`. Both variants ran in every round, so
    a round's two ratios are drawn together: what a round did to both cancels in the
    share instead of widening it."""
    if len(ratios) != len(peer_ratios):
        raise ValueError(f"{len(ratios)} rounds against {len(peer_ratios)} of the peer")

    def drawn_share(drawn: list[tuple[float, float]]) -> float:
        return share([ours for ours, _ in drawn], [peer for _, peer in drawn])

    rounds = list(zip(ratios, peer_ratios, strict=True))
    return _round_bootstrap(rounds, drawn_share, confidence, resamples, seed)


def describe_share(
    ratios: Sequence[float],
    peer_ratios: Sequence[float],
    reference: float,
    confidence: float = CONFIDENCE,
) -> str:
    """'0.38 (90% interval 0.31 .. 0.46, 24 rounds): meets the <= 0.50 reference'."""
    low, high = share_interval(ratios, peer_ratios, confidence)
    return (
        f"{share(ratios, peer_ratios):.2f} ({confidence:.0%} interval {low:.2f} .. "
        f"{high:.2f}, {len(ratios)} rounds): {verdict(low, high, reference)} the "
        f"<= {reference:.2f} reference"
    )


def _percentile_bounds(estimates: Sequence[float], confidence: float) -> tuple[float, float]:
    tail = (1.0 - confidence) / 2.0
    last = len(estimates) - 1
    return estimates[int(tail * last)], estimates[round((1.0 - tail) * last)]


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


def describe_pooled(invocations: list[list[float]], goal: float | None) -> str:
    """'2.7% (90% interval 2.4% .. 3.0% over rounds, 2.1% .. 3.3% over invocations; 208
    rounds in 13 invocations): CANNOT TELL whether it meets the <= 3% goal'."""
    rounds = [ratio for ratios in invocations for ratio in ratios]
    low, high = bootstrap_interval(rounds)
    text = f"{overhead(rounds):.1%} ({CONFIDENCE:.0%} interval {low:.1%} .. {high:.1%} over rounds"
    if len(invocations) > 1:
        low, high = clustered_interval(invocations)
        text += f", {low:.1%} .. {high:.1%} over invocations"
    text += f"; {len(rounds)} rounds in {len(invocations)} invocations)"
    if goal is not None:
        text += f": {verdict(low, high, goal)} the <= {goal:.0%} goal"
    return text
