"""promtool unit tests for the alerting rules `gate/alert_rules.py` generates.

For every alert, input series are synthesised so the objective's own query yields a chosen
value: one the gate judges PASS (no alert), WARN (the warning alert only), FAIL (the
critical alert only, after `for`; a second run at a passing value alongside stays quiet),
and, when `sustained` is set, FAIL for less than `sustained` (not yet firing). The values
are picked with the gate's own `judge_value`, so an alert fires exactly when the gate's
levels say WARN or FAIL. Objectives with a raw `query` or a `live_query` read metrics this
module cannot know: their alerts are checked by `promtool check rules` only (the output
says so).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from typing import Any

import yaml

from gate.alert_rules import AlertSet, ObjectiveAlert, uses_shorthand
from gate.model import Objective
from gate.request_names import parse_request
from gate.shorthands import (
    CORRECTED_BUCKET,
    CORRECTED_SUFFIX,
    CPU,
    DROPPED,
    HTTP_BUCKET,
    HTTP_FAILURES,
    HTTP_REQUESTS,
    RSS,
    SCHEDULED,
    WS_RTT_BUCKET,
    escape_label,
)
from gate.thresholds import Range, judge_value
from perfstack.core.record import PERCENTILE_KEYS
from perfstack.metrics.schema import LATENCY_BUCKETS
from perfstack.mixin.config import OBJECTIVE_THRESHOLD

STEP = 5  # seconds between input samples and between rule evaluations
RUN, OTHER_RUN = "promtool-run", "promtool-other-run"
PER_STEP = 1000.0  # observations per step in synthesised counters
QUANTILES = {f"latency_{key}": q for q, key in PERCENTILE_KEYS.items()}
CORRECTED_QUANTILES = {sli + CORRECTED_SUFFIX: q for sli, q in QUANTILES.items()}

Series = list[tuple[str, dict[str, str], str]]  # (metric, labels, promtool values)


def _labels(metric: str, labels: dict[str, str]) -> str:
    inner = ",".join(f'{k}="{escape_label(v)}"' for k, v in labels.items())
    return f"{metric}{{{inner}}}"


def _counter(increment: float, steps: int) -> str:
    return f"0+{increment!r}x{steps}"


def _gauge(value: float, steps: int) -> str:
    return f"{value!r}x{steps}"


def _histogram(
    bucket: str, quantile: float, value: float, labels: dict[str, str], steps: int
) -> Series:
    """Bucket counters whose histogram_quantile(quantile) is `value` exactly: of N
    observations a step, `low` lie at or below the bucket holding `value`, `high` at or below
    its upper bound, the rest above; linear interpolation then lands on `value`."""
    bounds = LATENCY_BUCKETS
    i = min(bisect.bisect_left(bounds, value), len(bounds) - 1)
    lo, hi = (bounds[i - 1] if i > 0 else 0.0), bounds[i]
    fraction = (value - lo) / (hi - lo)
    n = PER_STEP
    if fraction >= quantile:
        low, high = 0.0, quantile * n / fraction
    else:
        low, high = n * (quantile - fraction) / (1 - fraction), n
    series: Series = []
    if lo > 0:
        series.append((bucket, {**labels, "le": repr(lo)}, _counter(low, steps)))
    series.append((bucket, {**labels, "le": repr(hi)}, _counter(high, steps)))
    series.append((bucket, {**labels, "le": "+Inf"}, _counter(n, steps)))
    return series


def _synthesise(objective: Objective, value: float, labels: dict[str, str], steps: int) -> Series:
    sli = str(objective.sli)
    if objective.request is not None:
        ref = parse_request(objective.request)
        labels = {**labels, "name": ref.name, **({"method": ref.method} if ref.method else {})}
    if objective.target is not None or sli in (
        "memory_growth_slope",
        "memory_peak",
        "cpu_utilization",
    ):
        labels = {**labels, "target": objective.target or "demo"}
    if sli in QUANTILES:
        return _histogram(HTTP_BUCKET, QUANTILES[sli], value, labels, steps)
    if sli in CORRECTED_QUANTILES:
        return _histogram(CORRECTED_BUCKET, CORRECTED_QUANTILES[sli], value, labels, steps)
    makers: dict[str, Callable[[], Series]] = {
        "ws_rtt_p95": lambda: _histogram(WS_RTT_BUCKET, 0.95, value, labels, steps),
        "latency_mean": lambda: [
            (
                "loadgen_http_request_duration_seconds_sum",
                labels,
                _counter(value * PER_STEP, steps),
            ),
            ("loadgen_http_request_duration_seconds_count", labels, _counter(PER_STEP, steps)),
        ],
        "error_ratio": lambda: [
            (HTTP_FAILURES, labels, _counter(value * PER_STEP, steps)),
            (HTTP_REQUESTS, labels, _counter(PER_STEP, steps)),
        ],
        "throughput": lambda: [(HTTP_REQUESTS, labels, _counter(value * STEP, steps))],
        "ws_connect_success_ratio": lambda: [
            (
                "loadgen_ws_connect_duration_seconds_count",
                labels,
                _counter(value * PER_STEP, steps),
            ),
            (
                "loadgen_ws_connection_errors_total",
                {**labels, "phase": "connect"},
                _counter((1 - value) * PER_STEP, steps),
            ),
        ],
        "memory_growth_slope": lambda: [(RSS, labels, f"1e8+{value * STEP!r}x{steps}")],
        "memory_peak": lambda: [(RSS, labels, _gauge(value, steps))],
        "cpu_utilization": lambda: [(CPU, labels, _gauge(value, steps))],
        "generator_saturation": lambda: [
            ("loadgen_generator_saturated", labels, _gauge(value, steps))
        ],
        "dropped_iterations_ratio": lambda: [
            (DROPPED, labels, _counter(value * PER_STEP, steps)),
            (SCHEDULED, labels, _counter(PER_STEP, steps)),
        ],
    }
    return makers[sli]()


def _round(value: float) -> float:
    """Three significant digits, so the alert text's 4 digits are exact whatever the float
    arithmetic of the query."""
    return float(f"{value:.3g}")


def _candidates(objective: Objective) -> list[float]:
    limits: list[float] = []
    for condition in (objective.passing, objective.warning):
        if isinstance(condition, Range):
            limits += [condition.low, condition.high]
        elif condition is not None:
            limits.append(condition.limit)
    values = {0.0, 1.0}
    for limit in limits:
        for factor in (0.5, 0.75, 0.8, 1.25, 1.5, 2.0):
            values.add(_round(limit * factor))
    if len(limits) >= 2:
        values.add(_round(sum(limits[:2]) / 2))
    if objective.unit == "ratio" or objective.sli == "generator_saturation":
        values = {v for v in values if 0 <= v <= 1}
        values |= {_round((limit + 1) / 2) for limit in limits if limit < 1}
    if objective.sli == "generator_saturation":
        values = {0.0, 1.0}
    # latency histograms need a value inside the buckets; rates and sizes are not negative
    return sorted(v for v in values if v >= 0 and (v > 0.0001 or objective.kind != "latency"))


def _margin(objective: Objective, value: float) -> float:
    """Distance from the nearest limit, relative: prefer values clearly on one side."""
    limits = []
    for condition in (objective.passing, objective.warning):
        if isinstance(condition, Range):
            limits += [condition.low, condition.high]
        elif condition is not None:
            limits.append(condition.limit)
    return min(abs(value - limit) / max(abs(limit), 1e-12) for limit in limits)


def pick_value(objective: Objective, verdict: str) -> float | None:
    """A value the gate's levels judge `verdict`, clearly away from every limit."""
    assert objective.passing is not None
    found = [
        v
        for v in _candidates(objective)
        if judge_value(objective.passing, objective.warning, v) == verdict
    ]
    if not found:
        return None
    return max(found, key=lambda v: (min(_margin(objective, v), 0.25), -_margin(objective, v)))


