"""The memory rules and the demo preset take their thresholds from the mixin config."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gate.rules import load_rules
from perfstack.mixin import config, text_files


def test_the_leak_slope_comes_from_the_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config, "MEMORY_LEAK_SLOPE_BYTES_PER_SECOND", 131072)
    rules = yaml.safe_load(text_files.memory_rules())["groups"][0]["rules"]
    constant = next(r for r in rules if r["record"].endswith(":constant"))
    assert constant["expr"] == "vector(131072)"


def test_the_demo_preset_judges_the_alerts_sla(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(config, "LATENCY_SLA_SECONDS", 0.25)
    monkeypatch.setattr(config, "ERROR_RATIO_MAX", 0.02)
    path = tmp_path / "default.yaml"
    path.write_text(text_files.demo_preset(), encoding="utf-8")
    objectives = {o.name: o for o in load_rules(path, {}).objectives}
    assert "< 250ms" in text_files.demo_preset() and "<= 2%" in text_files.demo_preset()
    assert objectives["p95 latency"].passing.limit == 0.25
    assert objectives["error ratio"].passing.limit == 0.02
