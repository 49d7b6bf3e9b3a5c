from __future__ import annotations

import math

import pytest

from gate.thresholds import (
    judge_interval,
    judge_value,
    parse_condition,
    parse_relative,
    worst_value,
)


def test_comparisons_and_ranges() -> None:
    assert parse_condition("< 2s").holds(1.9) and not parse_condition("< 2s").holds(2.0)
    assert parse_condition("<= 2s").holds(2.0)
    assert parse_condition(">= 85%").holds(0.85) and not parse_condition("> 85%").holds(0.85)
    window = parse_condition("100ms..200ms")
    assert window.holds(0.1) and window.holds(0.2) and not window.holds(0.21)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_values_never_satisfy_anything(value: float) -> None:
    for text in ("< 2s", "> 150", ">= -inf", "<= inf", "-inf..inf"):
        assert not parse_condition(text).holds(value)
        assert judge_value(parse_condition(text), None, value) == "FAIL"


def test_warn_band() -> None:
    passing, warning = parse_condition("< 1s"), parse_condition("< 2s")
    assert [judge_value(passing, warning, v) for v in (0.5, 1.5, 2.5)] == ["PASS", "WARN", "FAIL"]


def test_intervals_fail_only_when_wholly_past_the_threshold() -> None:
    criterion = parse_relative("<= +10%")
    assert judge_interval(criterion, None, -0.05, 0.08) == "PASS"
    assert judge_interval(criterion, None, 0.02, 0.30) == "WARN"  # straddles
    assert judge_interval(criterion, None, 0.12, 0.30) == "FAIL"


def test_relative_criteria_need_a_percentage() -> None:
    assert parse_relative("<= +10%").limit == pytest.approx(0.10)
    assert parse_relative(">= -10%").upper_bound is False
    with pytest.raises(ValueError, match="relative"):
        parse_relative("<= 2s")


@pytest.mark.parametrize("text", ["2s", "== 1", "between 1 and 2", "3..1"])
def test_bad_conditions(text: str) -> None:
    with pytest.raises(ValueError):
        parse_condition(text)


def test_the_worst_value_breaks_a_range_at_either_end() -> None:
    band = parse_condition("0.2..0.8")
    assert worst_value(band, None, [0.1, 0.5]) == 0.1  # too low is as bad as too high
    assert worst_value(band, None, [0.5, 0.9]) == 0.9
    assert worst_value(band, None, [0.3, 0.75]) == 0.75  # all pass: the one nearest an end
    assert worst_value(parse_condition(">= 10"), None, [12.0, 8.0, 11.0]) == 8.0
    assert worst_value(parse_condition("< 1s"), parse_condition("< 2s"), [0.5, 1.5, 1.2]) == 1.5
    assert math.isnan(worst_value(band, None, [0.5, math.nan, 0.1]))
