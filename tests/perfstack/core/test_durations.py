from __future__ import annotations

import pytest

from perfstack.core.durations import (
    DurationError,
    duration_argument,
    format_duration,
    parse_duration,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90", 90.0),
        ("1.5", 1.5),
        (45, 45.0),
        ("30s", 30.0),
        (" 30 s ", 30.0),
        ("2m", 120.0),
        ("1h", 3600.0),
        ("1h30m", 5400.0),
        ("1.5m", 90.0),
        ("250ms", 0.25),
        (".5s", 0.5),
        ("0.3s", 0.3),  # decimal arithmetic: exactly the double nearest 0.3
        ("1m0.1s", 60.1),
    ],
)
def test_parse(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "text", ["", "abc", "5x", "5 parsecs", "-3", "-1s", True, float("inf"), "1m-2s", "1m30"]
)
def test_rejects_what_is_not_a_duration(text):
    with pytest.raises(DurationError, match="expected a duration"):
        parse_duration(text)


@pytest.mark.parametrize("text", [0, "0", "0s", "0ms"])
def test_zero_only_where_allowed(text):
    assert parse_duration(text, allow_zero=True) == 0.0
    with pytest.raises(DurationError, match="expected a duration > 0"):
        parse_duration(text)


def test_format():
    assert [format_duration(s) for s in (5, 65, 3725)] == ["5s", "1m05s", "1h02m05s"]


def test_a_duration_flag_takes_a_duration_and_refuses_the_rest_as_usage() -> None:
    import argparse

    assert duration_argument("1m30s") == 90.0
    with pytest.raises(argparse.ArgumentTypeError, match="2x"):
        duration_argument("2x")
