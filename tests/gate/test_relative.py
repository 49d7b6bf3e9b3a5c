from __future__ import annotations

import random

from gate.model import DEFAULT_LEVELS, RelativeCriterion
from gate.relative import bootstrap_ci, compare, regression_level, unusable_baseline
from gate.thresholds import parse_relative
from gate.verdicts import Status

CRITERION = RelativeCriterion(parse_relative("<= +10%"))


def samples(center: float, noise: float, count: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    return [center * (1 + rng.uniform(-noise, noise)) for _ in range(count)]


def test_bootstrap_is_reproducible() -> None:
    current, baseline = samples(0.1, 0.3, 20, 1), samples(0.1, 0.3, 20, 2)
    assert bootstrap_ci(current, baseline) == bootstrap_ci(current, baseline)


def test_noisy_but_unchanged_is_not_a_regression() -> None:
    result = compare(
        CRITERION,
        DEFAULT_LEVELS,
        "b",
        None,
        None,
        samples(0.1, 0.4, 20, 3),
        samples(0.1, 0.4, 20, 4),
    )
    assert result.method == "bootstrap" and result.status is not Status.FAIL
    assert result.ci is not None and result.ci[0] < 0.10  # the interval reaches below the criterion


def test_clear_shift_fails_with_its_level() -> None:
    result = compare(
        CRITERION,
        DEFAULT_LEVELS,
        "b",
        None,
        None,
        samples(0.2, 0.1, 20, 5),
        samples(0.1, 0.1, 20, 6),
    )
    assert result.status is Status.FAIL and result.level == "critical"
    assert result.ci is not None and result.ci[0] > 0.10


def test_point_comparison_without_intervals() -> None:
    assert compare(CRITERION, DEFAULT_LEVELS, "b", 1.05, 1.0).status is Status.PASS
    failed = compare(CRITERION, DEFAULT_LEVELS, "b", 1.3, 1.0)
    assert (
        failed.status is Status.FAIL and failed.level == "major" and abs(failed.change - 0.3) < 1e-9
    )  # type: ignore[operator]
    assert compare(CRITERION, DEFAULT_LEVELS, "b", 1.0, 0.0).status is Status.FAIL  # +Inf change


def test_levels_follow_the_direction_that_is_worse() -> None:
    assert regression_level(0.2, True, DEFAULT_LEVELS) == "minor"
    assert regression_level(-0.3, False, DEFAULT_LEVELS) == "major"
    assert regression_level(-0.3, True, DEFAULT_LEVELS) == "none"  # faster is not a regression


def test_a_negative_baseline_is_refused_not_turned_around() -> None:
    # -10 -> -5 is a rise of half the baseline's size; current / baseline - 1 says -50%
    rose = compare(CRITERION, DEFAULT_LEVELS, "b", -5.0, -10.0)
    assert rose.status is Status.FAIL and rose.change is None
    assert "below zero (-10)" in rose.reason
    assert unusable_baseline(-10.0) is not None and unusable_baseline(0.0) is None
    with_intervals = compare(
        CRITERION, DEFAULT_LEVELS, "b", None, None, [1.0] * 5, [1.0, 1.0, -1.0, 1.0, 1.0]
    )
    assert with_intervals.status is Status.FAIL and "below zero (-1)" in with_intervals.reason


def test_a_zero_baseline_is_no_change_or_an_infinite_one() -> None:
    assert compare(CRITERION, DEFAULT_LEVELS, "b", 0.0, 0.0).status is Status.PASS
    at_least = RelativeCriterion(parse_relative(">= -10%"))
    assert compare(at_least, DEFAULT_LEVELS, "b", 0.0, 0.0).status is Status.PASS
    assert compare(at_least, DEFAULT_LEVELS, "b", -1.0, 0.0).status is Status.FAIL
