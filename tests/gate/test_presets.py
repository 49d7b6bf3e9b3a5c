"""The shipped presets load, lint clean, and Prometheus parses every query they resolve to;
the demo preset passes a healthy `perfstack demo` run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gate.rules import load_rules
from perfstack.cli import main

PRESETS = sorted((Path(__file__).resolve().parents[2] / "gate" / "presets").glob("*.yaml"))


def test_there_is_a_preset_per_seed_and_the_demo_default() -> None:
    names = [p.name for p in PRESETS]
    assert "default.yaml" in names
    for seed in ("seed000", "seed002", "seed003", "seed004"):
        assert any(n.startswith(seed) for n in names), seed


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.stem)
def test_preset_lints_clean_against_prometheus(preset: Path, stack, capsys) -> None:
    rules = load_rules(preset)
    assert rules.objectives
    code = main(["gate", "lint", str(preset), "--prometheus", stack.prometheus_url])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "no findings" in out


def test_seed_thresholds_are_the_seeds_numbers() -> None:
    by_name = {p.stem: {o.name: o for o in load_rules(p).objectives} for p in PRESETS}
    seed000 = by_name["seed000-ai-backend"]
    assert seed000["9.3 response time under 5s (max)"].passing.limit == 5.0  # type: ignore[union-attr]
    assert seed000["9.4 error rate under 5%"].warning.limit == 0.05  # type: ignore[union-attr]
    assert seed000["9.4 memory increase under 500MB"].passing.limit == 500e6  # type: ignore[union-attr]
    seed003 = load_rules(next(p for p in PRESETS if p.stem.startswith("seed003")))
    assert seed003.score_pass == 0.9
    assert dict(seed003.levels) == {"minor": 0.10, "major": 0.25, "critical": 0.50}
    regression = next(o for o in seed003.objectives if o.relative is not None)
    assert regression.relative.passing.limit == pytest.approx(0.10)  # type: ignore[union-attr]
    seed004 = by_name["seed004-endpoints"]
    assert seed004["health check mean under 10ms"].request == "/health"
    assert seed004["health check mean under 10ms"].passing.limit == pytest.approx(0.010)  # type: ignore[union-attr]


@pytest.mark.slow
def test_demo_default_preset_passes_a_healthy_demo_run(demo_run) -> None:
    result = json.loads((demo_run.state_dir / "gate" / f"{demo_run.testid}.json").read_text())
    statuses = {o["name"]: o["status"] for o in result["objectives"]}
    assert result["status"] == "PASS", json.dumps(result["objectives"], indent=1)[:3000]
    assert set(statuses.values()) == {"PASS"}
    assert result["rules"]["name"] == "demo-default"
