"""The promtool tests generated beside the alert rules: they pass for every preset with
the real promtool, they can fail, and the values they use carry the gate's verdicts."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from gate.alert_rules import NOT_ALERTS, build_alerts, render_rules, uses_shorthand
from gate.alert_tests import pick_value, render_tests
from gate.rules import load_rules, parse_rules
from gate.shorthands import SHORTHANDS
from gate.thresholds import judge_value

ROOT = Path(__file__).resolve().parents[2]
PRESETS = sorted((ROOT / "gate" / "presets").glob("*.yaml"))
needs_promtool = pytest.mark.skipif(shutil.which("promtool") is None, reason="no promtool")


def generate(preset: Path, directory: Path) -> Path:
    alerts = build_alerts(load_rules(preset))
    (directory / "team.rules.yml").write_text(render_rules(alerts))
    tests = directory / "team_test.yaml"
    tests.write_text(render_tests(alerts, "team.rules.yml"))
    return tests


def promtool_test(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["promtool", "test", "rules", str(path)], capture_output=True, text=True, timeout=60
    )


@needs_promtool
@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.stem)
def test_generated_tests_of_every_preset_pass_promtool(preset: Path, tmp_path: Path) -> None:
    tests = generate(preset, tmp_path)
    cases = yaml.safe_load(tests.read_text())["tests"]
    alerts = build_alerts(load_rules(preset))
    for alert in alerts.alerts:
        if not uses_shorthand(alert.objective):
            continue
        mine = [c for c in cases if c["name"].startswith(alert.alertname + ":")]
        fired = [
            e["exp_labels"]["severity"] for c in mine for e in c["alert_rule_test"][0]["exp_alerts"]
        ]
        # every alert is shown quiet and shown firing at each of its severities
        assert any("(PASS)" in c["name"] for c in mine), alert.alertname
        assert sorted(set(fired)) == sorted(r["labels"]["severity"] for r in alert.rules)
    result = promtool_test(tests)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_promtool
def test_a_generated_test_with_a_wrong_expectation_fails(tmp_path: Path) -> None:
    tests = generate(ROOT / "gate" / "presets" / "seed004-endpoints.yaml", tmp_path)
    tests.write_text(tests.read_text().replace("severity: warning", "severity: critical", 1))
    result = promtool_test(tests)
    assert result.returncode != 0 and "FAILED" in result.stdout + result.stderr


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.stem)
def test_test_values_carry_the_verdict_the_gate_gives_them(preset: Path) -> None:
    for alert in build_alerts(load_rules(preset)).alerts:
        objective = alert.objective
        assert objective.passing is not None
        for verdict in ("PASS", "WARN", "FAIL"):
            value = pick_value(objective, verdict)
            if verdict == "WARN" and objective.warning is None:
                assert value is None
                continue
            if value is not None:
                assert judge_value(objective.passing, objective.warning, value) == verdict
        assert pick_value(objective, "FAIL") is not None, objective.name


def test_raw_query_objectives_are_named_as_untested() -> None:
    alerts = build_alerts(load_rules(ROOT / "gate" / "presets" / "seed003-gates.yaml"))
    text = render_tests(alerts, "team.rules.yml")
    assert "no generated test (their metrics are yours): cache (hit ratio at least 85%)" in text


EVERY_SLI = {
    "latency_p50": '"< 1s"',
    "latency_p90": '"< 1s"',
    "latency_p95": '"< 1s"',
    "latency_p99": '"< 1s"',
    "latency_mean": '"< 200ms"',
    "error_ratio": '"< 5%"',
    "throughput": '">= 10rps"',
    "ws_connect_success_ratio": '">= 90%"',
    "ws_rtt_p95": '"< 100ms"',
    "memory_growth_slope": '"< 100000"',
    "memory_peak": '"< 1GB"',
    "cpu_utilization": '"< 80%"',
    "generator_saturation": '"< 1"',
    "latency_p50_corrected": '"< 1s"',
    "latency_p90_corrected": '"< 1s"',
    "latency_p95_corrected": '"< 1s"',
    "latency_p99_corrected": '"< 1s"',
    "dropped_iterations_ratio": '"<= 1%"',
}


def test_every_shorthand_that_can_be_an_alert_has_one_and_it_passes_its_tests(
    tmp_path: Path,
) -> None:
    assert set(EVERY_SLI) == set(SHORTHANDS) - set(NOT_ALERTS)
    text = "objectives:\n" + "".join(
        f"  - {{name: {sli}, sli: {sli}, pass: {condition}}}\n"
        for sli, condition in EVERY_SLI.items()
    )
    alerts = build_alerts(parse_rules(text, "every.yaml"))
    assert not alerts.skipped and len(alerts.alerts) == len(EVERY_SLI)
    (tmp_path / "every.rules.yml").write_text(render_rules(alerts))
    tests = tmp_path / "every_test.yaml"
    tests.write_text(render_tests(alerts, "every.rules.yml"))
    # two per alert, and one for the published levels
    assert len(yaml.safe_load(tests.read_text())["tests"]) == 2 * len(EVERY_SLI) + 1
    if shutil.which("promtool"):
        result = promtool_test(tests)
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(shutil.which("promtool") is None, reason="no promtool")
def test_the_generated_test_checks_the_published_levels_and_fails_on_a_wrong_one(
    tmp_path: Path,
) -> None:
    text = (
        "name: team\nobjectives:\n"
        "  - {name: p95, sli: latency_p95, pass: '< 2s', warn: '< 3s'}\n"
        "  - {name: login p95, sli: latency_p95, request: 'POST /login', pass: '< 800ms'}\n"
        "  - {name: errors, sli: error_ratio, pass: '< 1%'}\n"
        "  - {name: rss, sli: memory_peak, target: api, pass: '< 512MB'}\n"
        "  - {name: band, sli: throughput, pass: '100..200'}\n"
    )
    alerts = build_alerts(parse_rules(text, "team.yaml"))
    (tmp_path / "team.rules.yml").write_text(render_rules(alerts))
    tests = tmp_path / "team_test.yaml"
    tests.write_text(render_tests(alerts, "team.rules.yml"))
    case = yaml.safe_load(tests.read_text())["tests"][0]
    samples = {s["labels"]: s["value"] for s in case["promql_expr_test"][0]["exp_samples"]}
    base = 'gate:objective_threshold:constant{ruleset="team",'
    assert samples == {
        base + 'objective="p95",sli="latency_p95",level="pass"}': 2.0,
        base + 'objective="p95",sli="latency_p95",level="warn"}': 3.0,
        base + 'objective="login p95",sli="latency_p95",name="/login",level="pass"}': 0.8,
        base + 'objective="errors",sli="error_ratio",level="pass"}': 0.01,
        base + 'objective="rss",sli="memory_peak",target="api",level="pass"}': 512e6,
    }  # the range publishes nothing: no one line to draw
    assert promtool_test(tests).returncode == 0
    # the test is not vacuous: a rule file whose level changed fails it
    (tmp_path / "team.rules.yml").write_text(
        render_rules(build_alerts(parse_rules(text.replace("'< 1%'", "'< 2%'"), "team.yaml")))
    )
    wrong = promtool_test(tests)
    assert wrong.returncode != 0 and "errors" in wrong.stdout + wrong.stderr
