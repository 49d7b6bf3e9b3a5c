from __future__ import annotations

import pytest

from loadgen.ws.durations import DurationError, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("250ms", 0.25),
        ("30s", 30.0),
        ("2m", 120.0),
        ("1h", 3600.0),
        ("1.5", 1.5),
        (0, 0.0),
        (3, 3.0),
    ],
)
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "abc", "5 parsecs", "-1s", True, float("inf"), "1m30"])
def test_bad_durations_say_what_is_expected(text: object) -> None:
    with pytest.raises(DurationError, match="expected a duration"):
        parse_duration(text)
