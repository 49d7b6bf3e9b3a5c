"""Alerting rules generated from gate rule files: promtool accepts them, they follow the
gate's thresholds per run, and what cannot be an alert is listed, never dropped."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from gate.alert_rules import RUNBOOK_ANCHOR, RUNBOOK_URL, build_alerts, per_run, render_rules
from gate.alert_tests import OTHER_RUN, RUN, alert_case, alert_cases
from gate.rules import load_rules, parse_rules
from gate.shorthands import SHORTHANDS, selector

ROOT = Path(__file__).resolve().parents[2]
PRESETS = sorted((ROOT / "gate" / "presets").glob("*.yaml"))
needs_promtool = pytest.mark.skipif(shutil.which("promtool") is None, reason="no promtool")


def promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["promtool", *map(str, args)], capture_output=True, text=True, timeout=60, check=False
    )


def run_cases(tmp_path: Path, rules_text: str, cases: list[dict[str, Any]]) -> str:
    """Write the rules and the cases as a promtool test file; return promtool's output,
    failing the test when promtool fails."""
    (tmp_path / "r.rules.yml").write_text(rules_text)
    document = {"rule_files": ["r.rules.yml"], "evaluation_interval": "5s", "tests": cases}
    (tmp_path / "r_test.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    result = promtool("test", "rules", tmp_path / "r_test.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


TEMPLATES = [
    (f"{name}:{kind}", form)
    for name, shorthand in sorted(SHORTHANDS.items())
    for kind, form in (("live", shorthand.live), ("run", shorthand.values[-1]))
    if form is not None
]


@pytest.mark.parametrize(("name", "form"), TEMPLATES, ids=[n for n, _ in TEMPLATES])
def test_every_shorthand_query_keeps_testid_and_scenario_in_every_aggregation(
    name: str, form: Any
) -> None:
    shorthand = SHORTHANDS[name.split(":")[0]]
    expr = per_run(form(selector("GET /a", None) if "request" in shorthand.params else 'x="y"'))
    aggregations = re.findall(r"\b(?:sum|max|min|avg|count)\b(?!_)", expr)
    kept = re.findall(r"\b(?:sum|max|min|avg|count) by \([^)]*testid, scenario\) \(", expr)
    assert aggregations and len(kept) == len(aggregations), expr
    assert "on()" not in expr


@needs_promtool
@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.stem)
def test_rules_generated_from_every_preset_pass_promtool_check(
    preset: Path, tmp_path: Path
) -> None:
    alerts = build_alerts(load_rules(preset))
    if preset.stem.endswith("-benchmarks"):
        # pytest-benchmark figures are judged after the session, never watched live: every
        # objective is listed as skipped with that reason, none silently dropped
        assert not alerts.alerts and alerts.skipped
        assert all("pytest-benchmark figure" in reason for _, reason in alerts.skipped)
        return
    assert alerts.alerts
    out = tmp_path / f"{preset.stem}.rules.yml"
    out.write_text(render_rules(alerts))
    result = promtool("check", "rules", out)
    assert result.returncode == 0, result.stdout + result.stderr
    count = sum(len(a.rules) for a in alerts.alerts) + len(alerts.thresholds)
    assert alerts.thresholds, "every preset has a one-sided level of a built-in SLI"
    assert f"SUCCESS: {count} rules found" in result.stdout
    for alert in alerts.alerts:
        assert re.fullmatch(r"PerfstackObjective[A-Z0-9][A-Za-z0-9]*", alert.alertname)
        for rule in alert.rules:
            assert rule["labels"]["severity"] in ("warning", "critical")
            assert set(rule["annotations"]) == {"summary", "description", "runbook_url"}


P95_UNDER_2S = "objectives:\n  - {name: p95 under 2s, sli: latency_p95, pass: '< 2s'}\n"


@needs_promtool
def test_p95_under_2s_is_quiet_at_1_5s_and_fires_at_2_5s(tmp_path: Path) -> None:
    alerts = build_alerts(parse_rules(P95_UNDER_2S, "team.yaml"))
    (alert,) = alerts.alerts
    assert alert.alertname == "PerfstackObjectiveP95Under2s"
    quiet = alert_case(alert, "1.5s", [(RUN, 1.5)], 30, [])
    fires = alert_case(alert, "2.5s", [(RUN, 2.5), (OTHER_RUN, 1.5)], 30, [(RUN, "critical", 2.5)])
    run_cases(tmp_path, render_rules(alerts), [quiet, fires])
    # the expectation is exact: the alert's text carries the value and the threshold
    annotations = fires["alert_rule_test"][0]["exp_alerts"][0]["exp_annotations"]
    assert annotations["description"].startswith("latency_p95 is 2.5s over the last 10s")
    assert "'< 2s'" in annotations["description"]


@needs_promtool
def test_a_wrong_expectation_fails_promtool(tmp_path: Path) -> None:
    alerts = build_alerts(parse_rules(P95_UNDER_2S, "team.yaml"))
    (alert,) = alerts.alerts
    wrong = alert_case(alert, "1.9s fires?", [(RUN, 1.9)], 30, [(RUN, "critical", 1.9)])
    with pytest.raises(AssertionError, match="FAILED"):
        run_cases(tmp_path, render_rules(alerts), [wrong])


WARN_TIERS = """
objectives:
  - name: error ratio
    sli: error_ratio
    pass: "< 1%"
    warn: "< 5%"
    abort_on_fail: true
    sustained: 30s