def _go_g4(value: float) -> str:
    return f"{value:.4g}"


def _render(text: str, value: float, labels: dict[str, str]) -> str:
    text = text.replace("{{ $value | humanizePercentage }}", _go_g4(value * 100) + "%")
    text = text.replace('{{ printf "%.4g" $value }}', _go_g4(value))
    for name, label in labels.items():
        text = text.replace("{{ $labels." + name + " }}", label)
    return text


def _expected(
    alert: ObjectiveAlert, severity: str, value: float, run_labels: dict[str, str]
) -> dict[str, Any]:
    rule = next(r for r in alert.rules if r["labels"]["severity"] == severity)
    labels = {k: v for k, v in run_labels.items() if k in alert.output_labels}
    return {
        "exp_labels": {**labels, **rule["labels"]},
        "exp_annotations": {k: _render(v, value, labels) for k, v in rule["annotations"].items()},
    }


def _run_labels(objective: Objective, testid: str) -> dict[str, str]:
    scenario = objective.scenarios[0] if objective.scenarios else "adhoc"
    labels = {"testid": testid, "scenario": scenario}
    if objective.target is not None or objective.sli in (
        "memory_growth_slope",
        "memory_peak",
        "cpu_utilization",
    ):
        labels["target"] = objective.target or "demo"
    return labels


