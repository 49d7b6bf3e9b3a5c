from __future__ import annotations

import math

import pytest

from gate.units import format_value, parse_quantity, promql_duration
from perfstack.core.durations import parse_duration


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2s", 2.0),
        ("500ms", 0.5),
        ("5%", 0.05),
        ("512MB", 512e6),
        ("1GiB", 2.0**30),
        ("150rps", 150.0),
        ("0.25", 0.25),
        ("1e3", 1000.0),
        ("2min", 120.0),
    ],
)
def test_quantities_become_base_units(text: str, value: float) -> None:
    assert parse_quantity(text)[0] == pytest.approx(value)


def test_infinity_keeps_its_sign() -> None:
    assert parse_quantity("inf")[0] == math.inf and parse_quantity("-inf")[0] == -math.inf


@pytest.mark.parametrize("text", ["fast", "5 parsecs", "", "1.2.3s"])
def test_bad_quantities_say_what_was_expected(text: str) -> None:
    with pytest.raises(ValueError, match=r"unit|number"):
        parse_quantity(text)


def test_durations_and_promql_ranges() -> None:
    assert (
        parse_duration("30s") == 30.0
        and parse_duration("2m") == 120.0
        and parse_duration("250ms") == 0.25
    )
    assert promql_duration(20.0) == "20s" and promql_duration(20.0004) == "20001ms"
    with pytest.raises(ValueError):
        parse_duration("soon")


def test_values_for_people() -> None:
    assert format_value(0.1234, "seconds") == "123.4ms"
    assert format_value(0.05, "ratio") == "5.00%"
    assert format_value(float("nan")) == "NaN" and format_value(float("inf")) == "+Inf"
    assert format_value(None) == "-"


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("95%", "0.95"),  # 95 * 0.01 in floats is 0.9500000000000001
        ("35%", "0.35"),  # ... and 0.35000000000000003
        ("70%", "0.7"),
        ("0.1%", "0.001"),
        ("300ms", "0.3"),
        ("1.5KiB", "1536"),
        ("-10%", "-0.1"),
    ],
)
def test_quantities_are_exactly_the_decimal_written(text: str, written: str) -> None:
    assert parse_quantity(text)[0] == float(written)


def test_thresholds_hold_at_exactly_the_written_percentage() -> None:
    from gate.thresholds import parse_condition

    assert parse_condition(">= 95%").holds(19 / 20)  # 19 of 20 is 95%: it passes
    assert not parse_condition("< 35%").holds(7 / 20)  # 7 of 20 is 35%, not below it


def test_absurd_exponents_become_infinity_or_zero_like_floats() -> None:
    assert parse_quantity("1e9999999%")[0] == math.inf
    assert parse_quantity("-1e99999999999999999999")[0] == -math.inf
    assert parse_quantity("1e-99999999999999999999ms")[0] == 0.0
    assert parse_duration("0.3s") == 0.3
