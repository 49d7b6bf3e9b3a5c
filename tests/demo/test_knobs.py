"""Knob parsing: the same checks for command-line strings and admin JSON values."""

from __future__ import annotations

import pytest

from demo.knobs import KnobError, Knobs, parse_knobs


def test_defaults_are_healthy() -> None:
    knobs = Knobs()
    assert (knobs.latency_ms, knobs.error_ratio, knobs.leak_bytes_per_second) == (0, 0, 0)
    assert knobs.ws_max_connections == 0


def test_strings_and_numbers_parse_alike() -> None:
    from_strings = Knobs().updated({"latency_ms": "25", "error_ratio": "0.5", "cache_size": "7"})
    from_json = Knobs().updated({"latency_ms": 25, "error_ratio": 0.5, "cache_size": 7})
    assert from_strings == from_json
    assert from_json.latency_ms == 25.0 and from_json.cache_size == 7


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1048576, 1048576), ("20MB", 20_000_000), ("512KiB", 524288), ("1.5M", 1_500_000),
     ("3 mib", 3 * 2**20), ("0", 0)],
)  # fmt: skip
def test_leak_rate_accepts_units(value: object, expected: int) -> None:
    assert Knobs().updated({"leak_bytes_per_second": value}).leak_bytes_per_second == expected


@pytest.mark.parametrize(
    ("changes", "knob", "words"),
    [
        ({"latency_ms": -5}, "latency_ms", ">= 0"),
        ({"latency_ms": "soon"}, "latency_ms", "expected a number"),
        ({"latency_ms": True}, "latency_ms", "expected a number"),
        ({"error_ratio": 1.5}, "error_ratio", "between 0 and 1"),
        ({"flaky_ratio": -0.1}, "flaky_ratio", "between 0 and 1"),
        ({"ws_max_connections": 2.5}, "ws_max_connections", "whole number"),
        ({"leak_bytes_per_second": "lots"}, "leak_bytes_per_second", "20MB"),
        ({"latency_distribution": "gamma:2"}, "latency_distribution", "unknown distribution"),
        ({"latency_distribution": 5}, "latency_distribution", "spec string"),
        ({"latency_ms": float("nan")}, "latency_ms", "finite"),
        ({"latncy_ms": 5}, "latncy_ms", "unknown knob"),
    ],
)
def test_bad_values_name_the_knob(changes: dict[str, object], knob: str, words: str) -> None:
    with pytest.raises(KnobError, match=words) as raised:
        parse_knobs(changes)
    assert raised.value.knob == knob


def test_stall_is_an_action_not_a_stored_knob() -> None:
    assert parse_knobs({"stall_seconds": "2.5"}) == {"stall_seconds": 2.5}
    with pytest.raises(KnobError, match="unknown knob"):
        Knobs().updated({"stall_seconds": 1})


def test_distribution_is_stored_normalised() -> None:
    assert Knobs().updated({"latency_distribution": "Uniform:10:30.0"}).latency_distribution == (
        "uniform:10:30"
    )
