from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from overhead_stats import (
    bootstrap_interval,
    clustered_interval,
    describe,
    describe_share,
    overhead,
    share,
    share_interval,
    verdict,
)


def test_the_overhead_is_one_minus_the_median_ratio() -> None:
    assert overhead([0.96, 0.98, 0.97]) == pytest.approx(0.03)
    assert overhead([1.02, 0.98]) == pytest.approx(0.0)
    with pytest.raises(ValueError):
        overhead([])


def test_the_interval_holds_the_estimate_and_narrows_with_more_rounds() -> None:
    rng = random.Random(7)
    few = [rng.gauss(0.97, 0.04) for _ in range(16)]
    many = [rng.gauss(0.97, 0.04) for _ in range(256)]
    few_low, few_high = bootstrap_interval(few)
    many_low, many_high = bootstrap_interval(many)
    assert few_low <= overhead(few) <= few_high
    assert many_low <= overhead(many) <= many_high
    assert many_high - many_low < (few_high - few_low) / 2  # about 1/sqrt(16) as wide
    assert many_low < 0.03 < many_high  # the true overhead, 3%, inside


def test_the_interval_covers_the_true_median_about_as_often_as_it_claims() -> None:
    rng = random.Random(11)
    covered = 0
    for _ in range(100):
        ratios = [rng.gauss(0.97, 0.04) for _ in range(16)]
        low, high = bootstrap_interval(ratios, resamples=1000, seed=rng.randrange(1 << 30))
        covered += low <= 0.03 <= high
    assert 78 <= covered <= 99  # claimed 90%; a percentile bootstrap of 16 runs a bit short


def test_the_same_rounds_give_the_same_interval() -> None:
    ratios = [0.95, 0.99, 0.97, 1.01, 0.96]
    assert bootstrap_interval(ratios) == bootstrap_interval(list(ratios))


def test_identical_rounds_have_a_point_interval() -> None:
    low, high = bootstrap_interval([0.98] * 8)
    assert low == pytest.approx(0.02) and high == pytest.approx(0.02)


def test_one_round_has_no_interval() -> None:
    with pytest.raises(ValueError, match="at least two rounds"):
        bootstrap_interval([0.97])


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0.01, 0.029, "meets"),
        (0.01, 0.03, "meets"),  # the goal is "at most 3%"
        (0.01, 1 - 0.97, "meets"),  # 0.030000000000000027
        (0.01, 0.030001, "CANNOT TELL whether it meets"),
        (0.0301, 0.05, "MISSES"),
        (0.03, 0.05, "CANNOT TELL whether it meets"),
        (0.02, 0.04, "CANNOT TELL whether it meets"),
    ],
)
def test_the_verdict_needs_the_whole_interval_on_one_side(
    low: float, high: float, expected: str
) -> None:
    assert verdict(low, high, 0.03) == expected


def test_a_median_within_the_goal_with_a_wide_spread_is_not_called_met() -> None:
    ratios = [0.90, 0.93, 0.96, 0.975, 0.98, 0.985, 1.0, 1.04]  # median 2.25% overhead
    text = describe(ratios, 0.03)
    assert text.startswith("2.2% (90% interval ")
    assert text.endswith("8 rounds): CANNOT TELL whether it meets the <= 3% goal")


def test_without_a_goal_only_the_figure_and_interval_are_described() -> None:
    assert describe([0.92, 0.92, 0.92], None) == "8.0% (90% interval 8.0% .. 8.0%, 3 rounds)"


def test_resampling_invocations_widens_the_interval_when_they_disagree() -> None:
    rng = random.Random(3)
    days = [[rng.gauss(mean, 0.01) for _ in range(16)] for mean in (0.985, 0.98, 0.965, 0.97)]
    rounds_low, rounds_high = bootstrap_interval([r for day in days for r in day])
    low, high = clustered_interval(days)
    assert high - low > 1.5 * (rounds_high - rounds_low)
    assert low <= overhead([r for day in days for r in day]) <= high


def test_invocations_that_agree_give_about_the_rounds_interval() -> None:
    rng = random.Random(5)
    days = [[rng.gauss(0.975, 0.03) for _ in range(16)] for _ in range(6)]
    rounds_low, rounds_high = bootstrap_interval([r for day in days for r in day])
    low, high = clustered_interval(days)
    assert high - low == pytest.approx(rounds_high - rounds_low, rel=0.5)


def test_identical_invocations_have_a_point_interval() -> None:
    low, high = clustered_interval([[0.98, 0.98], [0.98, 0.98]])
    assert low == pytest.approx(0.02) and high == pytest.approx(0.02)


def test_a_clustered_interval_needs_two_invocations_of_two_rounds() -> None:
    with pytest.raises(ValueError, match="at least two invocations"):
        clustered_interval([[0.97, 0.98]])
    with pytest.raises(ValueError, match="at least two rounds"):
        clustered_interval([[0.97, 0.98], [0.97]])


def test_the_share_is_one_overhead_over_the_other_and_infinite_without_a_peer_cost() -> None:
    assert share([0.97, 0.97, 0.97], [0.92, 0.92, 0.92]) == pytest.approx(0.03 / 0.08)
    assert share([0.97, 0.97], [1.0, 1.01]) == float("inf")


def test_a_round_that_slows_both_variants_does_not_widen_the_share() -> None:
    # every round moves both ratios by the same factor: drawn together, the share stays
    rng = random.Random(3)
    factors = [rng.uniform(0.99, 1.01) for _ in range(24)]
    ours = [0.97 * f for f in factors]
    peer = [0.92 * f for f in factors]
    low, high = share_interval(ours, peer)
    assert low <= share(ours, peer) <= high
    assert high - low < 0.15
    # the same rounds with the pairing broken: the share's interval widens
    shuffled = peer[::-1]
    unpaired_low, unpaired_high = share_interval(ours, shuffled)
    assert unpaired_high - unpaired_low > high - low


def test_the_share_gets_a_verdict_against_the_reference() -> None:
    ours = [0.975, 0.974, 0.976, 0.973, 0.977, 0.975]
    naive = [0.92, 0.921, 0.919, 0.92, 0.922, 0.918]
    assert describe_share(ours, naive, 0.5).startswith("0.31 (90% interval 0.")
    assert describe_share(ours, naive, 0.5).endswith(", 6 rounds): meets the <= 0.50 reference")
    assert describe_share(ours, naive, 0.2).endswith("MISSES the <= 0.20 reference")
    noisy = [0.96, 0.99, 0.965, 0.985, 0.97, 0.975]
    assert describe_share(noisy, naive, 0.3).endswith(
        "CANNOT TELL whether it meets the <= 0.30 reference"
    )


def test_a_peer_without_cost_in_some_resamples_cannot_meet_the_reference() -> None:
    ours = [0.98, 0.975, 0.985, 0.98]
    peer = [0.99, 1.01, 0.98, 1.02]  # the peer's cost straddles zero
    assert share_interval(ours, peer)[1] == float("inf")
    assert not describe_share(ours, peer, 0.5).endswith("meets the <= 0.50 reference")


def test_the_share_needs_paired_rounds() -> None:
    with pytest.raises(ValueError):
        share_interval([0.97, 0.98], [0.92])
    with pytest.raises(ValueError):
        share_interval([0.97], [0.92])
