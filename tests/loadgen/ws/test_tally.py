from __future__ import annotations

import pytest

from loadgen.ws.tally import Timings, WsTally


def test_buckets_are_cumulative_with_prometheus_le_semantics() -> None:
    timings = Timings((0.1, 0.2), exact=False)
    for value in (0.05, 0.1, 0.15, 0.2, 0.3):
        timings.observe(value)
    assert timings.cumulative() == [("0.1", 2), ("0.2", 4), ("+Inf", 5)]
    assert timings.count == 5 and timings.total == pytest.approx(0.8)
    assert timings.percentiles() == {} and timings.quantiles() == {}


def test_exact_percentiles_within_a_tenth_of_a_percent() -> None:
    timings = Timings((1.0,))
    for i in range(1, 1001):
        timings.observe(i / 1000)  # 1 ms .. 1 s
    pct = timings.percentiles()
    assert pct["p50"] == pytest.approx(0.5, rel=1e-3)
    assert pct["p99"] == pytest.approx(0.99, rel=1e-3)
    assert pct["max"] == pytest.approx(1.0, rel=1e-3)
    assert timings.quantiles()["0.5"] == pct["p50"] and timings.quantiles()["1"] == pct["max"]


def test_open_close_and_errors() -> None:
    tally = WsTally()
    tally.opened(0.01)
    tally.opened(0.02)
    tally.closed(unexpected=True, session_seconds=1.0)
    tally.error("connect", "refused")
    tally.error("connect", "refused")
    tally.error("read", "connection_lost")
    assert tally.connections_open == 1 and tally.peak_open == 2 and tally.sessions == 2
    assert tally.disconnects_unexpected == 1 and tally.disconnects_expected == 0
    assert tally.connect_errors == 2
    assert tally.errors_by_phase() == {
        "connect": {"refused": 2},
        "read": {"connection_lost": 1},
    }
