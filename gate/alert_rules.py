"""Prometheus alerting rules generated from a gate rule file (`perfstack gate alerts`).

One source for thresholds: each objective the live gate could judge becomes an alert over
the same PromQL (`gate.live.live_expression`, the shorthand's trailing-window form over
`live_window`), with the objective's own `pass`/`warn` levels and `sustained` as `for`.
The gate's verdict tiers map to severities: a value that misses `pass` but meets `warn`
fires it with `severity: warning` (the gate's WARN), one that misses the last acceptable
level with `severity: critical` (FAIL); exactly one fires at a time.

Shorthands are scoped to one run by `testid="$testid"` and sum over it; an alert has no
run to bind, so it matches every run (`testid!=""`) and every aggregation keeps `testid`
and `scenario` (`per_run`), giving one alert per run. What cannot be an alert is listed
with the reason, never dropped silently: relative criteria (they need a baseline),
`latency_max` (exact only in the run record: the histogram knows the bucket, not the
maximum), run totals and whole-run quantities (known only at the run's end), and raw
queries that read the run's placeholders ($testid, $scenario, $start, $end).

The same group also carries recording rules publishing each built-in SLI's one-sided
`pass`/`warn` limit as `gate:objective_threshold:constant` (in base units), so the
dashboards' threshold lines are the levels this rule file judges (perfstack/mixin/
thresholds.py). Ranges and raw queries publish nothing: a line needs one limit and an SLI
a panel draws.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from gate.live import live_expression
from gate.model import Objective, RuleSet
from gate.request_names import parse_request
from gate.shorthands import SHORTHANDS, escape_label, selector
from gate.thresholds import Condition, Range
from gate.units import promql_duration
from gate.window import resolve
from perfstack.mixin import config as mixin_config

ALERT_PREFIX = mixin_config.ALERT_PREFIX + "Objective"
# docs/runbook.md has one section for every generated alert: they differ by objective only.
RUNBOOK_ANCHOR = "perfstackobjective-alerts"
RUNBOOK_URL = f"{mixin_config.RUNBOOK_BASE}#{RUNBOOK_ANCHOR}"
RUN_LABELS = ("testid", "scenario")
ALL_RUNS = 'testid!=""'

# Why a shorthand cannot be an alert (the rest can).
NOT_ALERTS = {
    "latency_max": "the exact maximum is only in the run record; the histogram knows the "
    "bucket, not the maximum",
    "request_count": "a run total, known only at the run's end (gate check judges it)",
    "ws_unexpected_disconnects": "a run total, known only at the run's end (gate check judges it)",
    "memory_growth": "growth from the run's lowest RSS, known only over the whole run (the "
    "built-in PerfstackMemoryLeakSuspected alerts on a steady growth slope)",
    "latency_max_corrected": "the exact maximum is only in the run record; the histogram "
    "knows the bucket, not the maximum",
    **{
        f"benchmark_{stat}": "a pytest-benchmark figure, pushed once when its benchmark has "
        "run: nothing to watch during a run (gate check judges the session)"
        for stat in ("mean", "median", "min", "max", "ops")
    },
}
RUN_PLACEHOLDERS = ("testid", "scenario", "start", "end")
_PLACEHOLDER = re.compile(r"\$\{(\w+)\}|\$(\w+)")
_AGGREGATION_BY = re.compile(r"\b(sum|max|min|avg|count) by \(([^)]*)\)")
_AGGREGATION = re.compile(r"\b(sum|max|min|avg|count)\(")
_ON_NOTHING = re.compile(r"\bon\(\)")


@dataclass(frozen=True)
class ObjectiveAlert:
    objective: Objective
    alertname: str
    expr: str  # the objective's value, per run
    output_labels: tuple[str, ...]  # labels of expr's series (alert labels besides the rule's)
    rules: tuple[dict[str, Any], ...]


@dataclass
class AlertSet:
    rules: RuleSet
    alerts: list[ObjectiveAlert] = field(default_factory=list)
    skipped: list[tuple[Objective, str]] = field(default_factory=list)  # (objective, why not)
    notes: list[tuple[Objective, str]] = field(default_factory=list)  # parts not alerted on
    thresholds: list[dict[str, Any]] = field(default_factory=list)  # recording rules

    @property
    def group_name(self) -> str:
        return f"perfstack-objectives-{_slug(self.rules.name)}"


def per_run(expr: str) -> str:
    """A shorthand's PromQL with every aggregation also kept by testid and scenario.

    The shorthand templates (gate/shorthands.py) aggregate in two forms only, `op(` and
    `op by (labels) (`, and match empty-handed (`or on()`) only to read an absent counter as
    zero; tests/gate/test_alert_rules.py checks every template against this."""
    keep = ", ".join(RUN_LABELS)
    expr = _AGGREGATION_BY.sub(lambda m: f"{m.group(1)} by ({m.group(2)}, {keep})", expr)
    expr = _AGGREGATION.sub(lambda m: f"{m.group(1)} by ({keep}) (", expr)
    return _ON_NOTHING.sub(f"on({keep})", expr)


def camel_case(text: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", text)
    return "".join(word[:1].upper() + word[1:] for word in words)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "rules"


def _number(value: float) -> str:
    return repr(float(value))


def violates(expr: str, condition: Condition) -> str:
    """PromQL keeping the series of expr that miss the condition (NaN never does, as in the
    live gate, where NaN is no traffic; an infinity does)."""
    if isinstance(condition, Range):
        return f"({expr}) < {_number(condition.low)} or ({expr}) > {_number(condition.high)}"
    opposite = {"<": ">=", "<=": ">", ">": "<=", ">=": "<"}[condition.op]
    return f"({expr}) {opposite} {_number(condition.limit)}"


def holds(expr: str, condition: Condition) -> str:
    """PromQL (a filter chained onto expr) keeping the series that meet the condition."""
    if isinstance(condition, Range):
        return f"{expr} >= {_number(condition.low)} <= {_number(condition.high)}"
    return f"{expr} {condition.op} {_number(condition.limit)}"


def value_template(unit: str) -> str:
    """The alert's value for people, in Go template (promtool tests render it too)."""
    if unit == "ratio":
        return "{{ $value | humanizePercentage }}"
    suffix = {"seconds": "s", "bytes": " bytes", "bytes_per_second": " bytes/s", "rps": " rps"}
    return '{{ printf "%.4g" $value }}' + suffix.get(unit, "")


