from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import bench_http_overhead
from bench_http_overhead import steady_window


def test_the_steady_window_is_returned_when_it_saw_requests() -> None:
    window = {"cpu": 4.0, "user": 3.6, "system": 0.4, "requests": 40_000}
    assert steady_window("perfstack", {"steady": window}) is window


@pytest.mark.parametrize(
    "result",
    [{"steady": None}, {}, {"steady": {"cpu": 4.0, "user": 3.6, "system": 0.4, "requests": 0}}],
)
def test_a_window_that_did_not_complete_or_saw_no_request_ends_the_bench(result: dict) -> None:
    with pytest.raises(SystemExit, match="perfstack: the steady-state window did not complete"):
        steady_window("perfstack", result)


def test_too_few_windows_are_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["bench_http_overhead.py", "--windows", "2"])
    with pytest.raises(SystemExit) as exit_info:
        bench_http_overhead.main()
    assert exit_info.value.code == 2
