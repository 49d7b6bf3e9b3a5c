from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import bench_http_side_by_side
from bench_http_overhead import LOCUSTFILE
from bench_http_side_by_side import VARIANTS, summarize


def test_every_variant_is_one_the_bench_locustfile_runs() -> None:
    for kind, _env in VARIANTS.values():
        assert kind == "none" or f'VARIANT == "{kind}"' in LOCUSTFILE or kind == "imported"
    assert VARIANTS["none again"] == VARIANTS["none"]  # the A/A check runs the very same


def test_cost_is_the_median_of_per_round_ratios() -> None:
    runs = {"none": [10_000.0, 9_000.0, 11_000.0], "perfstack": [9_800.0, 8_730.0, 10_450.0]}
    lines = summarize(runs)
    assert "cost +0.0%" in lines[0]
    # ratios 0.98, 0.97, 0.95: the median round costs 3%, not the ratio of the medians
    assert "cost +3.0%" in lines[1] and "min 0.950, max 0.980" in lines[1]


def test_unknown_variant_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["bench_http_side_by_side.py", "--variants", "bogus"])
    with pytest.raises(SystemExit) as exit_info:
        bench_http_side_by_side.main()
    assert exit_info.value.code == 2


def test_too_short_rounds_are_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["bench_http_side_by_side.py", "--seconds", "6"])
    with pytest.raises(SystemExit) as exit_info:
        bench_http_side_by_side.main()
    assert exit_info.value.code == 2
