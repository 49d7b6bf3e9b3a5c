"""The instruction bench's split of a run's count into start-up, per-request and
per-second parts (the bench itself needs valgrind and minutes; `make bench` runs it)."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from bench_http_instructions import Sample, solve


def counted(startup: int, per_request: int, per_second: int, requests: int, seconds: float):
    return Sample(round(startup + per_request * requests + per_second * seconds), requests, seconds)


def test_three_runs_give_back_the_per_request_and_per_second_costs() -> None:
    runs = [
        counted(2_000_000_000, 560_000, 3_000_000, 1_500, 6.2),
        counted(2_000_000_000, 560_000, 3_000_000, 6_004, 21.9),
        counted(2_000_000_000, 560_000, 3_000_000, 6_008, 42.4),
    ]
    cost = solve(runs)
    assert cost.per_request == pytest.approx(560_000, rel=1e-6)
    assert cost.per_second == pytest.approx(3_000_000, rel=1e-4)


def test_runs_that_cannot_separate_requests_from_seconds_are_refused() -> None:
    # requests in proportion to seconds in every run: no idle stretch, nothing to tell apart
    runs = [counted(1, 500, 1000, n, n / 100) for n in (1_000, 2_000, 4_000)]
    with pytest.raises(SystemExit, match="do not separate"):
        solve(runs)