def uses_shorthand(objective: Objective) -> bool:
    """The alert reads the built-in SLI's query (not the user's `query` or `live_query`)."""
    return objective.sli is not None and not objective.live_query


def _not_alertable(objective: Objective) -> str | None:
    if objective.passing is None:
        return "a relative criterion only: it needs a baseline, which an alert does not have"
    if uses_shorthand(objective):
        return NOT_ALERTS.get(str(objective.sli))
    text = objective.live_query or str(objective.query)
    used = {m.group(1) or m.group(2) for m in _PLACEHOLDER.finditer(text)}
    run = sorted(used & set(RUN_PLACEHOLDERS))
    if run:
        return (
            f"its query reads the run's {', '.join('$' + p for p in run)}, which an alert "
            "has no run to fill in (give it a live_query without them)"
        )
    return None


def _selector(objective: Objective) -> str:
    sel = selector(objective.request, objective.target).replace('testid="$testid"', ALL_RUNS, 1)
    if objective.scenarios:
        alternatives = "|".join(re.escape(s) for s in objective.scenarios)
        sel += f',scenario=~"{escape_label(alternatives)}"'
    return sel


def objective_expr(rules: RuleSet, objective: Objective) -> tuple[str, tuple[str, ...]]:
    """The objective's value per run over its live window, and the labels it keeps."""
    window = promql_duration(objective.live_window)
    values = {
        **rules.variables,
        "window": window,
        "range": window,
        "duration": window,
        "duration_seconds": f"{objective.live_window:.3f}",
    }
    if uses_shorthand(objective):
        text = per_run(live_expression(objective, _selector(objective)))
        labels = ("target", *RUN_LABELS) if _per_target(objective) else RUN_LABELS
        return resolve(text, values), labels
    return resolve(live_expression(objective), values), ()


def _per_target(objective: Objective) -> bool:
    return uses_shorthand(objective) and "target" in SHORTHANDS[str(objective.sli)].params


