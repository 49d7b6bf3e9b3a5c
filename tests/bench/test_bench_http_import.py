from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import bench_http_import
from bench_http_import import IMPORTS, Steady, report

CHECK_VARIANTS = """
import importlib, json, sys
from locust import events
imports = json.loads(sys.argv[1])
unusable = []
for variant, (modules, when) in imports.items():
    try:
        for module in filter(None, modules.split(",")):
            importlib.import_module(module)
    except ImportError as exc:
        unusable.append(f"{variant}: {exc}")
    if when != "load" and not hasattr(events, when):
        unusable.append(f"{variant}: no Locust event {when}")
print(json.dumps(unusable))
"""


def test_every_variant_names_importable_modules_and_a_locust_event() -> None:
    # in a child: importing Locust monkey-patches the process for gevent
    result = subprocess.run(
        [sys.executable, "-c", CHECK_VARIANTS, json.dumps(IMPORTS)],
        env={**os.environ, "PERFSTACK_DISABLE": "1"},
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
    assert {when for _, when in IMPORTS.values()} >= {"load", "init", "test_start"}


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
