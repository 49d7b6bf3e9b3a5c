from __future__ import annotations

import math

import pytest

from gate.units import format_value, parse_duration, parse_quantity, promql_duration


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