def _alert_rule(
    alertname: str,
    expr: str,
    severity: str,
    objective: Objective,
    rules: RuleSet,
    condition: Condition,
    verdict: str,
) -> dict[str, Any]:
    # a raw query has no run: its series carry whatever labels the user's query keeps
    run = " in run {{ $labels.testid }}" if uses_shorthand(objective) else ""
    target = " of target {{ $labels.target }}" if _per_target(objective) else ""
    sustained = f" for {promql_duration(objective.sustained)}" if objective.sustained > 0 else ""
    what = objective.sli or "its query"
    return {
        "alert": alertname,
        "expr": expr,
        "for": promql_duration(objective.sustained) if objective.sustained > 0 else "0s",
        "labels": {
            "severity": severity,
            "phase": "run",
            "objective": objective.name,
            "ruleset": rules.name,
        },
        "annotations": {
            "summary": f"{objective.name}: {verdict}{target}{run}",
            "description": (
                f"{what}{target} is {value_template(objective.unit)} over the last "
                f"{promql_duration(objective.live_window)}{sustained}: it misses "
                f"'{condition.text}' of objective '{objective.name}' in rule file "
                f"{rules.name} (the rule file's {verdict} level)."
            ),
            "runbook_url": RUNBOOK_URL,
        },
    }


def threshold_rules(rules: RuleSet, objective: Objective) -> list[dict[str, Any]]:
    """Recording rules publishing the objective's one-sided levels (none for a range, a
    relative-only criterion or a raw query: nothing a panel could draw as one line)."""
    if objective.sli is None:
        return []
    labels = {"ruleset": rules.name, "objective": objective.name, "sli": str(objective.sli)}
    if objective.request is not None:
        labels["name"] = parse_request(objective.request).name
    if objective.target is not None:
        labels["target"] = objective.target
    published = []
    for level, condition in (("pass", objective.passing), ("warn", objective.warning)):
        if condition is None or isinstance(condition, Range):
            continue
        published.append(
            {
                "record": mixin_config.OBJECTIVE_THRESHOLD,
                "expr": f"vector({_number(condition.limit)})",
                "labels": {**labels, "level": level},
            }
        )
    return published


def build_alerts(rules: RuleSet) -> AlertSet:
    result = AlertSet(rules)
    names: set[str] = set()
    for objective in rules.objectives:
        result.thresholds += threshold_rules(rules, objective)
        reason = _not_alertable(objective)
        if reason is not None:
            result.skipped.append((objective, reason))
            continue
        assert objective.passing is not None
        if objective.relative is not None:
            result.notes.append(
                (objective, "its relative criterion needs a baseline: only pass/warn alert")
            )
        base = ALERT_PREFIX + (camel_case(objective.name) or "Unnamed")
        alertname, n = base, 1
        while alertname in names:
            n += 1
            alertname = f"{base}{n}"
        names.add(alertname)
        expr, labels = objective_expr(rules, objective)
        last = objective.warning or objective.passing
        rule_list = [
            _alert_rule(alertname, violates(expr, last), "critical", objective, rules, last, "FAIL")
        ]
        if objective.warning is not None:
            warn_expr = holds(f"({violates(expr, objective.passing)})", objective.warning)
            rule_list.append(
                _alert_rule(
                    alertname, warn_expr, "warning", objective, rules, objective.passing, "WARN"
                )
            )
        result.alerts.append(ObjectiveAlert(objective, alertname, expr, labels, tuple(rule_list)))
    return result


def render_rules(alerts: AlertSet) -> str:
    lines = [
        f"# Alerting rules generated by `perfstack gate alerts` from {alerts.rules.path}",
        "# (rule set " + repr(alerts.rules.name) + "): edit the rule file and regenerate.",
        "# Each alert judges its objective's live-gate query over live_window; `for` is its",
        "# `sustained`. severity warning = the gate's WARN tier, critical = FAIL.",
    ]
    if alerts.skipped:
        lines.append("# Objectives that are not alerts (the gate still judges them):")
        lines += [f"#   - {o.name}: {why}" for o, why in alerts.skipped]
    if alerts.notes:
        lines.append("# Parts of objectives not alerted on:")
        lines += [f"#   - {o.name}: {why}" for o, why in alerts.notes]
    if alerts.thresholds:
        lines.append(
            f"# {mixin_config.OBJECTIVE_THRESHOLD}: the rule file's one-sided pass/warn levels, "
            "drawn by the dashboards as their threshold lines."
        )
    group_rules = alerts.thresholds + [r for a in alerts.alerts for r in a.rules]
    groups = [{"name": alerts.group_name, "rules": group_rules}] if group_rules else []
    return (
        "\n".join(lines)
        + "\n"
        + yaml.safe_dump({"groups": groups}, sort_keys=False, width=1000, allow_unicode=True)
    )
