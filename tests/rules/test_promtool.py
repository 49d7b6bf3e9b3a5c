"""promtool checks every rule file and runs every unit test file of this area."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from perfstack.mixin import build

ROOT = Path(__file__).resolve().parents[2]
RULES_DIR = Path(__file__).resolve().parent
# memory_test.yaml belongs to the exporter area and is run by its own tests.
TEST_FILES = sorted(p for p in RULES_DIR.glob("*_test.yaml") if p.name != "memory_test.yaml")
RULE_FILES = sorted(
    [*(ROOT / "prometheus" / "rules").glob("*.yml"), *(ROOT / "alerts").glob("*.rules.yml")]
)

pytestmark = pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not installed")


def _promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["promtool", *map(str, args)], capture_output=True, text=True, timeout=60, check=False
    )


def test_rule_files_pass_promtool_check() -> None:
    result = _promtool("check", "rules", *RULE_FILES)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("test_file", TEST_FILES, ids=lambda p: p.name)
def test_promtool_unit_tests_pass(test_file: Path) -> None:
    result = _promtool("test", "rules", test_file)
    assert result.returncode == 0, result.stdout + result.stderr


def _generated_rules(path: str) -> list[dict[str, str]]:
    groups = yaml.safe_load((ROOT / path).read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def test_every_recording_rule_and_alert_has_a_unit_test() -> None:
    tests = [yaml.safe_load(p.read_text()) for p in TEST_FILES]
    checked_exprs = " ".join(
        case["expr"]
        for t in tests
        for group in t["tests"]
        for case in group.get("promql_expr_test", [])
    )
    checked_alerts = {
        case["alertname"]
        for t in tests
        for group in t["tests"]
        for case in group.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    records = {rule["record"] for rule in _generated_rules(build.RECORDING_RULES)}
    untested = {r for r in records if not re.search(rf"(^|\W){re.escape(r)}($|\W)", checked_exprs)}
    assert not untested, f"recording rules without a promql_expr_test: {sorted(untested)}"
    alerts = {rule["alert"] for rule in _generated_rules(build.ALERT_RULES)}
    assert alerts - checked_alerts == set(), (
        f"alerts never shown firing in a test: {sorted(alerts - checked_alerts)}"
    )


def test_promtool_reports_a_failing_expectation(tmp_path: Path) -> None:
    """The wrapper really fails: a wrong expected value makes promtool exit non-zero."""
    broken = (
        (RULES_DIR / "verdict_test.yaml")
        .read_text()
        .replace("summary: Gate failed for run slow", "summary: Gate passed for run slow")
    )
    rule_files = yaml.safe_load(broken)["rule_files"]
    data = yaml.safe_load(broken)
    data["rule_files"] = [str((RULES_DIR / f).resolve()) for f in rule_files]
    target = tmp_path / "broken_test.yaml"
    target.write_text(yaml.safe_dump(data))
    result = _promtool("test", "rules", target)
    assert result.returncode != 0
    assert "Gate failed for run slow" in result.stdout + result.stderr