def alert_case(
    alert: ObjectiveAlert,
    title: str,
    runs: list[tuple[str, float]],
    eval_at: int,
    firing: list[tuple[str, str, float]],
) -> dict[str, Any]:
    """One promtool test: runs at their values, the alerts expected at eval_at."""
    objective = alert.objective
    steps = eval_at // STEP + 2
    series = []
    for testid, value in runs:
        base = {"testid": testid, "scenario": _run_labels(objective, testid)["scenario"]}
        for metric, labels, values in _synthesise(objective, value, base, steps):
            series.append({"series": _labels(metric, labels), "values": values})
    return {
        "name": f"{alert.alertname}: {title}",
        "interval": f"{STEP}s",
        "input_series": series,
        "alert_rule_test": [
            {
                "eval_time": f"{eval_at}s",
                "alertname": alert.alertname,
                "exp_alerts": [
                    _expected(alert, severity, value, _run_labels(objective, testid))
                    for testid, severity, value in firing
                ],
            }
        ],
    }


def alert_cases(alert: ObjectiveAlert) -> list[dict[str, Any]]:
    objective = alert.objective
    if not uses_shorthand(objective):
        return []
    hold = math.ceil(objective.sustained / STEP) * STEP
    window = math.ceil(objective.live_window / STEP) * STEP
    settled = window + hold + 3 * STEP  # the window is full and `for` has elapsed
    cases = []
    passing = pick_value(objective, "PASS")
    if passing is not None:
        cases.append(
            alert_case(alert, f"quiet at {passing:g} (PASS)", [(RUN, passing)], settled, [])
        )
    warning = pick_value(objective, "WARN") if objective.warning is not None else None
    if warning is not None:
        cases.append(
            alert_case(
                alert,
                f"warning at {warning:g} (WARN)",
                [(RUN, warning)],
                settled,
                [(RUN, "warning", warning)],
            )
        )
    failing = pick_value(objective, "FAIL")
    if failing is not None:
        runs = [(RUN, failing)] + ([(OTHER_RUN, passing)] if passing is not None else [])
        cases.append(
            alert_case(
                alert,
                f"critical at {failing:g} (FAIL), not for a passing run beside it",
                runs,
                settled,
                [(RUN, "critical", failing)],
            )
        )
        if hold >= 2 * STEP:
            cases.append(
                alert_case(
                    alert,
                    f"not yet firing before sustained {objective.sustained:g}s",
                    [(RUN, failing)],
                    hold - STEP,
                    [],
                )
            )
    return cases


def threshold_case(alerts: AlertSet) -> list[dict[str, Any]]:
    """One promtool test: the recording rules publish each level of the rule file, with its
    labels and its value in base units, and nothing else under that name."""
    if not alerts.thresholds:
        return []
    return [
        {
            "name": f"{OBJECTIVE_THRESHOLD}: the levels of {alerts.rules.name}",
            "interval": f"{STEP}s",
            "input_series": [],
            "promql_expr_test": [
                {
                    "expr": OBJECTIVE_THRESHOLD,
                    "eval_time": f"{STEP}s",
                    "exp_samples": [
                        {
                            "labels": _labels(OBJECTIVE_THRESHOLD, rule["labels"]),
                            "value": float(rule["expr"].removeprefix("vector(")[:-1]),
                        }
                        for rule in alerts.thresholds
                    ],
                }
            ],
        }
    ]


def render_tests(alerts: AlertSet, rules_file: str) -> str:
    tests = threshold_case(alerts) + [
        case for alert in alerts.alerts for case in alert_cases(alert)
    ]
    untested = [a.objective.name for a in alerts.alerts if not uses_shorthand(a.objective)]
    header = [
        f"# promtool tests generated by `perfstack gate alerts` for {rules_file}:",
        f"#   promtool test rules {'<this file>'}",
    ]
    if untested:
        header.append(
            "# Objectives with a raw query or live_query have no generated test (their metrics "
            "are yours): " + ", ".join(untested)
        )
    document = {"rule_files": [rules_file], "evaluation_interval": f"{STEP}s", "tests": tests}
    return (
        "\n".join(header)
        + "\n"
        + yaml.safe_dump(document, sort_keys=False, width=1000, allow_unicode=True)
    )
