from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import bench_http_import
from bench_http_import import IMPORTS, Steady, report


@pytest.mark.parametrize("variant", list(IMPORTS))
def test_every_variant_names_importable_modules_and_a_locust_event(variant: str) -> None:
    from locust import events

    modules, when = IMPORTS[variant]
    for module in filter(None, modules.split(",")):
        importlib.import_module(module)
    assert when == "load" or hasattr(events, when)


def test_cost_is_the_median_of_per_round_ratios(capsys: pytest.CaptureFixture[str]) -> None:
    none = [Steady(10_000, 90, 10), Steady(9_000, 100, 11), Steady(11_000, 82, 9)]
    plugin = [Steady(9_800, 92, 10), Steady(8_730, 103, 11), Steady(10_450, 86, 10)]
    report({"none": none, "plugin": plugin})
    lines = capsys.readouterr().out.splitlines()
    assert "cost +0.0%" in lines[0]
    # ratios 0.98, 0.97, 0.95: the median round costs 3%, not the ratio of the medians
    assert "cost +3.0%" in lines[1] and "min 0.950, max 0.980" in lines[1]
    assert "user  92.0 us" in lines[1] and "system 10.0 us" in lines[1]


def test_unknown_variant_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["bench_http_import.py", "--variants", "plugin,bogus"])
    with pytest.raises(SystemExit) as exit_info:
        bench_http_import.main()
    assert exit_info.value.code == 2
