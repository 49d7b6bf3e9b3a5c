"""`perfstack gate alerts`: files written, the summary of what is and is not an alert, and
one-line errors with exit 2."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from gate.alert_rules import build_alerts
from gate.alerts_cli import default_tests_path
from gate.rules import load_rules
from perfstack.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_writes_rules_and_tests_beside_them_and_lists_what_is_not_an_alert(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "alerts" / "team.rules.yml"
    code = main(["gate", "alerts", str(ROOT / "gate/presets/seed003-gates.yaml"), "-o", str(out)])
    assert code == 0
    err = capsys.readouterr().err
    assert "5 alerting rules for 5 of 6 objectives of seed003-gates" in err
    published = len(build_alerts(load_rules(ROOT / "gate/presets/seed003-gates.yaml")).thresholds)
    assert published > 0
    assert f"{published} pass/warn levels published as gate:objective_threshold:constant" in err
    assert "not an alert: regression_check (p95 at most 10% slower): a relative criterion" in err
    tests = tmp_path / "alerts" / "team_test.yaml"
    assert yaml.safe_load(tests.read_text())["rule_files"] == ["team.rules.yml"]
    assert "PerfstackObjectiveResponseTimeP95Under2s" in out.read_text()
    if shutil.which("promtool"):
        result = subprocess.run(["promtool", "test", "rules", str(tests)], capture_output=True)
        assert result.returncode == 0, result.stdout


def test_without_output_the_rules_go_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gate", "alerts", str(ROOT / "gate/presets/default.yaml")]) == 0
    rules = yaml.safe_load(capsys.readouterr().out)
    names = {r.get("alert") for g in rules["groups"] for r in g["rules"]}
    assert "PerfstackObjectiveP95Latency" in names


def test_an_invalid_rule_file_is_one_line_naming_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = tmp_path / "bad.yaml"
    rules.write_text("objectives:\n  - {name: p95, sli: latency_p95, pass: fast}\n")
    assert main(["gate", "alerts", str(rules)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"perfstack: error: {rules}:2")


def test_an_unwritable_output_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    code = main(
        ["gate", "alerts", str(ROOT / "gate/presets/default.yaml"), "-o", f"{blocker}/x.yml"]
    )
    assert code == 2
    assert "-o " in capsys.readouterr().err


def test_tests_are_named_after_the_rules_file() -> None:
    assert default_tests_path(Path("a/team.rules.yml")) == Path("a/team_test.yaml")
    assert default_tests_path(Path("team.yaml")) == Path("team_test.yaml")
