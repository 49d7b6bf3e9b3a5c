from __future__ import annotations

import pytest

from loadgen.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90", 90),
        (45, 45),
        ("30s", 30),
        ("2m", 120),
        ("1h30m", 5400),
        ("1.5m", 90),
        ("250ms", 0.25),
    ],
)
def test_parse(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "abc", "5x", "-3", 0, True, "1m-2s"])
def test_rejects(text):
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_format():
    assert [format_duration(s) for s in (5, 65, 3725)] == ["5s", "1m05s", "1h02m05s"]