"""


@needs_promtool
def test_warn_tier_is_a_warning_fail_is_critical_and_sustained_is_for(tmp_path: Path) -> None:
    alerts = build_alerts(parse_rules(WARN_TIERS, "team.yaml"))
    (alert,) = alerts.alerts
    assert {r["for"] for r in alert.rules} == {"30s"}
    cases = [
        alert_case(alert, "0.5% passes", [(RUN, 0.005)], 60, []),
        alert_case(alert, "3% warns", [(RUN, 0.03)], 60, [(RUN, "warning", 0.03)]),
        alert_case(alert, "10% fails", [(RUN, 0.10)], 60, [(RUN, "critical", 0.10)]),
        alert_case(alert, "10% for 20s: not yet", [(RUN, 0.10)], 20, []),
    ]
    run_cases(tmp_path, render_rules(alerts), cases)


RANGE_AND_SCENARIOS = """
objectives:
  - {name: throughput band, sli: throughput, pass: "10..100rps"}
  - {name: peak errors, sli: error_ratio, pass: "< 5%", scenarios: [peak]}
"""


@needs_promtool
def test_a_range_fires_at_either_end_and_scenarios_limit_the_alert(tmp_path: Path) -> None:
    alerts = build_alerts(parse_rules(RANGE_AND_SCENARIOS, "team.yaml"))
    band, peak = alerts.alerts
    cases = [
        alert_case(band, "50 rps", [(RUN, 50.0)], 30, []),
        alert_case(band, "5 rps", [(RUN, 5.0)], 30, [(RUN, "critical", 5.0)]),
        alert_case(band, "150 rps", [(RUN, 150.0)], 30, [(RUN, "critical", 150.0)]),
        alert_case(peak, "10% in peak", [(RUN, 0.10)], 30, [(RUN, "critical", 0.10)]),
    ]
    # the same failing run in another scenario: no alert
    smoke = alert_case(peak, "10% in smoke", [(RUN, 0.10)], 30, [])
    for item in smoke["input_series"]:
        item["series"] = item["series"].replace('scenario="peak"', 'scenario="smoke"')
    run_cases(tmp_path, render_rules(alerts), [*cases, smoke])


NOT_ALERTS = """
objectives:
  - {name: max latency, sli: latency_max, pass: "< 5s"}
  - {name: regression, sli: latency_p95, relative: "<= +10%"}
  - {name: requests, sli: request_count, pass: ">= 100"}
  - {name: growth, sli: memory_growth, pass: "< 100MB"}
  - {name: run query, query: 'sum(x{testid="$testid"})', pass: "< 1"}
  - {name: p95 and regression, sli: latency_p95, pass: "< 1s", relative: "<= +10%"}
  - {name: cache, query: 'sum(rate(hits[$range])) / sum(rate(lookups[$range]))', pass: "> 0.8"}
  - name: live of this run
    sli: latency_p95
    pass: "< 1s"
    live_query: 'max(x{testid="$testid"})'
  - name: own live max
    sli: latency_max
    pass: "< 1s"
    live_query: max(max_over_time(slowest_seconds[$window]))
"""


def test_objectives_that_cannot_be_alerts_are_listed_with_the_reason() -> None:
    alerts = build_alerts(parse_rules(NOT_ALERTS, "team.yaml"))
    skipped = {o.name: why for o, why in alerts.skipped}
    assert set(skipped) == {
        "max latency",
        "regression",
        "requests",
        "growth",
        "run query",
        "live of this run",
    }
    assert "only in the run record" in skipped["max latency"]
    assert "needs a baseline" in skipped["regression"]
    assert "run total" in skipped["requests"]
    assert "whole run" in skipped["growth"]
    assert "$testid" in skipped["run query"] and "$testid" in skipped["live of this run"]
    assert [o.name for o, _ in alerts.notes] == ["p95 and regression"]
    alerted = [a.objective.name for a in alerts.alerts]
    assert alerted == ["p95 and regression", "cache", "own live max"]
    text = render_rules(alerts)
    for name in (*skipped, "p95 and regression"):
        assert f"#   - {name}: " in text
    # a raw query without run placeholders is an alert over its live window, as written
    cache = alerts.alerts[1].rules[0]["expr"]
    assert cache == "(sum(rate(hits[10s])) / sum(rate(lookups[10s]))) <= 0.8"
    # a live_query is the user's: used as written (the live gate's own choice), untested
    own = alerts.alerts[2]
    assert own.rules[0]["expr"] == "(max(max_over_time(slowest_seconds[10s]))) >= 1.0"
    assert alert_cases(own) == []


def test_names_that_collide_after_camel_casing_stay_distinct() -> None:
    rules = parse_rules(
        "objectives:\n"
        "  - {name: p95 < 2s, sli: latency_p95, pass: '< 2s'}\n"
        "  - {name: p95 <= 2s, sli: latency_p95, pass: '<= 2s'}\n",
        "team.yaml",
    )
    names = [a.alertname for a in build_alerts(rules).alerts]
    assert names == ["PerfstackObjectiveP952s", "PerfstackObjectiveP952s2"]


def test_the_runbook_url_is_a_heading_of_the_runbook() -> None:
    headings = {
        re.sub(r"[^a-z0-9 -]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        for line in (ROOT / "docs" / "runbook.md").read_text().splitlines()
        if line.startswith("#")
    }
    assert RUNBOOK_URL.endswith("#" + RUNBOOK_ANCHOR) and RUNBOOK_ANCHOR in headings
